package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/maestro/orb"
)

func TestNewkeyPrintsUniqueKeys(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"Grid", "Grid"}, &out, &errb); rc != 0 {
		t.Fatalf("rc %d, stderr %q", rc, errb.String())
	}
	lines := strings.Fields(out.String())
	if len(lines) != 2 || lines[0] == lines[1] {
		t.Fatalf("want two different keys, got %q", lines)
	}
	re := regexp.MustCompile(`^MAE:[0-9a-f]{34}:Grid$`)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Fatalf("key %q does not look like MAE:<hex>:Grid", l)
		}
		k, err := orb.ParseKey(l)
		if err != nil || k.Name() != "Grid" {
			t.Fatalf("ParseKey(%q) = %v, %v", l, k, err)
		}
	}
}

func TestNewkeyUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run(nil, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("rc %d stderr %q", rc, errb.String())
	}
	if rc := run([]string{"bad:name"}, &out, &errb); rc != 1 {
		t.Fatalf("bad name accepted: rc %d", rc)
	}
}
