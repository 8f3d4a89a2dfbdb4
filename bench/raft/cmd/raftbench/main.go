// Command raftbench benchmarks hashicorp/raft on a cluster of node processes
// that talk TCP over 127.0.0.1. See ../../README.md.
//
// Run without flags it is the driver: it re-executes itself once per node
// with the hidden -node flag, bootstraps the cluster, runs every
// (size, mode) cell on the leader and prints the results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run())
}

func run() int {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftbench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.nodeID != "" {
		err = runNode(ctx, o.nodeID)
	} else {
		err = runDriver(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftbench:", err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	return 0
}
