package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/maestro-go/maestro/stack/props"
)

// The -safe comparison: globally safe delivery (Primary+Safe, over Total
// and over Token) against hashicorp/raft, the cost of the Primary layer
// alone, and the machine's UDP round trip, every cell repeated -rounds
// times with the systems interleaved (A,B,C then C,B,A, ...), every
// cluster kept for the whole run.

// Systems compared.
const (
	sysTotal   = "Safe/Total"      // base stack + Primary:Safe (sequencer)
	sysToken   = "Safe/Token"      // the same over the rotating token
	sysRaft    = "raft"            // bench/raft in -serve mode
	sysDefault = "default"         // base stack
	sysPrimary = "default+Primary" // base stack + Primary, no Safe
	sysUDP     = "UDP"             // ping-pong between two processes
)

// Measures, in samples keys.
const (
	thr1 = "thr1" // msgs/s, 1 sender (raft: 64-way pipelined Apply)
	thr3 = "thr3" // msgs/s, 3 senders
	lat  = "lat"  // closed-loop latency p50, µs
	lat9 = "lat99"
	cpu1 = "cpu1" // CPU µs per delivered message, all members, 1 sender
	cpu3 = "cpu3" // the same, 3 senders
)

// samples holds one value per round for each (system, measure, size).
type samples map[string][]float64

func skey(sys, what string, size int) string { return fmt.Sprintf("%s/%s/%d", sys, what, size) }

func (s samples) add(sys, what string, size int, v float64) {
	k := skey(sys, what, size)
	s[k] = append(s[k], v)
}

func (s samples) get(sys, what string, size int) []float64 { return s[skey(sys, what, size)] }

// safeStacks derives the stacks compared from the base properties.
func safeStacks(base string) (map[string]string, error) {
	if base == "" {
		base = props.Default
	}
	pr, err := props.Parse(base)
	if err != nil {
		return nil, err
	}
	if !pr.Has("Total") || pr.Has("Primary") || pr.Has("Safe") {
		return nil, fmt.Errorf("-safe: the base properties %q must name Total and neither Primary nor Safe", base)
	}
	var token []string
	for _, f := range strings.Split(base, ":") {
		if strings.EqualFold(strings.TrimSpace(f), "Total") {
			f = "Token"
		}
		token = append(token, f)
	}
	return map[string]string{
		sysTotal:   base + ":Primary:Safe",
		sysToken:   strings.Join(token, ":") + ":Primary:Safe",
		sysDefault: base,
		sysPrimary: base + ":Primary",
	}, nil
}

// interleave returns the systems in round r's order: as given in even
// rounds, reversed in odd ones, so that no system always goes first.
func interleave(r int, systems ...string) []string {
	if r%2 == 1 {
		slices.Reverse(systems)
	}
	return systems
}

// loadAvg returns the 1-minute load average (-1 if unknown).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	var v float64
	if _, err := fmt.Sscanf(string(b), "%f", &v); err != nil {
		return -1
	}
	return v
}

// safeRun is everything the tables print.
type safeRun struct {
	sizes      []int
	rounds     int
	duration   time.Duration
	latencyOps int
	stacks     map[string]string
	withRaft   bool
	res        samples
	loads      []float64 // at the start, after every round
	views      map[string]int
	elapsed    time.Duration
	args       []string
}

