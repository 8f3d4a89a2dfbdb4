package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	latU = "latcb" // the same closed loop until the delivery callback ran, µs
	cpu1 = "cpu1"  // CPU µs per delivered message, all members, 1 sender
	cpu3 = "cpu3"  // the same, 3 senders
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
	sizes        []int
	rounds       int
	primaryPairs int
	duration     time.Duration
	warmup       time.Duration
	latencyOps   int
	stacks       map[string]string
	withRaft     bool
	res          samples
	views        map[string]int
	args         []string
	inline       bool
	maxPacket    int
	offload      bool
	single       bool
	runConditions
}

func driveSafe(o driverOptions) error {
	sizes, err := parseSizes(o.safeSizes)
	if err != nil {
		return err
	}
	if o.rounds < 1 || o.primaryPairs < 1 {
		return fmt.Errorf("-rounds %d, -primary-pairs %d: need at least 1", o.rounds, o.primaryPairs)
	}
	stacks, err := safeStacks(o.props)
	if err != nil {
		return err
	}
	run := &safeRun{sizes: sizes, rounds: o.rounds, primaryPairs: o.primaryPairs, duration: o.duration, warmup: o.warmup, latencyOps: o.latencyOps,
		stacks: stacks, withRaft: o.raft, res: samples{}, views: map[string]int{}, args: o.args, inline: o.inline,
		maxPacket: o.maxPacket, offload: o.offload}
	run.begin()

	var s safeSystems
	defer s.stop()
	if err := s.start(o, stacks); err != nil {
		return err
	}
	for r := 0; r < o.rounds; r++ {
		o.logf("round %d of %d (load average %.2f)", r+1, o.rounds, loadAvg())
		if err := s.round(o, run, r); err != nil {
			return err
		}
		run.roundDone()
	}
	for sys, c := range s.clusters {
		run.views[sys] = c.viewChanges()
	}
	s.stop() // every process reaped: its CPU time is in ourCPU
	run.end()
	printSafeTables(os.Stdout, run)
	return nil
}

// safeSystems are the processes of a -safe run (no goodput pair).
type safeSystems struct{ systems }

func (s *safeSystems) start(o driverOptions, stacks map[string]string) error {
	s.clusters = map[string]*cluster{}
	for _, sys := range []string{sysTotal, sysToken, sysDefault, sysPrimary} {
		o.logf("starting 3 members: %s (%s)", sys, stacks[sys])
		c, err := startGroup(o, 3, stacks[sys])
		if err != nil {
			return fmt.Errorf("%s: %w", sys, err)
		}
		s.clusters[sys] = c
	}
	var err error
	if o.raft {
		o.logf("starting the hashicorp/raft reference")
		if s.raft, err = startRaftServer(o); err != nil {
			return fmt.Errorf("raft reference: %w", err)
		}
	}
	s.udp, err = startUDPPair()
	return err
}

// round runs every cell once, in round r's order.
func (s *safeSystems) round(o driverOptions, run *safeRun, r int) error {
	rs, clusters := s.raft, s.clusters
	for _, size := range run.sizes {
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
		// raft: sequential Apply; the default stack: a cast until the
		// first point-to-point acknowledgement comes back (one round trip
		// through the stack, nothing Safe about it); UDP: a datagram's
		// round trip.
		for _, sys := range interleave(r, sysTotal, sysToken, sysRaft, sysDefault) {
			switch sys {
			case sysRaft:
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
			case sysDefault:
				l, err := clusters[sys].latency(size)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				run.res.add(sys, lat, size, l.q50)
				run.res.add(sys, lat9, size, l.q99)
			default:
				l, err := clusters[sys].selfLatency(size)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				run.res.add(sys, lat, size, l.p50)
				run.res.add(sys, lat9, size, l.p99)
			}
		}
		u, err := s.udp.rtt(size, o.latencyOps)
		if err != nil {
			return err
		}
		run.res.add(sysUDP, lat, size, u.p50)
		run.res.add(sysUDP, lat9, size, u.p99)
		o.logf("  %-16s %5d B round trip: p50 %.0f us p99 %.0f us", sysUDP, size, u.p50, u.p99)
	}
	// The cost of Primary alone: 1 KiB, 1 sender, in pairs (A,B then
	// B,A) so that each ratio compares cells run back to back.
	for p := 0; p < run.primaryPairs; p++ {
		for _, sys := range interleave(r*run.primaryPairs+p, sysDefault, sysPrimary) {
			t, err := clusters[sys].throughput(1024, 1)
			if err != nil {
				return fmt.Errorf("%s: %w", sys, err)
			}
			run.res.add(sys, thr1, 1024, t.msgsPerSec)
			run.res.add(sys, cpu1, 1024, t.cpuPerMsg)
		}
	}
	return nil
}

// machineBusy returns the CPU time the whole machine has spent busy
// (everything but idle and iowait in /proc/stat).
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is already in user
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, true
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// ourCPU returns the CPU time of this process and of its descendants that
// have exited and been waited for (RUSAGE_CHILDREN covers grandchildren
// their parents waited for, such as raftbench's nodes).
func ourCPU() time.Duration {
	var t time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			t += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return t
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
	return latencyResult{p50: r.P50us, p99: r.P99us, u50: r.U50us}, nil
}
