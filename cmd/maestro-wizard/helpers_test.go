package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// repoRoot is the checkout these tests run in (two levels up).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

// generate runs the wizard on an answers file written into a fresh
// directory and returns the project directory.
func generate(t *testing.T, answers string, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	ans := filepath.Join(dir, "answers.yaml")
	require.NoError(t, os.WriteFile(ans, []byte(answers), 0o644))
	out := filepath.Join(dir, "project")
	var stdout, stderr bytes.Buffer
	args := append([]string{"-answers", ans, "-out", out, "-templates", filepath.Join(repoRoot(t), "templates"), "-replace", repoRoot(t)}, extra...)
	require.NoError(t, run(args, nil, &stdout, &stderr), "stderr: %s", stderr.String())
	return out
}

// goCmd runs the go command in dir, offline, and returns its output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s in %s:\n%s", strings.Join(args, " "), dir, out)
	return string(out)
}

// buildProject tidies, vets and tests a generated project, then builds
// its server and returns the binary.
func buildProject(t *testing.T, dir string) string {
	t.Helper()
	goCmd(t, dir, "mod", "tidy")
	goCmd(t, dir, "vet", "./...")
	out := goCmd(t, dir, "test", "-count=1", "-v", "./...")
	require.Contains(t, out, "--- PASS: Test", "the generated test ran")
	bin := filepath.Join(t.TempDir(), "server")
	goCmd(t, dir, "build", "-o", bin, ".")
	return bin
}

// server is a running generated server.
type server struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{} // closed once the process has exited
	waitErr error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs bin with args; it is stopped at the end of the test.
func start(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	require.NoError(t, s.cmd.Start())
	go func() { s.waitErr = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop sends SIGINT and requires a clean exit within 15 s (else SIGKILL
// and an error); stopping a stopped server does nothing.
func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
		if s.waitErr != nil {
			t.Errorf("%s did not stop cleanly on SIGINT: %v\n%s", s.cmd.Path, s.waitErr, s.out.String())
		}
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("%s ignored SIGINT for 15s\n%s", s.cmd.Path, s.out.String())
	}
}

// addr waits (30 s at most) for the "serving at HOST:PORT" line.
func (s *server) addr(t *testing.T) string {
	t.Helper()
	re := regexp.MustCompile(`serving at (\S+);`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no serving line; output:\n%s", s.out.String())
	return ""
}

// waitIOR waits (up to 60 s) until path holds an IOR whose first profile
// names addrs addresses (and each of want, if given), and returns it.
func waitIOR(t *testing.T, path string, addrs int, servers []*server, want ...string) *iiop.IOR {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			if ref, err := iiop.ParseIOR(strings.TrimSpace(string(b))); err == nil {
				if ps, err := ref.IIOPProfiles(); err == nil && len(ps) > 0 && len(ps[0].Addrs()) == addrs {
					named := map[string]bool{}
					for _, a := range ps[0].Addrs() {
						named[a.String()] = true
					}
					all := true
					for _, w := range want {
						all = all && named[w]
					}
					if all {
						return ref
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	var outs []string
	for _, s := range servers {
		outs = append(outs, s.out.String())
	}
	t.Fatalf("%s never named %d addresses; servers said:\n%s", path, addrs, strings.Join(outs, "\n---\n"))
	return nil
}

// runClient runs an omniORB client and requires it to pass.
func runClient(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return runClientInput(t, "", bin, args...)
}

// runClientInput is runClient with standard input.
func runClientInput(t *testing.T, stdin, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "client output:\n%s", out)
	require.NotContains(t, string(out), "FAIL")
	return string(out)
}
