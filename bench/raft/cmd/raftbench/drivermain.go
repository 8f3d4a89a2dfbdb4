package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/maestro-go/maestro/bench/raft/internal/driver"
	"github.com/maestro-go/maestro/bench/raft/internal/report"
)

// runDriver starts the cluster, runs the plan and prints results to stdout.
func runDriver(ctx context.Context, o options) (err error) {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate own executable: %w", err)
	}
	progress := io.Discard
	if o.verbose {
		progress = os.Stderr
	}
	fmt.Fprintf(progress, "starting %d raft nodes on 127.0.0.1\n", o.nodes)
	c, err := driver.Start(ctx, driver.Options{
		Exe:      exe,
		NodeArgs: func(id string) []string { return []string{"-" + nodeFlag, id} },
		Nodes:    o.nodes,
		Params:   o.params,
		Stderr:   os.Stderr,
	})
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	defer func() {
		if cerr := c.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop cluster: %w", cerr)
		}
	}()
	fmt.Fprintf(progress, "leader is %s\n", c.LeaderID())
	if o.serve {
		return serve(ctx, c, o.plan, os.Stdin, os.Stdout, progress)
	}

	var table report.Table
	emit := func(cell report.Cell) error {
		fmt.Fprintf(progress, "size %d %s: %d ops, %.0f msgs/s\n", cell.Size, cell.Mode, cell.Ops, cell.MsgsPerSec)
		if o.json {
			return report.WriteJSON(os.Stdout, cell)
		}
		table.Add(cell)
		return nil
	}
	out, err := driver.Bench(ctx, c, o.plan, emit)
	if err != nil {
		return fmt.Errorf("benchmark: %w", err)
	}
	if !o.json {
		if err := printSummary(os.Stdout, c, o, &table, out); err != nil {
			return err
		}
	}
	if !out.Consistent {
		return errors.New("replicas diverged: see the applied counts")
	}
	return nil
}

// printSummary writes the human-readable report.
func printSummary(w io.Writer, c *driver.Cluster, o options, t *report.Table, out driver.Outcome) error {
	cfg := c.Config
	fmt.Fprintf(w, "hashicorp/raft %s, %d nodes as processes on 127.0.0.1 TCP, in-memory log/stable/snapshot stores, GOMAXPROCS=%d per process\n",
		cfg.RaftVersion, c.Nodes(), cfg.GOMAXPROCS)
	fmt.Fprintf(w, "raft config: MaxAppendEntries=%d BatchApplyCh=%t HeartbeatTimeout=%dms ElectionTimeout=%dms CommitTimeout=%dms (others: raft.DefaultConfig)\n",
		cfg.MaxAppendEntries, cfg.BatchApplyCh, cfg.HeartbeatTimeoutMS, cfg.ElectionTimeoutMS, cfg.CommitTimeoutMS)
	fmt.Fprintf(w, "cells: -duration %v (cap -ops %d), warm-up %v, conc = %d callers; latency = one Apply(...).Error() at the caller on the leader\n\n",
		o.plan.Duration, o.plan.MaxOps, o.plan.Warmup, o.plan.Concurrency)
	if err := t.Write(w); err != nil {
		return err
	}
	verdict := "all nodes applied the same entries (count, bytes, checksum)"
	if !out.Consistent {
		verdict = "MISMATCH between nodes or against acknowledged entries"
	}
	_, err := fmt.Fprintf(w, "\nreplicas: leader acknowledged %d entries; applied per node %v: %s\n",
		out.TotalEntries, out.Final.Entries(), verdict)
	if err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}
