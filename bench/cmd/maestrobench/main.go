// Command maestrobench measures the group-communication stack over real UDP
// sockets on this machine, with every member a separate OS process, and
// prints it side by side with hashicorp/raft doing the same work (the
// reference lives in its own module under bench/raft, so the main module
// never depends on raft).
//
//	go run ./bench/cmd/maestrobench            # everything, ~2 minutes
//	go run ./bench/cmd/maestrobench -raft=false -scale=false
//	go run ./bench/cmd/maestrobench -safe      # Safe delivery vs raft, ~4 minutes (make bench-safe)
//	go run ./bench/cmd/maestrobench -security  # the cost of Auth and Privacy, ~2 minutes
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
package main

import (
	"flag"
	"fmt"
	"os"
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
	fs.BoolVar(&o.scale, "scale", true, "also measure throughput for 1-8 members (1 KiB casts)")
	fs.IntVar(&o.maxMembers, "max-members", 8, "largest group in the scaling table")
	fs.BoolVar(&o.raft, "raft", true, "run the hashicorp/raft reference (needs bench/raft and the Go toolchain)")
	fs.StringVar(&o.props, "properties", "", "stack properties (default: the dissertation's default stack)")
	fs.BoolVar(&o.verbose, "v", false, "progress on stderr")
	fs.BoolVar(&o.safe, "safe", false, "instead of the default tables: Safe delivery (Primary+Safe over Total and over Token) against raft, the cost of Primary, and the UDP round trip, as medians of -rounds interleaved repetitions (-properties is the base stack)")
	fs.IntVar(&o.rounds, "rounds", 5, "-safe, -security: interleaved repetitions of every cell")
	fs.StringVar(&o.safeSizes, "safe-sizes", "16,1024", "-safe, -security: message sizes in bytes")
	fs.BoolVar(&o.security, "security", false, "instead of the default tables: the cost of Auth and Privacy (the base stack, -properties, with and without them), as medians of -rounds interleaved repetitions")
	fs.IntVar(&o.primaryPairs, "primary-pairs", 3, "-safe: pairs of cells (default stack, default+Primary) per round")
	fs.DurationVar(&o.warmup, "warmup", -1, "unmeasured casts at the start of each throughput cell (default: 500ms with -safe, as raftbench's warm-up; none otherwise)")
	_ = fs.Parse(os.Args[1:])
	if o.warmup < 0 {
		o.warmup = 0
		if o.safe {
			o.warmup = 500 * time.Millisecond
		}
	}
	o.args = os.Args[1:]
	run := drive
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
