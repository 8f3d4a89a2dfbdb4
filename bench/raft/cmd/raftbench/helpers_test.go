package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// TestMain removes the shared build directory after all tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// raftbenchBinary builds this command once per test run with the go tool
// (go test puts its own GOROOT/bin first on PATH).
func raftbenchBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "raftbench-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "raftbench")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("build raftbench: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// processesRunning lists the pids whose executable is exe (Linux /proc).
func processesRunning(t *testing.T, exe string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var pids []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		if strings.TrimSuffix(target, " (deleted)") == exe {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// waitNoProcesses fails unless no process runs exe within limit.
func waitNoProcesses(t *testing.T, exe string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		pids := processesRunning(t, exe)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes still running %v after %v: %v", exe, limit, pids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
