package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/report"
)

// TestServeRunsRequestedCells drives -serve mode the way maestrobench
// does: cells requested one at a time on stdin, in any order, each
// answered by one JSON cell; the replicas must agree on every entry
// acknowledged so far, and the driver and its nodes exit at stdin EOF.
// No timing assertions are made.
func TestServeRunsRequestedCells(t *testing.T) {
	bin := raftbenchBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-serve", "-ops", "150", "-duration", "0", "-warmup", "0", "-concurrency", "4")
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
	sc := bufio.NewScanner(stdout)
	var total uint64
	for i, req := range []struct {
		size int
		mode string
		conc int
	}{{1024, "conc", 4}, {16, "seq", 1}, {1024, "conc", 4}} {
		fmt.Fprintf(stdin, "{\"size\":%d,\"mode\":%q}\n", req.size, req.mode)
		if !sc.Scan() {
			t.Fatalf("request %d: no reply (%v)", i, sc.Err())
		}
		var c report.Cell
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("request %d: bad JSON %q: %v", i, sc.Text(), err)
		}
		total += uint64(c.Ops + c.WarmupOps)
		if c.Size != req.size || c.Mode != req.mode || c.Concurrency != req.conc || c.Ops != 150 {
			t.Errorf("request %d: unexpected cell %+v", i, c)
		}
		if !c.ReplicasConsistent || len(c.Applied) != 3 || c.Applied[0] != total {
			t.Errorf("request %d: replicas %v consistent=%t, want %d entries each", i, c.Applied, c.ReplicasConsistent, total)
		}
	}
	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver did not exit cleanly at stdin EOF: %v", err)
	}
	waitNoProcesses(t, bin, 10*time.Second)
}
