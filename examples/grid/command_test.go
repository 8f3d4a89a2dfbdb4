package main

import (
	"strings"
	"testing"
)

// TestCSXCommandsRejectBadInput: values outside a 32-bit long, cells
// outside the grid, words that are not numbers and unknown commands are
// refused with a message, before anything is sent.
func TestCSXCommandsRejectBadInput(t *testing.T) {
	r := &replica{}
	for line, want := range map[string]string{
		"set 1 2 99999999999": "does not fit a 32-bit long",
		"set 1 2 -2147483649": "does not fit a 32-bit long",
		"set 10 2 5":          "outside the 10x10 grid",
		"get 1 -1":            "outside the 10x10 grid",
		"set 1 two 3":         `"two" is not a number`,
		"frobnicate":          "unknown command",
		"set 1 2":             "unknown command",
	} {
		err := r.command(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", line, err, want)
		}
	}
}
