package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// The default comparison: every configuration of the stack as 3 member
// processes, hashicorp/raft, and the machine's own limits (UDP round trip
// and UDP goodput between two processes, and both from one process to
// two, the groups' 3-process pattern), all started once and measured
// in -rounds interleaved rounds, so that every figure is the median
// [min–max] of rounds taken side by side under the same conditions, and
// every ratio is taken round by round between cells that ran back to
// back.

// Configurations, as named in the -json output.
const (
	stDefault   = "default"    // the base stack (sequencer total order)
	stSafe      = "safe"       // base + Primary:Safe
	stToken     = "token"      // the base with Token instead of Total
	stSafeToken = "safe+token" // Token + Primary:Safe
	stMulticast = "multicast"  // the base stack, casts sent by IP multicast
)

// allStacks is every configuration in the order printed.
var allStacks = []string{stDefault, stSafe, stToken, stSafeToken, stMulticast}

// Systems of the reference measurements, in samples keys.
const (
	refRaft    = "raft"       // raftbench -serve
	refRTT     = "udp-rtt"    // UDP ping-pong between two processes
	refFanout  = "udp-fanout" // UDP from one process to two echoes, until the first echo
	refPacked  = "udp-packed" // goodput, 58 × 1 KiB per datagram, bytes/s
	refDgram64 = "udp-64k"    // goodput, 65,507-byte datagrams, bytes/s
	// The same, from one process to two, each datagram to both: bytes/s
	// of the slower receiver.
	refPackedFan  = "udp-packed-fanout"
	refDgram64Fan = "udp-64k-fanout"
	limitSplit    = packed1KiB // sizes from here up are compared with refDgram64
	stableBand    = 0.15       // a cell whose min or max is further than this from its median is unstable
	membersN      = 3          // members of every group but the scale cell's
	scaleSize     = 1024       // the size of the scale cell's casts
	rss           = "rss"      // peak RSS of the cell's members, KiB
	thrRaft       = "conc"     // raft's throughput cell: 64-way pipelined Apply
	latRaft       = "seq"      // raft's latency cell: sequential Apply
	gpKey         = 0          // the size key of the goodput samples
	safeSuffix    = ":Primary:Safe"
)

// believeStacks returns the properties of each configuration from the
// base (which must name Total, and neither Primary nor Safe).
func believeStacks(base string) (map[string]string, error) {
	s, err := safeStacks(base)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		stDefault:   s[sysDefault],
		stSafe:      s[sysTotal],
		stToken:     strings.TrimSuffix(s[sysToken], safeSuffix),
		stSafeToken: s[sysToken],
		stMulticast: s[sysDefault],
	}, nil
}

// selfDelivered tells whether a configuration's latency is timed until
// the sender's own (safe) delivery rather than until the first
// acknowledgement from another member.
func selfDelivered(st string) bool { return st == stSafe || st == stSafeToken }

