package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/maestro/iiop"
)

func runIOR(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run(args, &out, &errb)
	return out.String(), errb.String(), rc
}

func TestMakeThenDescribe(t *testing.T) {
	out, errs, rc := runIOR(t, "make", "-type", "IDL:Grid:1.0", "-key", "MAE:00112233:Grid", "-addr", "127.0.0.1:1000, 127.0.0.1:2000")
	if rc != 0 {
		t.Fatalf("make: rc %d %s", rc, errs)
	}
	ref := strings.TrimSpace(out)
	parsed, err := iiop.ParseIOR(ref)
	if err != nil {
		t.Fatal(err)
	}
	if ps, _ := parsed.IIOPProfiles(); len(ps) != 3 {
		t.Fatalf("%d profiles", len(ps))
	}
	path := filepath.Join(t.TempDir(), "Grid.ior")
	os.WriteFile(path, []byte(ref+"\n"), 0o644)
	for _, arg := range []string{ref, path} {
		desc, errs, rc := runIOR(t, arg)
		if rc != 0 {
			t.Fatalf("%s: rc %d %s", arg, rc, errs)
		}
		for _, want := range []string{`Type ID: "IDL:Grid:1.0"`, "Profiles: 3", "1. IIOP 1.2 127.0.0.1 1000", `"MAE:00112233:Grid"`, "TAG_ALTERNATE_IIOP_ADDRESS 127.0.0.1 2000", "TAG_CODE_SETS char native UTF-8", "3. IIOP 1.2 127.0.0.1 2000"} {
			if !strings.Contains(desc, want) {
				t.Errorf("description lacks %q:\n%s", want, desc)
			}
		}
	}
	desc, _, rc := runIOR(t, "corbaloc:iiop:1.1@example.org:2809/Name%20Service")
	if rc != 0 || !strings.Contains(desc, "IIOP 1.1 example.org 2809") || !strings.Contains(desc, `"Name Service"`) {
		t.Fatalf("corbaloc: %d %s", rc, desc)
	}
}

func TestErrors(t *testing.T) {
	for _, args := range [][]string{{"IOR:zz"}, {"/no/such/file"}, {"make", "-type", "X"}, {"make", "-type", "X", "-key", "k", "-addr", "nohostport"}, {"make", "-type", "X", "-key", "k", "-addr", "h:1", "-giop", "2.0"}} {
		if _, errs, rc := runIOR(t, args...); rc == 0 || errs == "" {
			t.Errorf("%v: rc %d", args, rc)
		}
	}
	if _, errs, rc := runIOR(t); rc != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("no args: rc %d", rc)
	}
}
