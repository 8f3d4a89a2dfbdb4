package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/AlecAivazis/survey/v2"

	"github.com/maestro-go/maestro/internal/wizard"
)

// interactive lists the wizards, asks the chosen one's questions with
// their defaults (each answer checked as it is given) and the output
// directory, and returns the checked configuration.
func interactive(ts []*wizard.Template, o options, out io.Writer) (*wizard.Config, string, error) {
	var labels []string
	byLabel := map[string]*wizard.Template{}
	for _, t := range ts {
		l := fmt.Sprintf("%s (%s)", t.Title, t.Name)
		labels = append(labels, l)
		byLabel[l] = t
	}
	var chosen string
	def := labels[0]
	for _, l := range labels {
		if byLabel[l].Name == "replicated-updates" {
			def = l
		}
	}
	err := survey.AskOne(&survey.Select{
		Message: "Which wizard?",
		Options: labels,
		Default: def,
		Description: func(value string, _ int) string {
			return strings.SplitN(strings.TrimSpace(byLabel[value].Describe), "\n", 2)[0]
		},
	}, &chosen)
	if err != nil {
		return nil, "", err
	}
	t := byLabel[chosen]
	fmt.Fprintf(out, "%s\n", strings.TrimSpace(t.Describe))
	raw := map[string]any{}
	for _, q := range t.Questions {
		if q.Key == "idl" && o.idl != "" {
			raw["idl"] = o.idl
			continue
		}
		v, err := ask(t, q, raw)
		if err != nil {
			return nil, "", err
		}
		raw[q.Key] = v
	}
	dir := o.out
	if dir == "" {
		if err := survey.AskOne(&survey.Input{Message: "Output directory", Default: "./" + strings.ToLower(raw["name"].(string))}, &dir,
			survey.WithValidator(survey.Required)); err != nil {
			return nil, "", err
		}
	}
	cfg, err := wizard.Resolve(t, raw, ".")
	return cfg, dir, err
}

// ask asks one question; its answer is checked with the answers so far.
func ask(t *wizard.Template, q *wizard.Question, so map[string]any) (any, error) {
	validate := survey.WithValidator(func(ans any) error {
		if o, ok := ans.(survey.OptionAnswer); ok {
			ans = o.Value
		}
		return wizard.CheckAnswer(t, so, q, ans, ".")
	})
	switch q.Kind {
	case "bool":
		var b bool
		d, _ := q.Default.(bool)
		err := survey.AskOne(&survey.Confirm{Message: q.Prompt, Default: d, Help: q.Help}, &b)
		return b, err
	case "choice":
		var labels []string
		def := ""
		for _, c := range q.Choices {
			labels = append(labels, c.Label)
			if c.Value == q.Default {
				def = c.Label
			}
		}
		var idx int
		if err := survey.AskOne(&survey.Select{Message: q.Prompt, Options: labels, Default: def, Help: q.Help}, &idx); err != nil {
			return nil, err
		}
		return q.Choices[idx].Value, nil
	}
	def := fmt.Sprint(q.Default)
	switch d := q.Default.(type) {
	case nil:
		def = ""
	case int:
		def = strconv.Itoa(d)
	case []any:
		var parts []string
		for _, x := range d {
			parts = append(parts, fmt.Sprint(x))
		}
		def = strings.Join(parts, ",")
	}
	var s string
	if err := survey.AskOne(&survey.Input{Message: q.Prompt, Default: def, Help: q.Help}, &s, validate); err != nil {
		return nil, err
	}
	return s, nil
}
