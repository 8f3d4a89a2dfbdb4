package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
	"github.com/maestro-go/maestro/bench/raft/internal/driver"
)

// nodeFlag is the hidden flag that turns the binary into a node process.
const nodeFlag = "node"

// options are the parsed command-line settings.
type options struct {
	nodeID  string
	json    bool
	nodes   int
	plan    driver.Plan
	params  control.RaftParams
	verbose bool
	// serve: run the cells a client asks for on stdin (see serve.go).
	serve bool
}

// parseFlags parses args (without the program name).
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var (
		o                options
		sizes, modes     string
		fs               = flag.NewFlagSet("raftbench", flag.ContinueOnError)
		defaultSizes     = "16,1024,65536"
		defaultModes     = driver.ModeSeq + "," + driver.ModeConc
		defaultMaxOps    = 500000
		defaultCellLimit = 2 * time.Minute
	)
	fs.SetOutput(stderr)
	fs.StringVar(&o.nodeID, nodeFlag, "", "internal: run as the node with this raft server id")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per cell instead of a table")
	fs.IntVar(&o.nodes, "nodes", 3, "number of raft nodes (processes)")
	fs.StringVar(&sizes, "sizes", defaultSizes, "comma-separated payload sizes in bytes")
	fs.StringVar(&modes, "modes", defaultModes, "comma-separated modes: seq (1 caller), conc (-concurrency callers)")
	fs.IntVar(&o.plan.Concurrency, "concurrency", 64, "callers in conc mode")
	fs.IntVar(&o.plan.MaxOps, "ops", defaultMaxOps, "maximum measured operations per cell")
	fs.DurationVar(&o.plan.Duration, "duration", 3*time.Second, "measured time per cell (0: run exactly -ops operations)")
	fs.DurationVar(&o.plan.Warmup, "warmup", 500*time.Millisecond, "unmeasured warm-up per cell (also capped by -ops)")
	fs.DurationVar(&o.plan.CellTimeout, "cell-timeout", defaultCellLimit, "hard limit per cell, warm-up included")
	fs.IntVar(&o.params.MaxAppendEntries, "max-append-entries", 0, "raft MaxAppendEntries (0: raft default, 64)")
	fs.BoolVar(&o.params.BatchApplyCh, "batch-apply-ch", false, "raft BatchApplyCh (raft default: false)")
	fs.BoolVar(&o.verbose, "v", false, "print progress to stderr")
	fs.BoolVar(&o.serve, "serve", false, "keep the cluster and run the cells read from stdin (one JSON object per line: {\"size\":1024,\"mode\":\"conc\"}), answering each with a JSON cell line; -sizes and -modes are ignored")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: raftbench [flags]\n\nBenchmarks hashicorp/raft Apply on a loopback cluster of node processes.\n\n")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == nodeFlag {
				return
			}
			fmt.Fprintf(stderr, "  -%s\t%s (default %q)\n", f.Name, f.Usage, f.DefValue)
		})
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.nodeID != "" {
		return o, nil
	}
	var err error
	if o.plan.Sizes, err = parseSizes(sizes); err != nil {
		return o, err
	}
	if o.plan.Modes, err = parseModes(modes); err != nil {
		return o, err
	}
	return o, validate(o)
}

func validate(o options) error {
	p := o.plan
	switch {
	case o.nodes < 1:
		return fmt.Errorf("-nodes %d: need at least 1", o.nodes)
	case p.Concurrency < 1:
		return fmt.Errorf("-concurrency %d: need at least 1", p.Concurrency)
	case p.MaxOps < 1:
		return fmt.Errorf("-ops %d: need at least 1", p.MaxOps)
	case p.Duration < 0 || p.Warmup < 0:
		return errors.New("-duration and -warmup must not be negative")
	case p.CellTimeout <= p.Duration+p.Warmup:
		return fmt.Errorf("-cell-timeout %v must exceed -duration + -warmup", p.CellTimeout)
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-sizes: bad size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseModes(s string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		switch m := strings.TrimSpace(f); m {
		case driver.ModeSeq, driver.ModeConc:
			out = append(out, m)
		default:
			return nil, fmt.Errorf("-modes: unknown mode %q", f)
		}
	}
	return out, nil
}
