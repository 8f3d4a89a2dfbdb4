package wizard

import (
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/maestro-go/maestro/maestro/idl"
)

// Answers are a wizard's answers, by question key, normalised: string,
// int, bool or []string.
type Answers map[string]any

// normalize converts a YAML or prompt value to the question's kind.
func (q *Question) normalize(v any) (any, error) {
	switch q.Kind {
	case "int":
		switch x := v.(type) {
		case int:
			return x, nil
		case string:
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", x)
			}
			return n, nil
		}
		return nil, fmt.Errorf("%v is not a whole number", v)
	case "bool":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q is not true or false", x)
			}
			return b, nil
		}
		return nil, fmt.Errorf("%v is not true or false", v)
	case "list":
		switch x := v.(type) {
		case nil:
			return []string{}, nil
		case string:
			var out []string
			for _, s := range strings.Split(x, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			if out == nil {
				out = []string{}
			}
			return out, nil
		case []string:
			return x, nil
		case []any:
			out := []string{}
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%v is not a list of names", v)
				}
				out = append(out, s)
			}
			return out, nil
		}
		return nil, fmt.Errorf("%v is not a list of names", v)
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		if q.Kind == "choice" {
			for _, c := range q.Choices {
				if c.Value == x {
					return x, nil
				}
			}
			var vals []string
			for _, c := range q.Choices {
				vals = append(vals, c.Value)
			}
			return nil, fmt.Errorf("%q is not one of %s", x, strings.Join(vals, ", "))
		}
		return x, nil
	}
	return nil, fmt.Errorf("%v is not text", v)
}

// session holds what checking answers in order has learnt.
type session struct {
	baseDir string // idl paths are relative to it
	spec    *idl.Spec
	idlPath string
	iface   *idl.Interface
	ops     []string
}

var modulePath = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-_~]*(/[A-Za-z0-9.\-_~]+)*$`)

// check validates one normalised answer; the error says how to fix it.
func (s *session) check(q *Question, v any) error {
	if q.Min != nil {
		if n, _ := v.(int); n < *q.Min {
			return fmt.Errorf("%d is less than %d; give a number of at least %d", n, *q.Min, *q.Min)
		}
	}
	switch q.Validate {
	case "goident":
		n := v.(string)
		if !token.IsIdentifier(n) || !token.IsExported(n) {
			return fmt.Errorf("%q is not an exported Go identifier; use letters and digits starting with a capital letter, e.g. Grid", n)
		}
	case "idl":
		p := v.(string)
		if p == "" {
			spec, err := idl.Parse("Grid.idl", gridIDL, idl.Options{})
			if err != nil {
				return fmt.Errorf("the built-in Grid IDL: %w", err)
			}
			s.spec, s.idlPath = spec, ""
			return nil
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.baseDir, p)
		}
		spec, err := idl.ParseFile(p, idl.Options{})
		if err != nil {
			return fmt.Errorf("the IDL does not parse: %w; fix the IDL or give another file", err)
		}
		s.spec, s.idlPath = spec, p
	case "interface":
		if s.spec == nil {
			return fmt.Errorf("ask the idl question before the interface")
		}
		name := v.(string)
		it, ok := s.spec.Lookup(name).(*idl.Interface)
		if !ok || it.Forward {
			var names []string
			for _, i := range s.spec.Interfaces() {
				names = append(names, i.ScopedName())
			}
			return fmt.Errorf("%q is not an interface of the IDL; choose one of %s", name, strings.Join(names, ", "))
		}
		s.iface = it
		s.ops = operations(it)
	case "operations":
		if s.iface == nil {
			return fmt.Errorf("ask the interface question before the read-only operations")
		}
		for _, op := range v.([]string) {
			if !contains(s.ops, op) {
				return fmt.Errorf("%q is not an operation of %s; choose among %s", op, s.iface.ScopedName(), strings.Join(s.ops, ", "))
			}
		}
	case "module":
		if m := v.(string); !modulePath.MatchString(m) {
			return fmt.Errorf("%q is not a Go module path; use a path like example.com/grid", m)
		}
	case "key":
		if k := v.(string); strings.ContainsAny(k, "\x00\n") {
			return fmt.Errorf("the key may not contain NUL or newlines")
		}
	}
	return nil
}

// operations lists the wire names of an interface's operations (its
// bases' too), without the attributes.
func operations(it *idl.Interface) []string {
	var out []string
	for _, i := range append(it.AllBases(), it) {
		for _, d := range i.Defs {
			if op, ok := d.(*idl.Operation); ok {
				out = append(out, op.Name)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// questionError names the question in an error.
func questionError(q *Question, err error) error {
	return fmt.Errorf("question %q (%s): %w", q.Key, q.Prompt, err)
}

// ReadAnswersFile reads an answers file: the wizard's name and the
// answers as written (checked by Resolve).
func ReadAnswersFile(path string) (wizard string, raw map[string]any, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("answers: %w", err)
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return "", nil, fmt.Errorf("answers: %s: %w", path, err)
	}
	w, _ := raw["wizard"].(string)
	if w == "" {
		return "", nil, fmt.Errorf("answers: %s: question \"wizard\": missing; add wizard: replicated-updates (or simple)", path)
	}
	delete(raw, "wizard")
	return w, raw, nil
}

// Resolve checks raw answers against t's questions, in order, filling in
// defaults for questions not answered. baseDir is what a relative idl
// path is relative to. Keys that are not questions of t are errors.
func Resolve(t *Template, raw map[string]any, baseDir string) (*Config, error) {
	for k := range raw {
		found := false
		for _, q := range t.Questions {
			found = found || q.Key == k
		}
		if !found {
			return nil, fmt.Errorf("answers: %q is not a question of the %s wizard; remove it", k, t.Name)
		}
	}
	s := &session{baseDir: baseDir}
	ans := Answers{}
	for _, q := range t.Questions {
		v, ok := raw[q.Key]
		if !ok {
			v = q.Default
		}
		n, err := q.normalize(v)
		if err == nil {
			err = s.check(q, n)
		}
		if err != nil {
			return nil, questionError(q, err)
		}
		ans[q.Key] = n
	}
	return newConfig(t, ans, s)
}

// CheckAnswer checks the answer v to question q of t given the answers
// so far (earlier questions, by key), as Resolve would; prompts use it to
// refuse a bad answer at once.
func CheckAnswer(t *Template, so map[string]any, q *Question, v any, baseDir string) error {
	s := &session{baseDir: baseDir}
	for _, prev := range t.Questions {
		if prev == q {
			break
		}
		pv, ok := so[prev.Key]
		if !ok {
			pv = prev.Default
		}
		n, err := prev.normalize(pv)
		if err == nil {
			err = s.check(prev, n)
		}
		if err != nil {
			return questionError(prev, err)
		}
	}
	n, err := q.normalize(v)
	if err == nil {
		err = s.check(q, n)
	}
	return err
}
