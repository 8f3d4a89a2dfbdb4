package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/props"
)

// The -security comparison: the cost of the Auth and Privacy properties.
// Three groups of 3 members run the same base stack — without a guard,
// with Auth (HMAC-SHA-256 over every datagram) and with Privacy
// (AES-256-GCM) — and every cell runs -rounds times with the three
// systems in a rotating order; each figure is the median and range of the
// rounds, each ratio the median and range of the per-round ratios to the
// unguarded stack measured in the same round.
const (
	secPlain   = "default"
	secAuth    = "Auth"
	secPrivacy = "Privacy"
)

// keyFile is the group key of the keyed clusters, written once per run.
var keyFile string

// benchKeyFile writes a fresh key file for this run's keyed members.
func benchKeyFile() (string, error) {
	if keyFile != "" {
		return keyFile, nil
	}
	dir, err := os.MkdirTemp("", "maestrobench-key-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "group.key")
	if _, err := auth.WriteKeyFile(path); err != nil {
		return "", err
	}
	keyFile = path
	return path, nil
}

// keyArgs returns the member arguments that give a keyed stack its key.
func keyArgs(pr props.Properties) ([]string, error) {
	if !pr.Has("Auth") {
		return nil, nil
	}
	path, err := benchKeyFile()
	if err != nil {
		return nil, err
	}
	return []string{"-key-file", path}, nil
}

// rotate returns the systems in round r's order.
func rotate(r int, systems ...string) []string {
	k := r % len(systems)
	return append(append([]string(nil), systems[k:]...), systems[:k]...)
}

func driveSecurity(o driverOptions) error {
	sizes, err := parseSizes(o.safeSizes)
	if err != nil {
		return err
	}
	base := o.props
	if base == "" {
		base = props.Default
	}
	pr, err := props.Parse(base)
	if err != nil {
		return err
	}
	if pr.Has("Auth") {
		return fmt.Errorf("-security: the base properties %q must not name Auth or Privacy", base)
	}
	stacks := map[string]string{secPlain: base, secAuth: base + ":Auth", secPrivacy: base + ":Privacy"}
	systems := []string{secPlain, secAuth, secPrivacy}
	clusters := map[string]*cluster{}
	defer func() {
		for _, c := range clusters {
			c.stop()
		}
		if keyFile != "" {
			os.RemoveAll(filepath.Dir(keyFile))
		}
	}()
	for _, sys := range systems {
		o.logf("starting 3 members: %s (%s)", sys, stacks[sys])
		c, err := startGroup(o, 3, stacks[sys])
		if err != nil {
			return fmt.Errorf("%s: %w", sys, err)
		}
		clusters[sys] = c
	}
	res := samples{}
	start := time.Now()
	for r := 0; r < o.rounds; r++ {
		o.logf("round %d of %d (load average %.2f)", r+1, o.rounds, loadAvg())
		for _, size := range sizes {
			for _, sys := range rotate(r, systems...) {
				t, err := clusters[sys].throughput(size, 1)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				res.add(sys, thr1, size, t.msgsPerSec)
				res.add(sys, cpu1, size, t.cpuPerMsg)
			}
			for _, sys := range rotate(r, systems...) {
				l, err := clusters[sys].latency(size)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				res.add(sys, lat, size, l.p50)
			}
		}
	}
	views := map[string]int{}
	for sys, c := range clusters {
		views[sys] = c.viewChanges()
	}
	printSecurity(os.Stdout, o, stacks, systems, sizes, res, views, time.Since(start))
	return nil
}

func printSecurity(w io.Writer, o driverOptions, stacks map[string]string, systems []string, sizes []int, res samples, views map[string]int, elapsed time.Duration) {
	fmt.Fprintf(w, "Cost of Auth and Privacy: 3 members over UDP on 127.0.0.1, %d interleaved rounds, %v per throughput cell, %d round trips per latency cell (%v)\n",
		o.rounds, o.duration, o.latencyOps, elapsed.Round(time.Second))
	for _, sys := range systems {
		fmt.Fprintf(w, "  %-8s %s\n", sys, stacks[sys])
	}
	fmt.Fprintf(w, "  (median [min–max] of the rounds; ratios are per round to %q in the same round)\n\n", secPlain)
	fmt.Fprintf(w, "%-8s %6s  %-28s %-22s %-18s %-22s %-22s\n", "stack", "size", "1 sender msgs/s", "throughput ratio", "CPU µs/msg", "p50 latency µs", "latency ratio")
	for _, size := range sizes {
		for _, sys := range systems {
			thr := res.get(sys, thr1, size)
			l := res.get(sys, lat, size)
			tr, lr := "", ""
			if sys != secPlain {
				tr = summarize(ratios(thr, res.get(secPlain, thr1, size))).ratio()
				lr = summarize(ratios(l, res.get(secPlain, lat, size))).ratio()
			}
			fmt.Fprintf(w, "%-8s %6d  %-28s %-22s %-18s %-22s %-22s\n", sys, size,
				summarize(thr).count(), tr, summarize(res.get(sys, cpu1, size)).micros(), summarize(l).count(), lr)
		}
	}
	var vs []string
	for _, sys := range systems {
		vs = append(vs, fmt.Sprintf("%s %d", sys, views[sys]))
	}
	fmt.Fprintf(w, "\nview changes during the run (should be 0): %s\n", strings.Join(vs, ", "))
	fmt.Fprintf(w, "bar: Auth costs at most 15%% and Privacy at most 30%% of the 1 KiB throughput (ratios ≥ 0.85 and ≥ 0.70)\n")
}
