// Package wizard is the maestro-wizard: the wizards of templates/ (one
// YAML file each), the answers they take (from a file or from prompts),
// their validation, and the project they generate.
package wizard

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is one wizard, as a YAML file of the repository describes it.
type Template struct {
	Name      string      `yaml:"name"`
	Title     string      `yaml:"title"`
	ORB       string      `yaml:"orb"`
	Describe  string      `yaml:"describe"`
	Questions []*Question `yaml:"questions"`
	// Path is the file it was read from.
	Path string `yaml:"-"`
}

// Question is one question of a wizard.
type Question struct {
	Key      string   `yaml:"key"`
	Prompt   string   `yaml:"prompt"`
	Kind     string   `yaml:"kind"` // string, int, bool, choice, list
	Default  any      `yaml:"default"`
	Help     string   `yaml:"help"`
	Choices  []Choice `yaml:"choices"`
	Min      *int     `yaml:"min"`
	Validate string   `yaml:"validate"`
	Sets     string   `yaml:"sets"`
}

// Choice is one answer a choice question accepts.
type Choice struct {
	Value string `yaml:"value"`
	Label string `yaml:"label"`
}

var (
	kinds       = map[string]bool{"string": true, "int": true, "bool": true, "choice": true, "list": true}
	validations = map[string]bool{"": true, "goident": true, "idl": true, "interface": true, "operations": true, "module": true, "key": true}
	// known are the answer keys the project generator reads; a template
	// may ask them in any order, with any prompt, default and help.
	known = map[string]bool{"name": true, "partitions": true, "replicas": true, "state_transfer": true, "ordering": true,
		"reinstall_ior": true, "idl": true, "interface": true, "readonly": true, "module": true, "key": true}
)

// TemplatesDir is where the wizards are looked for: dir if not empty,
// else $MAESTRO_TEMPLATES, else templates/ in the current directory or
// the nearest parent that has one.
func TemplatesDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if env := os.Getenv("MAESTRO_TEMPLATES"); env != "" {
		return env, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "templates")); err == nil && st.IsDir() {
			return filepath.Join(d, "templates"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no templates directory found from %s up: give -templates DIR or set $MAESTRO_TEMPLATES", wd)
		}
	}
}

// LoadTemplates reads every *.yaml wizard in dir, sorted by name.
func LoadTemplates(dir string) ([]*Template, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no wizard (*.yaml) in %s", dir)
	}
	var out []*Template
	for _, p := range paths {
		t, err := loadTemplate(p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func loadTemplate(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wizard: %w", err)
	}
	var t Template
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("wizard: %s: %w", path, err)
	}
	t.Path = path
	if t.Name == "" || (t.ORB != "simple" && t.ORB != "replicated-updates") {
		return nil, fmt.Errorf("wizard: %s: needs a name and orb: simple or replicated-updates", path)
	}
	seen := map[string]bool{}
	for i, q := range t.Questions {
		where := fmt.Sprintf("wizard: %s: question %d (%s)", path, i+1, q.Key)
		switch {
		case !known[q.Key]:
			return nil, fmt.Errorf("%s: key %q is not one the generator reads (%s)", where, q.Key, strings.Join(sortedKeys(known), ", "))
		case seen[q.Key]:
			return nil, fmt.Errorf("%s: asked twice", where)
		case !kinds[q.Kind]:
			return nil, fmt.Errorf("%s: kind %q is not one of string, int, bool, choice, list", where, q.Kind)
		case !validations[q.Validate]:
			return nil, fmt.Errorf("%s: unknown validation %q", where, q.Validate)
		case q.Kind == "choice" && len(q.Choices) == 0:
			return nil, fmt.Errorf("%s: a choice question needs choices", where)
		case q.Prompt == "":
			return nil, fmt.Errorf("%s: needs a prompt", where)
		}
		seen[q.Key] = true
		if _, err := q.normalize(q.Default); err != nil {
			return nil, fmt.Errorf("%s: default: %w", where, err)
		}
	}
	return &t, nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Find returns the wizard called name.
func Find(ts []*Template, name string) (*Template, error) {
	var names []string
	for _, t := range ts {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return nil, fmt.Errorf("question \"wizard\": no wizard %q; choose one of %s", name, strings.Join(names, ", "))
}