// benchCell is one object of the -json array: one configuration, size
// and number of senders, summarised over the rounds.
type benchCell struct {
	// Kind is "throughput" (casts as fast as flow control allows for the
	// cell's duration) or "latency" (closed loop, one cast at a time).
	Kind string `json:"kind"`
	// Stack is the configuration: default, safe, token, safe+token or
	// multicast.
	Stack      string `json:"stack"`
	Properties string `json:"properties"`
	// Size is the cast's payload in bytes.
	Size    int `json:"size"`
	Senders int `json:"senders"`
	Members int `json:"members"`
	// MsgsPerS is the median over the rounds of the casts delivered per
	// second at the slowest member (Safe: delivered once a majority holds
	// them); MBPerS is the same in payload megabytes (10^6 bytes) per
	// second. Both are 0 in a latency cell.
	MsgsPerS float64 `json:"msgs_per_s"`
	MBPerS   float64 `json:"mb_per_s"`
	// P50us and P99us are the medians over the rounds of each round's
	// latency percentiles, in µs; 0 in a throughput cell.
	P50us float64 `json:"p50_us"`
	P99us float64 `json:"p99_us"`
	// Figure names the cell's main figure (msgs_per_s or p50_us); Min and
	// Max are its smallest and largest value over the rounds.
	Figure string  `json:"figure"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Rounds int     `json:"rounds"`
	// Unstable is set when Min or Max lies more than 15% from the median.
	Unstable bool `json:"unstable"`
	// Swing is how far Min or Max lies from the median, as a fraction of
	// it (Unstable above 0.15). RaftSwing and LimitSwing are the same for
	// raft's figure and the limit's over the same rounds (0 when not
	// measured): a reference that swung as much points at the machine, one
	// that held steady at the cell.
	Swing      float64 `json:"swing"`
	RaftSwing  float64 `json:"raft_swing,omitempty"`
	LimitSwing float64 `json:"limit_swing,omitempty"`
	// RatioRaft is the median of the round-by-round ratios to raft in the
	// same round: msgs_per_s ÷ raft's 64-way pipelined Apply (throughput),
	// raft's sequential Apply p50 ÷ p50_us (latency); above 1 is better
	// than raft. 0 when raft was not run. RaftMin and RaftMax are its
	// range over the rounds.
	RatioRaft float64 `json:"ratio_raft"`
	RaftMin   float64 `json:"ratio_raft_min"`
	RaftMax   float64 `json:"ratio_raft_max"`
	// RaftValue is raft's median figure (msgs/s or p50 µs).
	RaftValue float64 `json:"raft_value"`
	// RatioLimit is the median of the round-by-round ratios to the
	// machine's limit in the same round: mb_per_s ÷ the measured UDP
	// goodput (the 1 KiB-packed limit below 58 KiB casts, the 64 KiB
	// datagram limit from there up; a fraction, 1 is the limit) for
	// throughput, p50_us ÷ the UDP round-trip p50 of a datagram of the same
	// size for latency (a multiple, 1 is the limit).
	RatioLimit float64 `json:"ratio_limit"`
	LimitMin   float64 `json:"ratio_limit_min"`
	LimitMax   float64 `json:"ratio_limit_max"`
	// Limit names the limit and LimitValue is its median (MB/s or µs).
	Limit      string  `json:"limit"`
	LimitValue float64 `json:"limit_value"`
	// FanoutP50us (latency cells) is the median p50 of the UDP fan-out
	// reference: one process sends each datagram of the cell's size to two
	// echo processes, timed until the first echo — the 3-process pattern
	// of the cell with no protocol, both receivers' wake-ups included.
	// RatioFanout is the median of the round-by-round p50_us ÷ that p50 (1
	// is what UDP alone does), FanoutMin and FanoutMax its range.
	FanoutP50us float64 `json:"fanout_p50_us,omitempty"`
	RatioFanout float64 `json:"ratio_fanout,omitempty"`
	FanoutMin   float64 `json:"ratio_fanout_min,omitempty"`
	FanoutMax   float64 `json:"ratio_fanout_max,omitempty"`
	// CallbackP50us (latency cells) is the median p50 of the same closed
	// loop timed until the delivery callback ran, not until the
	// benchmark's goroutine waiting for it did: p50_us less the hand-off
	// between goroutines, which an application acting in its callback
	// does not pay.
	CallbackP50us float64 `json:"callback_p50_us,omitempty"`
	// FanoutLimitValue (throughput cells) is the median of the same
	// goodput limit from one process to two, each datagram sent to both:
	// the slower receiver's MB/s, what the 3-process pattern of a sender
	// reaching two receivers by unicast gets with no protocol.
	// RatioFanoutLimit is the median of the round-by-round mb_per_s ÷ that
	// figure, FanoutLimitMin and FanoutLimitMax its range.
	FanoutLimitValue float64 `json:"fanout_limit_value,omitempty"`
	RatioFanoutLimit float64 `json:"ratio_fanout_limit,omitempty"`
	FanoutLimitMin   float64 `json:"ratio_fanout_limit_min,omitempty"`
	FanoutLimitMax   float64 `json:"ratio_fanout_limit_max,omitempty"`
	// Measure says what a latency sample times.
	Measure string `json:"measure,omitempty"`
	// CPUusPerMsg is the median CPU time of the three members together
	// per delivered cast, µs (throughput cells).
	CPUusPerMsg float64 `json:"cpu_us_per_msg,omitempty"`
	// Where says where the members ran (the multicast configuration may
	// run in a network namespace).
	Where string `json:"where,omitempty"`
	// PeakRSSMiB (throughput cells) is the largest peak resident set size
	// of a member process at the end of the cell, over the rounds: each
	// member's high-water mark since it started, so it covers the cells
	// measured before too.
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
	// RatioMembers3 (the scale cell: Members above 3) is the median of the
	// round-by-round ratios of msgs_per_s to the same configuration's
	// 3-member cell of the same size and senders.
	RatioMembers3 float64 `json:"ratio_members3,omitempty"`
	Members3Min   float64 `json:"ratio_members3_min,omitempty"`
	Members3Max   float64 `json:"ratio_members3_max,omitempty"`
}

// believeRun is everything one default run measured.
type believeRun struct {
	o         driverOptions
	sizes     []int
	stacks    []string // configurations measured
	props     map[string]string
	res       samples
	views     map[string]int
	mcast     *multicastHost
	mcastNote string // why the multicast configuration is missing
	// scaleStack is the configuration of the scale cell ("" if none) and
	// scaleNote why there is none.
	scaleStack, scaleNote string
	runConditions
}

// believeSystems are the processes of a default run.
type believeSystems struct {
	systems
	scale *cluster // the scale cell's group (nil if none)
}

// stop ends every process (once).
func (s *believeSystems) stop() {
	if s.scale != nil {
		s.scale.stop()
		s.scale = nil
	}
	s.systems.stop()
}

// scaleKey names the scale cell's samples.
func scaleKey(st string) string { return st + "@scale" }

// parseStacks reads -stacks.
func parseStacks(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(allStacks, f) {
			return nil, fmt.Errorf("-stacks: unknown configuration %q (want some of %s)", f, strings.Join(allStacks, ","))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	// Keep the printed order whatever the order asked.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(allStacks, a) - slices.Index(allStacks, b) })
	return out, nil
}

func driveBelieve(o driverOptions) error {
	sizes, err := parseSizes(o.sizes)
	if err != nil {
		return err
	}
	stacks, err := parseStacks(o.stacks)
	if err != nil {
		return err
	}
	if o.rounds < 3 {
		return fmt.Errorf("-rounds %d: a median and its spread need at least 3", o.rounds)
	}
	props, err := believeStacks(o.props)
	if err != nil {
		return err
	}
	run := &believeRun{o: o, sizes: sizes, stacks: stacks, props: props, res: samples{}, views: map[string]int{}}
	run.begin()
	fmt.Printf("load average (1 min) before: %.2f\n", run.loads[0])

	if slices.Contains(stacks, stMulticast) {
		run.mcast, run.mcastNote = findMulticast(o)
		if run.mcast == nil {
			run.stacks = slices.DeleteFunc(run.stacks, func(s string) bool { return s == stMulticast })
			fmt.Printf("multicast: not measured: %s\n", run.mcastNote)
		}
		defer run.mcast.cleanup()
	}
	var s believeSystems
	defer s.stop()
	s.clusters = map[string]*cluster{}
	for _, st := range run.stacks {
		o.logf("starting %d members: %s (%s)", membersN, st, props[st])
		var c *cluster
		if st == stMulticast {
			c, err = startGroupIn(o, membersN, props[st], run.mcast.prefix,
				[]string{"-multicast", run.mcast.group, "-multicast-interface", "lo"})
		} else {
			c, err = startGroup(o, membersN, props[st])
		}
		if err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
		s.clusters[st] = c
	}
	run.scaleStack, run.scaleNote = chooseScale(o, run.stacks, sizes)
	if run.scaleStack != "" {
		o.logf("starting %d members: %s (%s)", o.scaleMembers, run.scaleStack, props[run.scaleStack])
		if run.scaleStack == stMulticast {
			s.scale, err = startGroupIn(o, o.scaleMembers, props[stMulticast], run.mcast.prefix,
				[]string{"-multicast", run.mcast.groupFor(1), "-multicast-interface", "lo"})
		} else {
			s.scale, err = startGroup(o, o.scaleMembers, props[run.scaleStack])
		}
		if err != nil {
			return fmt.Errorf("%d members, %s: %w", o.scaleMembers, run.scaleStack, err)
		}
	}
	if o.raft {
		o.logf("starting the hashicorp/raft reference")
		if s.raft, err = startRaftServer(o); err != nil {
			return fmt.Errorf("raft reference: %w", err)
		}
	}
	if s.udp, err = startUDPPair(); err != nil {
		return err
	}
	if s.fanout, err = startUDPEchoes(membersN - 1); err != nil {
		return err
	}
	if s.gp, err = startGoodputSinks(1); err != nil {
		return err
	}
	if s.gpFan, err = startGoodputSinks(membersN - 1); err != nil {
		return err
	}
	for r := 0; r < o.rounds; r++ {
		o.logf("round %d of %d (load average %.2f)", r+1, o.rounds, loadAvg())
		if err := s.round(run, r); err != nil {
			return err
		}
		run.roundDone()
	}
	for st, c := range s.clusters {
		run.views[st] = c.viewChanges()
	}
	if s.scale != nil {
		run.views[scaleKey(run.scaleStack)] = s.scale.viewChanges()
	}
	s.stop()
	run.end()
	cells := run.cells()
	printBelieve(os.Stdout, run, cells)
	if o.jsonFile != "" {
		b, err := json.MarshalIndent(cells, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonFile, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// round runs every cell once, the systems in round r's order.
func (s *believeSystems) round(run *believeRun, r int) error {
	o := run.o
	order := func(extra ...string) []string {
		return interleave(r, append(slices.Clone(run.stacks), extra...)...)
	}
	raftCell := func(size int, mode string) (*raftResult, error) {
		if s.raft == nil {
			return nil, nil
		}
		return s.raft.cell(size, mode)
	}
	for _, size := range run.sizes {
		for _, sys := range order(refRaft) {
			if sys == refRaft {
				x, err := raftCell(size, thrRaft)
				if err != nil {
					return err
				}
				if x != nil {
					run.res.add(refRaft, thr1, size, x.MsgsPerSec)
					o.logf("  %-10s %5d B 64-way Apply: %8.0f msgs/s", sys, size, x.MsgsPerSec)
				}
				continue
			}
			t, err := s.clusters[sys].throughput(size, 1)
			if err != nil {
				return fmt.Errorf("%s: %w", sys, err)
			}
			run.res.add(sys, thr1, size, t.msgsPerSec)
			run.res.add(sys, cpu1, size, t.cpuPerMsg)
			run.res.add(sys, rss+thr1, size, float64(t.rssKiB))
			if sys == run.scaleStack && size == scaleSize {
				// Right after the 3-member cell it is compared with.
				t, err := s.scale.throughput(size, 1)
				if err != nil {
					return fmt.Errorf("%d members, %s: %w", o.scaleMembers, sys, err)
				}
				run.res.add(scaleKey(sys), thr1, size, t.msgsPerSec)
				run.res.add(scaleKey(sys), cpu1, size, t.cpuPerMsg)
				run.res.add(scaleKey(sys), rss+thr1, size, float64(t.rssKiB))
			}
		}
		for _, sys := range order() {
			t, err := s.clusters[sys].throughput(size, membersN)
			if err != nil {
				return fmt.Errorf("%s: %w", sys, err)
			}
			run.res.add(sys, thr3, size, t.msgsPerSec)
			run.res.add(sys, cpu3, size, t.cpuPerMsg)
			run.res.add(sys, rss+thr3, size, float64(t.rssKiB))
		}
		for _, sys := range order(refRaft, refRTT, refFanout) {
			var l latencyResult
			switch {
			case sys == refRaft:
				x, err := raftCell(size, latRaft)
				if err != nil {
					return err
				}
				if x == nil {
					continue
				}
				l = latencyResult{p50: x.P50us, p99: x.P99us}
				o.logf("  %-10s %5d B sequential Apply: p50 %.0f us p99 %.0f us", sys, size, x.P50us, x.P99us)
			case sys == refRTT || sys == refFanout:
				pair, what := s.udp, "round trip"
				if sys == refFanout {
					pair, what = s.fanout, "to two, first echo"
				}
				// A datagram carries at most 65,507 bytes: larger casts
				// are compared with the round trip of the largest.
				u, err := pair.rtt(min(size, dgram64KiB), o.latencyOps)
				if err != nil {
					return err
				}
				l = u
				o.logf("  %-10s %5d B %s: p50 %.0f us p99 %.0f us", sys, size, what, u.p50, u.p99)
			case selfDelivered(sys):
				x, err := s.clusters[sys].selfLatency(size)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				l = x
			default:
				x, err := s.clusters[sys].latency(size)
				if err != nil {
					return fmt.Errorf("%s: %w", sys, err)
				}
				l = latencyResult{p50: x.q50, p99: x.q99, u50: x.u50}
			}
			run.res.add(sys, lat, size, l.p50)
			run.res.add(sys, lat9, size, l.p99)
			if l.u50 > 0 {
				run.res.add(sys, latU, size, l.u50)
			}
		}
	}
	for _, ref := range interleave(r, refPacked, refDgram64, refPackedFan, refDgram64Fan) {
		dgram, gp := packed1KiB, s.gp
		if ref == refDgram64 || ref == refDgram64Fan {
			dgram = dgram64KiB
		}
		if ref == refPackedFan || ref == refDgram64Fan {
			gp = s.gpFan
		}
		g, err := gp.goodput(dgram, o.duration)
		if err != nil {
			return err
		}
		run.res.add(ref, thr1, gpKey, g)
		o.logf("  %-10s %5d B datagrams: %.0f MB/s", ref, dgram, g/1e6)
	}
	return nil
}

// limitRef returns the goodput limit a throughput cell of size is
// compared with, and the same limit from one process to two.
func limitRef(size int) (ref, fanout string) {
	if size >= limitSplit {
		return refDgram64, refDgram64Fan
	}
	return refPacked, refPackedFan
}

// throughputCell summarises a throughput cell of configuration st whose
// samples are filed under sys (st, or the scale cell's key).
func (run *believeRun) throughputCell(st, sys string, size, senders, members int) benchCell {
	what, cpu := thr1, cpu1
	if senders > 1 {
		what, cpu = thr3, cpu3
	}
	where := "the host's loopback"
	if st == stMulticast && run.mcast != nil {
		where = run.mcast.where
	}
	vs := run.res.get(sys, what, size)
	sp := summarize(vs)
	c := benchCell{Kind: "throughput", Stack: st, Properties: run.props[st], Size: size, Senders: senders, Members: members,
		MsgsPerS: sp.median, MBPerS: sp.median * float64(size) / 1e6, Figure: "msgs_per_s", Min: sp.min, Max: sp.max, Rounds: sp.n,
		CPUusPerMsg: summarize(run.res.get(sys, cpu, size)).median, Where: where,
		PeakRSSMiB: summarize(run.res.get(sys, rss+what, size)).max / 1024}
	rr := summarize(ratios(vs, run.res.get(refRaft, thr1, size)))
	c.RatioRaft, c.RaftMin, c.RaftMax = rr.median, rr.min, rr.max
	c.RaftValue = summarize(run.res.get(refRaft, thr1, size)).median
	ref, fan := limitRef(size)
	// Bytes per second delivered against bytes per second the sink
	// received.
	bytes := make([]float64, len(vs))
	for i, v := range vs {
		bytes[i] = v * float64(size)
	}
	rl := summarize(ratios(bytes, run.res.get(ref, thr1, gpKey)))
	c.RatioLimit, c.LimitMin, c.LimitMax = rl.median, rl.min, rl.max
	rf := summarize(ratios(bytes, run.res.get(fan, thr1, gpKey)))
	c.RatioFanoutLimit, c.FanoutLimitMin, c.FanoutLimitMax = rf.median, rf.min, rf.max
	c.FanoutLimitValue = summarize(run.res.get(fan, thr1, gpKey)).median / 1e6
	c.Limit = "UDP goodput MB/s, " + limitName(ref)
	c.LimitValue = summarize(run.res.get(ref, thr1, gpKey)).median / 1e6
	c.Unstable = unstable(sp)
	c.Swing = sp.swing()
	c.RaftSwing = summarize(run.res.get(refRaft, thr1, size)).swing()
	c.LimitSwing = summarize(run.res.get(ref, thr1, gpKey)).swing()
	return c
}

// cells summarises the rounds into the -json objects.
func (run *believeRun) cells() []benchCell {
	var out []benchCell
	for _, st := range run.stacks {
		where := "the host's loopback"
		if st == stMulticast && run.mcast != nil {
			where = run.mcast.where
		}
		for _, size := range run.sizes {
			for _, senders := range []int{1, membersN} {
				out = append(out, run.throughputCell(st, st, size, senders, membersN))
			}
			if st == run.scaleStack && size == scaleSize {
				c := run.throughputCell(st, scaleKey(st), size, 1, run.o.scaleMembers)
				r3 := summarize(ratios(run.res.get(scaleKey(st), thr1, size), run.res.get(st, thr1, size)))
				c.RatioMembers3, c.Members3Min, c.Members3Max = r3.median, r3.min, r3.max
				out = append(out, c)
			}
			vs := run.res.get(st, lat, size)
			sp := summarize(vs)
			c := benchCell{Kind: "latency", Stack: st, Properties: run.props[st], Size: size, Senders: 1, Members: membersN,
				P50us: sp.median, P99us: summarize(run.res.get(st, lat9, size)).median, Figure: "p50_us", Min: sp.min, Max: sp.max, Rounds: sp.n,
				Measure: latencyMeasure(st), Where: where, Unstable: unstable(sp)}
			rr := summarize(ratios(run.res.get(refRaft, lat, size), vs))
			c.RatioRaft, c.RaftMin, c.RaftMax = rr.median, rr.min, rr.max
			c.RaftValue = summarize(run.res.get(refRaft, lat, size)).median
			rl := summarize(ratios(vs, run.res.get(refRTT, lat, size)))
			c.RatioLimit, c.LimitMin, c.LimitMax = rl.median, rl.min, rl.max
			c.Limit = fmt.Sprintf("UDP round-trip p50 µs, %d-byte datagrams", min(size, dgram64KiB))
			c.LimitValue = summarize(run.res.get(refRTT, lat, size)).median
			rf := summarize(ratios(vs, run.res.get(refFanout, lat, size)))
			c.RatioFanout, c.FanoutMin, c.FanoutMax = rf.median, rf.min, rf.max
			c.FanoutP50us = summarize(run.res.get(refFanout, lat, size)).median
			c.CallbackP50us = summarize(run.res.get(st, latU, size)).median
			c.Swing = sp.swing()
			c.RaftSwing = summarize(run.res.get(refRaft, lat, size)).swing()
			c.LimitSwing = summarize(run.res.get(refRTT, lat, size)).swing()
			out = append(out, c)
		}
	}
	return out
}

// unstable tells whether a spread's min or max lies more than stableBand
// from its median.
func unstable(s spread) bool {
	return s.n > 0 && (s.min < s.median*(1-stableBand) || s.max > s.median*(1+stableBand))
}

func limitName(ref string) string {
	if ref == refDgram64 || ref == refDgram64Fan {
		return fmt.Sprintf("%d-byte datagrams", dgram64KiB)
	}
	return fmt.Sprintf("1 KiB payloads packed 58 to a %d-byte datagram", packed1KiB)
}

func latencyMeasure(st string) string {
	if selfDelivered(st) {
		return "a cast by rank 0 until rank 0 delivers it as safe (a majority holds it)"
	}
	return "a cast by rank 0 until the first point-to-point acknowledgement from another member (a majority of 3 has it)"
}

// chooseScale picks the scale cell's configuration: the multicast one
// (the bar is set with it), else the default one; "" and why if none.
func chooseScale(o driverOptions, stacks []string, sizes []int) (string, string) {
	switch {
	case o.scaleMembers <= 0:
		return "", "not asked (-scale-members 0)"
	case o.scaleMembers <= membersN:
		return "", fmt.Sprintf("-scale-members %d is not above %d", o.scaleMembers, membersN)
	case !slices.Contains(sizes, scaleSize):
		return "", fmt.Sprintf("%d B is not among -sizes", scaleSize)
	case slices.Contains(stacks, stMulticast):
		return stMulticast, ""
	case slices.Contains(stacks, stDefault):
		return stDefault, "the multicast configuration is not measured: the default one (fan-out) instead"
	}
	return "", "neither the multicast nor the default configuration is measured"
}
