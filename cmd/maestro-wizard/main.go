// Command maestro-wizard asks the design questions of a replicated CORBA
// object (dissertation §3.7) and generates a Go project that serves it:
// interactively in a terminal, or from an answers file.
//
//	maestro-wizard                                  # interactive: choose a wizard, answer its questions
//	maestro-wizard -answers answers.yaml -out DIR   # scripted; identical answers give identical files
//	maestro-wizard -print-answers [-wizard simple]  # an answers file with every default, commented
//
// Flags: -templates DIR (default $MAESTRO_TEMPLATES, else templates/ found
// from the current directory up), -idl FILE (overrides the idl answer),
// -replace PATH (adds "replace github.com/maestro-go/maestro => PATH" to
// go.mod; by default the checkout the wizard runs in, if any), -force
// (overwrite generated files; the file you edit is always kept).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/internal/wizard"
)

func main() {
	os.Exit(cli.Status("maestro-wizard", run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr))
}

type options struct {
	answers, out, templates, idl, replace, wizard string
	print, force                                  bool
}

// parseFlags reads the command line; -h writes the help to stdout and
// returns flag.ErrHelp, and a mistake is a cli.UsageError naming it.
func parseFlags(args []string, stdout io.Writer) (options, error) {
	var o options
	c := cli.New("maestro-wizard", "ask the design questions of a replicated CORBA object (§3.7) and generate a Go project that serves it",
		"                                  interactive: choose a wizard, answer its questions",
		"-answers answers.yaml -out DIR   scripted: identical answers give identical files",
		"-print-answers [-wizard simple]  an answers file with every default, commented")
	fs := c.Flags
	fs.StringVar(&o.answers, "answers", "", "answers file (YAML); without it the wizard asks in the terminal")
	fs.StringVar(&o.out, "out", "", "directory of the generated project (asked when interactive)")
	fs.StringVar(&o.templates, "templates", "", "wizard repository (default $MAESTRO_TEMPLATES, else templates/)")
	fs.StringVar(&o.idl, "idl", "", "IDL file, overriding the idl answer")
	fs.StringVar(&o.replace, "replace", "auto", "local checkout of github.com/maestro-go/maestro for go.mod's replace (auto: the one the wizard runs in; none: no replace)")
	fs.StringVar(&o.wizard, "wizard", "replicated-updates", "wizard whose answers -print-answers writes")
	fs.BoolVar(&o.print, "print-answers", false, "write an answers file with the defaults to standard output")
	fs.BoolVar(&o.force, "force", false, "overwrite existing generated files (never the file you edit)")
	if err := c.Parse(args, stdout); err != nil {
		return o, err
	}
	return o, c.NoArgs()
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	dir, err := wizard.TemplatesDir(o.templates)
	if err != nil {
		return err
	}
	ts, err := wizard.LoadTemplates(dir)
	if err != nil {
		return err
	}
	if o.print {
		t, err := wizard.Find(ts, o.wizard)
		if err != nil {
			return err
		}
		b, err := wizard.PrintAnswers(t)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	var cfg *wizard.Config
	if o.answers != "" {
		if o.out == "" {
			return cli.Usagef("-answers needs -out DIR, the directory of the generated project")
		}
		name, raw, err := wizard.ReadAnswersFile(o.answers)
		if err != nil {
			return err
		}
		t, err := wizard.Find(ts, name)
		if err != nil {
			return err
		}
		if o.idl != "" {
			abs, err := filepath.Abs(o.idl)
			if err != nil {
				return err
			}
			raw["idl"] = abs
		}
		if cfg, err = wizard.Resolve(t, raw, filepath.Dir(o.answers)); err != nil {
			return err
		}
	} else {
		f, ok := stdin.(*os.File)
		if !ok || !isTerminal(f) {
			return errors.New("standard input is not a terminal: give -answers FILE (start one with -print-answers)")
		}
		if cfg, o.out, err = interactive(ts, o, stdout); err != nil {
			return err
		}
	}
	replace, err := replacePath(o.replace)
	if err != nil {
		return err
	}
	files, err := cfg.Project(replace)
	if err != nil {
		return err
	}
	written, err := wizard.Write(o.out, files, o.force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s in %s\n", strings.Join(written, ", "), o.out)
	fmt.Fprintf(stdout, "next: cd %s && go mod tidy && go test ./... && go run . -etc /tmp/etc\n", o.out)
	return nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// replacePath resolves -replace: auto finds the checkout of this module
// the current directory is in.
func replacePath(flagValue string) (string, error) {
	switch flagValue {
	case "none", "":
		return "", nil
	case "auto":
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
				strings.HasPrefix(string(b), "module "+wizard.MaestroModule+"\n") {
				return d, nil
			}
			if filepath.Dir(d) == d {
				return "", nil
			}
		}
	}
	return filepath.Abs(flagValue)
}
