package wizard

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/maestro-go/maestro/maestro/idl/gogen"
	"github.com/maestro-go/maestro/maestro/orb"
)

// MaestroModule is the module generated projects require.
const MaestroModule = "github.com/maestro-go/maestro"

// ProjectFile is one file of a generated project.
type ProjectFile struct {
	Name    string
	Content []byte
	// UserOwned marks the file the user edits: never overwritten once it
	// exists.
	UserOwned bool
}

// AnswersFileName is the answers file written into every project, so
// that the project can be regenerated with the same answers.
const AnswersFileName = "maestro-wizard.yaml"

// Project generates the files of the project. replace, if not empty, is
// the local checkout of this module the project builds against. A fresh
// object key is made when the answers give none.
func (c *Config) Project(replace string) ([]ProjectFile, error) {
	if c.Key == "" {
		k, err := orb.NewKey(c.Name)
		if err != nil {
			return nil, err
		}
		c.Key = k.String()
		c.Answers["key"] = c.Key
	}
	opts := gogen.Options{Package: "main", Interface: c.Interface, Name: c.Name, ReadOnly: c.ReadOnly}
	if c.ORB == "replicated-updates" {
		opts.ORB, opts.StateTransfer = gogen.ReplicatedUpdates, c.StateTransfer
	} else {
		opts.ORB = gogen.Simple
	}
	gen, err := gogen.Generate(c.spec, opts)
	if err != nil {
		return nil, err
	}
	var files []ProjectFile
	for _, f := range gen {
		if f.UserOwned && c.builtinGrid() {
			if f.Content, err = c.gridServant(); err != nil {
				return nil, err
			}
		}
		files = append(files, ProjectFile{Name: f.Name, Content: f.Content, UserOwned: f.UserOwned})
	}
	mainGo, err := c.mainFile()
	if err != nil {
		return nil, err
	}
	idlSrc := gridIDL
	if c.IDLPath != "" {
		if idlSrc, err = os.ReadFile(c.IDLPath); err != nil {
			return nil, fmt.Errorf("wizard: %w", err)
		}
	}
	answers, err := c.answersFile()
	if err != nil {
		return nil, err
	}
	if replace != "" {
		// The checkout's go.sum holds the hashes of every module the
		// project needs, so that go mod tidy works offline.
		if sum, err := os.ReadFile(filepath.Join(replace, "go.sum")); err == nil {
			files = append(files, ProjectFile{Name: "go.sum", Content: sum})
		}
	}
	files = append(files,
		ProjectFile{Name: "main.go", Content: mainGo},
		ProjectFile{Name: "go.mod", Content: c.goMod(replace)},
		ProjectFile{Name: "README.md", Content: c.readme()},
		ProjectFile{Name: c.idlFileName(), Content: idlSrc},
		ProjectFile{Name: AnswersFileName, Content: answers},
	)
	return files, nil
}

// goMod is the project's go.mod.
func (c *Config) goMod(replace string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\ngo 1.26\n\nrequire %s v0.0.0-00010101000000-000000000000\n", c.Module, MaestroModule)
	if replace != "" {
		fmt.Fprintf(&b, "\nreplace %s => %s\n", MaestroModule, replace)
	}
	return b.Bytes()
}

// answersFile records the answers the project was generated from, its
// IDL path relative to the project.
func (c *Config) answersFile() ([]byte, error) {
	var n yaml.Node
	n.Kind = yaml.MappingNode
	add := func(k string, v any) error {
		var val yaml.Node
		if err := val.Encode(v); err != nil {
			return err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &val)
		return nil
	}
	if err := add("wizard", c.Wizard); err != nil {
		return nil, err
	}
	for _, k := range answerOrder(c.Answers) {
		v := c.Answers[k]
		if k == "idl" && c.IDLPath != "" {
			v = c.idlFileName()
		}
		if err := add(k, v); err != nil {
			return nil, err
		}
	}
	out, err := yaml.Marshal(&n)
	if err != nil {
		return nil, err
	}
	return append([]byte("# The answers this project was generated from: maestro-wizard -answers "+AnswersFileName+" -out . -force\n"), out...), nil
}

// answerOrder is the order answers are written in: the known keys' order.
func answerOrder(a Answers) []string {
	var out []string
	for _, k := range []string{"name", "idl", "interface", "partitions", "replicas", "state_transfer", "ordering",
		"reinstall_ior", "readonly", "module", "key"} {
		if _, ok := a[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// ErrExists reports files that exist and would be overwritten.
var ErrExists = errors.New("files exist (use -force to overwrite the generated ones)")

// Write writes files into dir. Without force nothing is written if any
// file exists; with force the generated files are replaced but an
// existing user-owned file is kept. It returns the names written.
func Write(dir string, files []ProjectFile, force bool) ([]string, error) {
	var exist []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err == nil {
			exist = append(exist, f.Name)
		}
	}
	if len(exist) > 0 && !force {
		return nil, fmt.Errorf("%w in %s: %s", ErrExists, dir, strings.Join(exist, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wizard: %w", err)
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if f.UserOwned && contains(exist, f.Name) {
			continue
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return written, fmt.Errorf("wizard: %w", err)
		}
		written = append(written, f.Name)
	}
	return written, nil
}
