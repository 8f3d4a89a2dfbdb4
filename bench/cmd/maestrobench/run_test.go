package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// runMaestrobench builds this command and runs it with args, giving up
// after timeout; it returns standard output and fails the test if the
// command fails.
func runMaestrobench(t *testing.T, timeout time.Duration, args ...string) []byte {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "maestrobench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("maestrobench %v did not finish within %v", args, timeout)
	}
	if err != nil {
		t.Fatalf("maestrobench %v: %v\n%s", args, err, out)
	}
	return out
}
