// Command maestrobench measures the group-communication stack over real UDP
// sockets on this machine, with every member a separate OS process, and
// prints it side by side with hashicorp/raft doing the same work (the
// reference lives in its own module under bench/raft, so the main module
// never depends on raft).
//
//	go run ./bench/cmd/maestrobench -json /tmp/bench.json  # the comparison with the machine's limits, ~7 minutes (-duration 1s: ~4.5)
//	go run ./bench/cmd/maestrobench -duration 1s -stacks default,safe
//	go run ./bench/cmd/maestrobench -tables    # the earlier one-shot tables and the group-size scan, ~2 minutes
//	go run ./bench/cmd/maestrobench -tables -raft=false -scale=false
//	go run ./bench/cmd/maestrobench -safe      # Safe delivery vs raft, ~4 minutes (make bench-safe)
//	go run ./bench/cmd/maestrobench -security  # the cost of Auth and Privacy, ~2 minutes
//
// By default (believe.go) five configurations run side by side, each as 3
// member processes: the default stack, Safe (Primary+Safe over Total),
// Token, Safe+Token, and the default stack with casts sent by IP
// multicast (on the host's loopback if it carries multicast, otherwise in
// a network namespace whose loopback does, when run as root, otherwise
// left out with the reason printed). With them run hashicorp/raft and the
// machine's own limits: UDP round trip between two processes, the same
// from one process to two echo processes until the first echo (the
// latency cells' 3-process pattern with no protocol), these two waiting
// in blocking system calls (udp.go), and UDP goodput
// between two processes (sendmmsg/recvmmsg) for 1 KiB payloads
// packed in large datagrams and for 64 KiB datagrams, and the same from one
// process to two (every datagram to both, the slower one's figure: the
// throughput cells' pattern with no protocol). Every process starts
// once; every cell runs -rounds times (at least 3) with the systems
// interleaved; each figure is the median [min–max] of the rounds and each
// ratio, to raft and to the limits, is taken round by round. The load
// average is printed before and after, and -json FILE writes one object
// per cell (benchCell) for scripts to compare runs. Members run their
// callbacks inline (groupmember.Options.InlineUpcalls) unless -inline=false.
//
// Throughput: one member (the view's sequencer, as in §3.6) or every member
// casts as fast as flow control lets it for -duration; the figure is
// messages delivered at the slowest member per second. Latency: closed
// loop, one cast at a time; a sample is the time from the cast until every
// other member's acknowledgement (a point-to-point send after delivery)
// has come back — one round trip, like a raft Apply that returns once a
// quorum has the entry.
//
// -safe measures instead globally safe delivery (Primary+Safe over Total
// and over Token; a cast is delivered once a majority holds it) against
// raft's pipelined and sequential Apply, the cost of the Primary layer
// alone (default stack with and without it), and the UDP round trip
// between two processes as the machine's reference: every cluster is
// started once, every cell runs -rounds times with the systems
// interleaved, and each figure is the median and range of the rounds
// (safe.go). Latency there is from the cast until the sender's own
// delivery. With Primary each member gets Replicas 3 and a fresh state
// directory, and the measurements start once the view is primary.
//
// To see inside the member processes, set in the environment:
// MAESTROBENCH_PROFILE=DIR (each member writes a CPU profile there),
// MAESTROBENCH_TRACE=DIR (each member writes a runtime execution trace
// there, for go tool trace), MAESTROBENCH_METRICS=1 (each member prints
// the stack's counters per cell on stderr).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-member" {
		if err := memberMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "member:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "-udp-sink" || os.Args[1] == "-udp-source" || os.Args[1] == "-mcast-probe") {
		var err error
		switch {
		case os.Args[1] == "-udp-sink":
			err = udpSinkMain()
		case os.Args[1] == "-udp-source" && len(os.Args) > 2:
			err = udpSourceMain(os.Args[2])
		case os.Args[1] == "-mcast-probe" && len(os.Args) > 3:
			err = mcastProbeMain(os.Args[2], os.Args[3])
		default:
			err = fmt.Errorf("missing arguments")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, os.Args[1]+":", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "-udp-echo" || os.Args[1] == "-udp-ping") {
		var err error
		if os.Args[1] == "-udp-echo" {
			err = udpEchoMain()
		} else if len(os.Args) > 2 {
			err = udpPingMain(os.Args[2])
		} else {
			err = fmt.Errorf("-udp-ping needs the echo address")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, os.Args[1]+":", err)
			os.Exit(1)
		}
		return
	}
	fs := flag.NewFlagSet("maestrobench", flag.ExitOnError)
	o := driverOptions{}
	fs.DurationVar(&o.duration, "duration", 2e9, "measured time per throughput cell")
	fs.StringVar(&o.sizes, "sizes", "16,1024,65536", "message sizes in bytes")
	fs.IntVar(&o.latencyOps, "latency-ops", 2000, "round trips per latency cell")
	fs.BoolVar(&o.tables, "tables", false, "instead of the comparison with the machine's limits: the earlier one-shot tables (one measurement per cell) and the group-size scan")
	fs.StringVar(&o.stacks, "stacks", strings.Join(allStacks, ","), "configurations compared by default (some of "+strings.Join(allStacks, ",")+")")
	fs.StringVar(&o.jsonFile, "json", "", "also write every cell of the default comparison to this file, as a JSON array")
	fs.BoolVar(&o.scale, "scale", true, "-tables: also measure throughput for 1-8 members (1 KiB casts)")
	fs.IntVar(&o.maxMembers, "max-members", 8, "-tables: largest group in the scaling table")
	fs.IntVar(&o.scaleMembers, "scale-members", 8, "also measure one sender's 1 KiB casts in a group of this many members (the multicast configuration if measured, else the default one), against the 3-member cell of the same round; 0: not")
	fs.BoolVar(&o.raft, "raft", true, "run the hashicorp/raft reference (needs bench/raft and the Go toolchain)")
	fs.StringVar(&o.props, "properties", "", "stack properties (default: the dissertation's default stack)")
	fs.BoolVar(&o.verbose, "v", false, "progress on stderr")
	fs.BoolVar(&o.inline, "inline", true, "members run their callbacks on the goroutine that brought the work (groupmember.Options.InlineUpcalls: the benchmark's callbacks only count), instead of on each member's delivery goroutine")
	fs.IntVar(&o.maxPacket, "max-packet", 0, "members' largest datagram in bytes (0: the transport's default, 60000 on loopback; 1400 is what a network with 1500-byte frames takes)")
	fs.BoolVar(&o.offload, "offload", true, "members use UDP segmentation offload (GSO to send runs of datagrams in one buffer, GRO to receive them so) where the kernel offers it")
	fs.BoolVar(&o.safe, "safe", false, "instead of the default tables: Safe delivery (Primary+Safe over Total and over Token) against raft, the cost of Primary, and the UDP round trip, as medians of -rounds interleaved repetitions (-properties is the base stack)")
	fs.IntVar(&o.rounds, "rounds", 0, "interleaved repetitions of every cell (default: 3; 5 with -safe and -security)")
	fs.StringVar(&o.safeSizes, "safe-sizes", "16,1024", "-safe, -security: message sizes in bytes")
	fs.BoolVar(&o.security, "security", false, "instead of the default tables: the cost of Auth and Privacy (the base stack, -properties, with and without them), as medians of -rounds interleaved repetitions")
	fs.IntVar(&o.primaryPairs, "primary-pairs", 3, "-safe: pairs of cells (default stack, default+Primary) per round")
	fs.DurationVar(&o.warmup, "warmup", -1, "unmeasured casts at the start of each throughput cell (default: 500ms, as raftbench's warm-up; none with -tables and -security)")
	_ = fs.Parse(os.Args[1:])
	if o.warmup < 0 {
		o.warmup = 500 * time.Millisecond
		if o.tables || o.security {
			o.warmup = 0
		}
	}
	if o.rounds == 0 {
		o.rounds = 3
		if o.safe || o.security {
			o.rounds = 5
		}
	}
	if o.jsonFile != "" && (o.tables || o.safe || o.security) {
		fmt.Fprintln(os.Stderr, "maestrobench: -json writes the default comparison's cells; it does not go with -tables, -safe or -security")
		os.Exit(2)
	}
	o.args = os.Args[1:]
	run := driveBelieve
	if o.tables {
		run = drive
	}
	if o.safe {
		run = driveSafe
	}
	if o.security {
		run = driveSecurity
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "maestrobench:", err)
		os.Exit(1)
	}
}
