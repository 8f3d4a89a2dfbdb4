// Package strictyaml decodes configuration files strictly: a key the
// target does not have is an error with its line number (a misspelt
// option must never silently keep its default), and so is a second
// document in the file.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Decode decodes the YAML document in b into v. An empty file leaves v
// unchanged.
func Decode(b []byte, v any) error {
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	var extra yaml.Node
	if err := d.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return err
		}
		return fmt.Errorf("line %d: a second YAML document; a configuration file holds one", extra.Line)
	}
	return nil
}
