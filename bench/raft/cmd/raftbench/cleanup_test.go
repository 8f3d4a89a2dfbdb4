package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

// TestNodeExitsOnStdinEOF checks the mechanism that ties a node's life to
// its driver: closing the node's stdin makes it exit cleanly.
func TestNodeExitsOnStdinEOF(t *testing.T) {
	bin := raftbenchBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-node", "solo")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var hello control.Reply
	if err := json.NewDecoder(stdout).Decode(&hello); err != nil || !strings.HasPrefix(hello.Addr, "127.0.0.1:") {
		t.Fatalf("hello %+v, err %v", hello, err)
	}
	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node did not exit cleanly on stdin EOF: %v", err)
	}
}

// TestDriverSignalsStopAllNodes interrupts or kills a running driver and
// checks that no node process survives it.
func TestDriverSignalsStopAllNodes(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			bin := raftbenchBinary(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-v", "-sizes", "16", "-modes", "seq", "-duration", "30s", "-warmup", "0")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			for sc.Scan() && !strings.HasPrefix(sc.Text(), "leader is") {
			}
			if n := len(processesRunning(t, bin)); n != 4 {
				t.Errorf("expected driver + 3 nodes running, found %d processes", n)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go func() { // keep draining so the driver never blocks on stderr
				for sc.Scan() {
				}
			}()
			err = cmd.Wait()
			var ee *exec.ExitError
			if sig == syscall.SIGINT {
				if !errors.As(err, &ee) || ee.ExitCode() != 130 {
					t.Errorf("driver exit after SIGINT: %v, want status 130", err)
				}
			}
			waitNoProcesses(t, bin, 15*time.Second)
		})
	}
}
