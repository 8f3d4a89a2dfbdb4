// Command maestrobench measures the group-communication stack over real UDP
// sockets on this machine, with every member a separate OS process, and
// prints it side by side with hashicorp/raft doing the same work (the
// reference lives in its own module under bench/raft, so the main module
// never depends on raft).
//
//	go run ./bench/cmd/maestrobench            # everything, ~2 minutes
//	go run ./bench/cmd/maestrobench -raft=false -scale=false
//
// Throughput: one member (the view's sequencer, as in §3.6) or every member
// casts as fast as flow control lets it for -duration; the figure is
// messages delivered at the slowest member per second. Latency: closed
// loop, one cast at a time; a sample is the time from the cast until every
// other member's acknowledgement (a point-to-point send after delivery)
// has come back — one round trip, like a raft Apply that returns once a
// quorum has the entry.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-member" {
		if err := memberMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "member:", err)
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
	_ = fs.Parse(os.Args[1:])
	if err := drive(o); err != nil {
		fmt.Fprintln(os.Stderr, "maestrobench:", err)
		os.Exit(1)
	}
}
