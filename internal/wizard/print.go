package wizard

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// PrintAnswers writes an answers file for t holding every default, each
// question's prompt, choices and the option it sets as comments.
func PrintAnswers(t *Template) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Answers for the %s wizard (%s).\n# Use: maestro-wizard -answers FILE -out DIR\n", t.Name, filepath.Base(t.Path))
	for _, line := range strings.Split(strings.TrimSpace(t.Describe), "\n") {
		fmt.Fprintf(&b, "#   %s\n", line)
	}
	fmt.Fprintf(&b, "wizard: %s\n", t.Name)
	for _, q := range t.Questions {
		fmt.Fprintf(&b, "\n# %s\n", q.Prompt)
		for _, c := range q.Choices {
			fmt.Fprintf(&b, "#   %s: %s\n", c.Value, c.Label)
		}
		if q.Sets != "" {
			fmt.Fprintf(&b, "# sets %s\n", q.Sets)
		}
		v, err := q.normalize(q.Default)
		if err != nil {
			return nil, err
		}
		out, err := yaml.Marshal(map[string]any{q.Key: v})
		if err != nil {
			return nil, err
		}
		b.Write(out)
	}
	return b.Bytes(), nil
}
