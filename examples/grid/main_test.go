package main

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/internal/proctest"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestParseConfig(t *testing.T) {
	_, _, err := parseConfig([]string{"-mode", "nope", "-etc", "x"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "valid modes: csx, ru, simple") {
		t.Fatalf("unknown mode: %v", err)
	}
	if _, _, err := parseConfig([]string{"-mode", "simple", "-etc", "x", "-giop", "1.5"}, io.Discard); err == nil {
		t.Fatal("-giop 1.5 accepted")
	}
	t.Setenv("MAESTRO_ETC", "")
	if _, _, err := parseConfig([]string{"-mode", "simple"}, io.Discard); err == nil {
		t.Fatal("missing -etc accepted")
	}
	mode, cfg, err := parseConfig([]string{"-etc", "d", "-giop", "1.0", "-key", "MAE:3f809d92a791947c346778da00069523b3:Grid"}, io.Discard)
	if err != nil || mode != "simple" || cfg.GIOP.Minor != 0 || cfg.Key.Hash() != 0x3f809d92 || cfg.Listen != "127.0.0.1:0" {
		t.Fatalf("%v %+v %v", mode, cfg, err)
	}
}

// TestBinaryServesAndStopsOnSignal builds the command, runs it as users
// do, calls it with the omniORB client, then interrupts it.
func TestBinaryServesAndStopsOnSignal(t *testing.T) {
	b := omniBinaries(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "grid")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	etc := filepath.Join(dir, "etc")
	os.Mkdir(etc, 0o755)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		os.Remove(filepath.Join(etc, "Grid.ior"))
		cmd := exec.Command(bin, "-mode", "simple", "-etc", etc, "-giop", "1.1")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() { cmd.Process.Kill() })
		ctx := testCtx(t, time.Minute)
		if _, err := omnibuild.WaitForFile(ctx, filepath.Join(etc, "Grid.ior")); err != nil {
			t.Fatalf("no Grid.ior: %v (output %s)", err, out.String())
		}
		res, err := b.RunClient(ctx, "grid", filepath.Join(etc, "Grid.ior"))
		requirePasses(t, res, err, 2)
		cmd.Process.Signal(sig)
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("%v: exit %v, output %s", sig, err, out.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%v did not stop the server", sig)
		}
	}
}

// TestSimpleModeCreatesEtcAndSaysWhenReady: -etc may name a directory
// that does not exist yet, and the server prints one line, with its
// address and the reference's path, once it accepts calls.
func TestSimpleModeCreatesEtcAndSaysWhenReady(t *testing.T) {
	bin := proctest.Build(t, "./examples/grid")
	etc := filepath.Join(t.TempDir(), "not", "yet")
	p := proctest.Start(t, "grid", bin, "-mode", "simple", "-etc", etc)
	path := filepath.Join(etc, "Grid.ior")
	want := regexp.MustCompile(`^serving Grid at 127\.0\.0\.1:\d+; its reference is in ` + regexp.QuoteMeta(path) + `$`)
	if err := p.WaitFor(30*time.Second, "ready line", func(l []string) bool { return len(l) > 0 && want.MatchString(l[0]) }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "IOR:") {
		t.Fatalf("%s: %q, %v", path, b, err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
		if p.ExitCode() != 0 {
			t.Fatalf("exit status %d after SIGTERM", p.ExitCode())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

// TestConfigFile: -config gives the group's options, flags given on the
// command line override them, a misspelt key is refused with its line,
// and a mode with no group refuses the file.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.yaml")
	if err := os.WriteFile(path, []byte("group: from-file\nseeds: [10.0.0.1:7400]\nreplicas: 3\nstate_dir: "+dir+
		"\nseed_refresh: 5s\nstack:\n  suspect_timeout: 3s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mode, cfg, err := parseConfig([]string{"-mode", "csx", "-config", path, "-seeds", "10.0.0.9:7400"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.groupOptions()
	if mode != "csx" || o.Group != "from-file" || cfg.Replicas != 3 || cfg.StateDir != dir || o.SeedRefresh != 5*time.Second ||
		o.Stack.SuspectTimeout != 3*time.Second || len(o.Seeds) != 1 || o.Seeds[0] != "10.0.0.9:7400" {
		t.Fatalf("options %+v, config %+v", o, cfg)
	}
	if err := os.WriteFile(path, []byte("group: g\nreplica: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseConfig([]string{"-mode", "csx", "-config", path}, io.Discard); err == nil || !strings.Contains(err.Error(), "line 2: field replica not found") {
		t.Fatalf("misspelt key: %v", err)
	}
	if _, _, err := parseConfig([]string{"-mode", "simple", "-etc", dir, "-config", path}, io.Discard); err == nil || !strings.Contains(err.Error(), "-config holds a group's options") {
		t.Fatalf("simple mode with -config: %v", err)
	}
}
