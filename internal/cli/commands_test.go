package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/proctest"
)

// commands are the programs a user runs, by package.
var commands = map[string]string{
	"chat":           "./examples/chat",
	"grid":           "./examples/grid",
	"ior":            "./cmd/ior",
	"newkey":         "./cmd/newkey",
	"maestro":        "./cmd/maestro",
	"maestro-wizard": "./cmd/maestro-wizard",
	"maestro-idl":    "./cmd/maestro-idl",
}

// invocation is one command line and what it must do: its exit status
// and the first line it prints (on standard output for status 0, on
// standard error otherwise).
type invocation struct {
	cmd   string
	args  []string
	code  int
	first string // prefix of the first line
}

var invocations = []invocation{
	// -h: a one-line description, then usage and flags; status 0.
	{"chat", []string{"-h"}, 0, "chat: a Maestro group chat"},
	{"grid", []string{"-h"}, 0, "grid: the Grid example"},
	{"ior", []string{"-h"}, 0, "ior: describe an interoperable object reference"},
	{"ior", []string{"make", "-h"}, 0, "ior make: print a compound reference"},
	{"newkey", []string{"-help"}, 0, "newkey: print fresh, globally unique Maestro object keys"},
	{"maestro", []string{"-h"}, 0, "maestro: the operator's command"},
	{"maestro", []string{"status", "-h"}, 0, "maestro status: print a running member's view"},
	{"maestro", []string{"keygen", "-h"}, 0, "maestro keygen: write a fresh random 256-bit group key"},
	{"maestro", []string{"config", "-h"}, 0, "maestro config: write a commented YAML file"},
	{"maestro", []string{"ior", "-h"}, 0, "maestro ior: describe an interoperable object reference"},
	{"maestro", []string{"newkey", "-h"}, 0, "maestro newkey: print fresh"},
	{"maestro-wizard", []string{"-h"}, 0, "maestro-wizard: ask the design questions"},
	{"maestro-idl", []string{"-h"}, 0, "maestro-idl: compile an IDL interface to Go"},
	// A flag the command does not have.
	{"chat", []string{"-bogus"}, 2, "chat: flag provided but not defined: -bogus"},
	{"grid", []string{"-bogus"}, 2, "grid: flag provided but not defined: -bogus"},
	{"ior", []string{"-bogus"}, 2, "ior: flag provided but not defined: -bogus"},
	{"ior", []string{"make", "-bogus"}, 2, "ior make: flag provided but not defined: -bogus"},
	{"newkey", []string{"-bogus"}, 2, "newkey: flag provided but not defined: -bogus"},
	{"maestro", []string{"status", "-bogus"}, 2, "maestro status: flag provided but not defined: -bogus"},
	{"maestro", []string{"keygen", "-bogus"}, 2, "maestro keygen: flag provided but not defined: -bogus"},
	{"maestro", []string{"bogus"}, 2, `maestro: unknown command "bogus"`},
	{"maestro-wizard", []string{"-bogus"}, 2, "maestro-wizard: flag provided but not defined: -bogus"},
	{"maestro-idl", []string{"-bogus"}, 2, "maestro-idl: flag provided but not defined: -bogus"},
	{"maestro-wizard", []string{"-answers", "a.yaml"}, 2, "maestro-wizard: -answers needs -out DIR"},
	{"maestro-wizard", []string{"extra"}, 2, `maestro-wizard: unexpected argument "extra"`},
	{"maestro-idl", nil, 2, "maestro-idl: give one IDL file"},
	// A value of the wrong type.
	{"chat", []string{"-suspect", "soon"}, 2, `chat: invalid value "soon" for flag -suspect`},
	{"grid", []string{"-replicas", "three"}, 2, `grid: invalid value "three" for flag -replicas`},
	// A value of the right type that makes no sense.
	{"chat", []string{"-multicast", "nonsense"}, 2, `chat: -multicast "nonsense": want an IP multicast group:port`},
	{"chat", []string{"-multicast", "1.2.3.4:9"}, 2, "chat: -multicast 1.2.3.4:9: 1.2.3.4 is not an IP multicast address"},
	{"chat", []string{"-no-multicast-data"}, 2, "chat: -no-multicast-data needs -multicast"},
	{"chat", []string{"-suspect", "-1s"}, 2, "chat: -suspect -1s: must not be negative"},
	{"chat", []string{"-suspect", "10ms"}, 2, "chat: -suspect 10ms is too short"},
	{"chat", []string{"-portbase", "70000"}, 2, "chat: -portbase 70000: want a port number"},
	{"grid", []string{"-mode", "nope"}, 2, `grid: unknown -mode "nope"`},
	{"grid", []string{"-mode", "simple"}, 2, "grid: -etc DIR (or $MAESTRO_ETC) is required"},
	{"grid", []string{"-mode", "csx"}, 2, "grid: -mode csx needs -group NAME"},
	{"grid", []string{"-mode", "csx", "-group", "g", "-suspect", "-2s"}, 2, "grid: -suspect -2s: must not be negative"},
	{"grid", []string{"-mode", "csx", "-group", "g", "-replicas", "-1"}, 2, "grid: -replicas -1: want the number of replicas"},
	{"grid", []string{"-mode", "simple", "-etc", "d", "-giop", "1.5"}, 2, "grid: -giop:"},
	{"grid", []string{"-mode", "simple", "-etc", "d", "-key", "nokey"}, 2, "grid: -key:"},
	{"ior", []string{"make", "-type", "IDL:Grid:1.0", "-key", "k", "-addr", "h:1", "-giop", "9.9"}, 2, "ior make: -giop:"},
	{"ior", []string{"make", "-key", "k", "-addr", "h:1"}, 2, "ior make: -type is required"},
	// Arguments the command does not take, or none where it needs one.
	{"chat", []string{"-group", "g", "extra"}, 2, `chat: unexpected argument "extra"`},
	{"grid", []string{"-mode", "simple", "-etc", "d", "extra"}, 2, `grid: unexpected argument "extra"`},
	{"ior", nil, 2, "ior: usage: ior IOR:..."},
	{"ior", []string{"IOR:00", "IOR:01"}, 2, `ior: unexpected argument "IOR:01"`},
	{"ior", []string{"make", "-type", "T", "-key", "k", "-addr", "h:1", "extra"}, 2, `ior make: unexpected argument "extra"`},
	{"newkey", nil, 2, "newkey: usage: newkey NAME..."},
	{"maestro", nil, 2, "maestro: the operator's command"},
	{"maestro", []string{"status"}, 2, "maestro status: missing ADDR"},
	{"maestro", []string{"keygen"}, 2, "maestro keygen: usage: maestro keygen FILE"},
	{"maestro", []string{"config", "print", "extra"}, 2, "maestro config: usage: maestro config print"},
	{"maestro", []string{"status", "-timeout", "-1s", "127.0.0.1:1"}, 2, "maestro status: -timeout"},
	// A failure while running: status 1.
	{"ior", []string{"/no/such/file"}, 1, "ior: open /no/such/file"},
	{"newkey", []string{"bad:name"}, 1, "newkey: "},
	{"maestro", []string{"status", "-timeout", "1s", "127.0.0.1:1"}, 1, "maestro status: "},
	{"maestro-idl", []string{"/no/such.idl"}, 1, "maestro-idl: "},
}

// TestCommandLines runs every command with -h, with each kind of bad
// flag and argument, and checks the exit status and the first line.
func TestCommandLines(t *testing.T) {
	bins := map[string]string{}
	for name, pkg := range commands {
		bins[name] = proctest.Build(t, pkg)
	}
	for _, inv := range invocations {
		t.Run(inv.cmd+" "+strings.Join(inv.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bins[inv.cmd], inv.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			out := stdout.String()
			if inv.code != 0 {
				out = stderr.String()
			}
			first, _, _ := strings.Cut(out, "\n")
			if code != inv.code || !strings.HasPrefix(first, inv.first) {
				t.Fatalf("exit status %d, first line %q; want %d and %q\nstdout: %s\nstderr: %s", code, first, inv.code, inv.first, stdout.String(), stderr.String())
			}
			if inv.code == 0 && (!strings.Contains(out, "\nusage:\n") || stderr.Len() > 0) {
				t.Fatalf("help lacks usage or writes to stderr:\n%s%s", out, stderr.String())
			}
		})
	}
}