func driveSafe(o driverOptions) error {
	sizes, err := parseSizes(o.safeSizes)
	if err != nil {
		return err
	}
	if o.rounds < 1 {
		return fmt.Errorf("-rounds %d: need at least 1", o.rounds)
	}
	stacks, err := safeStacks(o.props)
	if err != nil {
		return err
	}
	run := &safeRun{sizes: sizes, rounds: o.rounds, duration: o.duration, latencyOps: o.latencyOps, stacks: stacks,
		withRaft: o.raft, res: samples{}, views: map[string]int{}, args: o.args}
	start := time.Now()
	run.loads = append(run.loads, loadAvg())

	clusters := map[string]*cluster{}
	defer func() {
		for _, c := range clusters {
			c.stop()
		}
	}()
	for _, sys := range []string{sysTotal, sysToken, sysDefault, sysPrimary} {
		o.logf("starting 3 members: %s (%s)", sys, stacks[sys])
		c, err := startGroup(o, 3, stacks[sys])
		if err != nil {
			return fmt.Errorf("%s: %w", sys, err)
		}
		clusters[sys] = c
	}
	var rs *raftServer
	if o.raft {
		o.logf("starting the hashicorp/raft reference")
		if rs, err = startRaftServer(o); err != nil {
			return fmt.Errorf("raft reference: %w", err)
		}
		defer rs.stop()
	}
	udp, err := startUDPPair()
	if err != nil {
		return err
	}
	defer udp.stop()

	for r := 0; r < o.rounds; r++ {
		o.logf("round %d of %d (load average %.2f)", r+1, o.rounds, loadAvg())
		for _, size := range sizes {
			// Throughput: 1 sender (raft: 64-way pipelined Apply), then 3.
			for _, sys := range interleave(r, sysTotal, sysToken, sysRaft) {
				if sys == sysRaft {
					if rs == nil {
						continue
					}
					x, err := rs.cell(size, "conc")
					if err != nil {
						return err
					}
					run.res.add(sys, thr1, size, x.MsgsPerSec)
					o.logf("  %-16s %5d B 64-way Apply: %8.0f msgs/s", sys, size, x.MsgsPerSec)
					continue
				}
				t, err := clusters[sys].throughput(size, 1)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				run.res.add(sys, thr1, size, t.msgsPerSec)
				run.res.add(sys, cpu1, size, t.cpuPerMsg)
			}
			for _, sys := range interleave(r, sysTotal, sysToken) {
				t, err := clusters[sys].throughput(size, 3)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				run.res.add(sys, thr3, size, t.msgsPerSec)
				run.res.add(sys, cpu3, size, t.cpuPerMsg)
			}
			// Closed-loop latency: until the sender's own (safe) delivery;
			// raft: sequential Apply.
			for _, sys := range interleave(r, sysTotal, sysToken, sysRaft) {
				if sys == sysRaft {
					if rs == nil {
						continue
					}
					x, err := rs.cell(size, "seq")
					if err != nil {
						return err
					}
					run.res.add(sys, lat, size, x.P50us)
					run.res.add(sys, lat9, size, x.P99us)
					o.logf("  %-16s %5d B sequential Apply: p50 %.0f us p99 %.0f us", sys, size, x.P50us, x.P99us)
					continue
				}
				l, err := clusters[sys].selfLatency(size)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				run.res.add(sys, lat, size, l.p50)
				run.res.add(sys, lat9, size, l.p99)
			}
			u, err := udp.rtt(size, o.latencyOps)
			if err != nil {
				return err
			}
			run.res.add(sysUDP, lat, size, u.p50)
			run.res.add(sysUDP, lat9, size, u.p99)
			o.logf("  %-16s %5d B round trip: p50 %.0f us p99 %.0f us", sysUDP, size, u.p50, u.p99)
		}
		// The cost of Primary alone: 1 KiB, 1 sender.
		for _, sys := range interleave(r, sysDefault, sysPrimary) {
			t, err := clusters[sys].throughput(1024, 1)
			if err != nil {
				return fmt.Errorf("%s: %w", sys, err)
			}
			run.res.add(sys, thr1, 1024, t.msgsPerSec)
			run.res.add(sys, cpu1, 1024, t.cpuPerMsg)
		}
		run.loads = append(run.loads, loadAvg())
	}
	for sys, c := range clusters {
		run.views[sys] = c.viewChanges()
	}
	run.elapsed = time.Since(start)
	printSafeTables(os.Stdout, run)
	return nil
}

// selfLatency runs closed-loop casts from rank 0, each timed until rank 0
// delivers it (with Safe: once a majority holds it).
func (c *cluster) selfLatency(size int) (latencyResult, error) {
	c.run++
	run := c.run
	p := c.byRank(0)
	if err := p.send(command{Cmd: "selflatency", Run: run, Size: size, Send: true, Count: c.o.latencyOps}); err != nil {
		return latencyResult{}, err
	}
	r, err := p.waitDone(run, 120*time.Second)
	if err != nil {
		return latencyResult{}, fmt.Errorf("latency %d B: %w", size, err)
	}
	c.o.logf("  latency %6d B until own delivery: p50 %.0f us p99 %.0f us", size, r.P50us, r.P99us)
	return latencyResult{p50: r.P50us, p99: r.P99us}, nil
}
