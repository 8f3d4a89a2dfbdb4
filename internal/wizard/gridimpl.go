package wizard

import (
	"bytes"
	_ "embed"
	"fmt"
	"go/format"
	"strings"
	"text/template"
)

//go:embed gridimpl.go.tmpl
var gridImplSource string

var gridImpl = template.Must(template.New("grid").Parse(gridImplSource))

// builtinGrid reports whether the project serves the built-in Grid IDL,
// whose servant file the wizard fills in, so that the default project is
// a Grid that runs.
func (c *Config) builtinGrid() bool { return c.IDLPath == "" && c.Interface == "Grid" }

// gridServant is the filled-in servant file of the built-in Grid.
func (c *Config) gridServant() ([]byte, error) {
	var b bytes.Buffer
	err := gridImpl.Execute(&b, map[string]any{
		"Name":  c.Name,
		"Recv":  strings.ToLower(c.Name[:1]),
		"RU":    c.ORB == "replicated-updates",
		"State": c.StateTransfer,
	})
	if err != nil {
		return nil, fmt.Errorf("wizard: the Grid servant: %w", err)
	}
	return format.Source(b.Bytes())
}
