// Package proctest runs example programs as real OS processes in tests:
// it builds a command once per test binary, starts copies of it with
// piped standard input and output, and lets tests wait for output lines.
package proctest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Build compiles the main package at pkg (an import path or ./ path
// relative to the module root) once per test binary and returns the path
// of the executable.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "maestro-proctest-")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = moduleRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// Proc is a running process whose output lines are collected.
type Proc struct {
	Name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu    sync.Mutex
	lines []string
	errs  []string
	cond  *sync.Cond
	done  chan struct{}
}

// Start starts bin with args; the process is killed when the test ends.
func Start(t testing.TB, name, bin string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &Proc{Name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.collect(stdout, &p.lines) }()
	go func() { defer wg.Done(); p.collect(stderr, &p.errs) }()
	go func() {
		wg.Wait()
		_ = cmd.Wait()
		close(p.done)
		p.cond.Broadcast()
	}()
	t.Cleanup(func() {
		p.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
		if t.Failed() {
			t.Logf("%s stderr (last lines):\n%s", p.Name, tail(p.Stderr(), 30))
		}
	})
	return p
}

func (p *Proc) collect(r io.Reader, into *[]string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		*into = append(*into, sc.Text())
		p.mu.Unlock()
		p.cond.Broadcast()
	}
}

// Send writes lines to the process's standard input.
func (p *Proc) Send(lines ...string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(p.stdin, b.String())
	return err
}

// CloseStdin closes the process's standard input.
func (p *Proc) CloseStdin() error { return p.stdin.Close() }

// Lines returns the standard output lines so far.
func (p *Proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Stderr returns the standard error lines so far.
func (p *Proc) Stderr() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// WaitFor waits until match accepts the output lines seen so far (it is
// called again on every new line), the process exits, or timeout passes.
func (p *Proc) WaitFor(timeout time.Duration, what string, match func(lines []string) bool) error {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, p.cond.Broadcast)
	defer timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for !match(p.lines) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while waiting for %s", p.Name, what)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no %s within %v; last output:\n%s", p.Name, what, timeout, tail(p.lines, 10))
		}
		p.cond.Wait()
	}
	return nil
}

// Kill sends SIGKILL.
func (p *Proc) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

// Signal sends sig.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Done is closed when the process has exited and its output is read.
func (p *Proc) Done() <-chan struct{} { return p.done }

// ExitCode returns the exit code once Done is closed.
func (p *Proc) ExitCode() int { return p.cmd.ProcessState.ExitCode() }

func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
