package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/report"
)

// TestEndToEndTinyWorkload runs the real driver, which spawns three node
// processes, and checks the JSON cells and replica agreement. No timing
// assertions are made.
func TestEndToEndTinyWorkload(t *testing.T) {
	bin := raftbenchBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-json", "-sizes", "16", "-ops", "200",
		"-duration", "0", "-warmup", "0", "-concurrency", "8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("raftbench: %v\nstderr:\n%s", err, stderr.String())
	}

	var cells []report.Cell
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var c report.Cell
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		cells = append(cells, c)
	}
	if len(cells) != 2 {
		t.Fatalf("got %d cells, want 2 (seq, conc):\n%s", len(cells), stdout.String())
	}
	wantMode := []string{"seq", "conc"}
	wantConc := []int{1, 8}
	var total uint64
	for i, c := range cells {
		total += uint64(c.Ops + c.WarmupOps)
		if c.System != "raft" || c.Size != 16 || c.Mode != wantMode[i] || c.Concurrency != wantConc[i] || c.Nodes != 3 {
			t.Errorf("cell %d: unexpected identity %+v", i, c)
		}
		if c.Ops != 200 {
			t.Errorf("cell %d: ops %d, want 200", i, c.Ops)
		}
		if len(c.Applied) != 3 {
			t.Fatalf("cell %d: applied %v, want 3 nodes", i, c.Applied)
		}
		for n, a := range c.Applied {
			if a != total {
				t.Errorf("cell %d: node %d applied %d, want %d", i, n, a, total)
			}
		}
		if !c.ReplicasConsistent {
			t.Errorf("cell %d: replicas not consistent", i)
		}
		if c.Config.RaftVersion == "" || c.Config.MaxAppendEntries == 0 {
			t.Errorf("cell %d: config not recorded: %+v", i, c.Config)
		}
	}
	waitNoProcesses(t, bin, 10*time.Second)
}
