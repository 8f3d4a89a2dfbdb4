package strictyaml

import (
	"strings"
	"testing"
	"time"
)

type opts struct {
	Group   string        `yaml:"group"`
	Suspect time.Duration `yaml:"suspect_timeout"`
	Nested  struct {
		Tick time.Duration `yaml:"tick"`
	} `yaml:"nested"`
}

func TestDecode(t *testing.T) {
	var o opts
	if err := Decode([]byte("group: g\nsuspect_timeout: 3s\nnested:\n  tick: 5ms\n"), &o); err != nil {
		t.Fatal(err)
	}
	if o.Group != "g" || o.Suspect != 3*time.Second || o.Nested.Tick != 5*time.Millisecond {
		t.Fatalf("%+v", o)
	}
	if err := Decode(nil, &o); err != nil || o.Group != "g" {
		t.Fatalf("empty file: %v %+v", err, o)
	}
	for _, c := range []struct{ yaml, want string }{
		{"group: g\nsuspect_timout: 3s\n", "line 2: field suspect_timout not found"},
		{"nested:\n  tik: 5ms\n", "line 2: field tik not found"},
		{"group: [1\n", "line 1"},
		{"suspect_timeout: soon\n", "line 1"},
		{"group: a\n---\ngroup: b\n", "line 2: a second YAML document"},
	} {
		err := Decode([]byte(c.yaml), &opts{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.yaml, err, c.want)
		}
	}
}
