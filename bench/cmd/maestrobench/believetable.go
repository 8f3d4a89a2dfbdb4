package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// printBelieve prints the default comparison as Markdown tables: the
// run's conditions, the machine's limits and raft, then every cell with
// its spread and its ratios to raft and to the limits.
func printBelieve(w io.Writer, run *believeRun, cells []benchCell) {
	sizeName := func(n int) string {
		if n >= 1024 && n%1024 == 0 {
			return fmt.Sprintf("%d KiB", n/1024)
		}
		return fmt.Sprintf("%d B", n)
	}
	get := func(sys, what string, size int) spread { return summarize(run.res.get(sys, what, size)) }
	o := run.o
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Group communication, %d members as %d processes over UDP loopback, against hashicorp/raft (3 processes, TCP\n", membersN, membersN)
	fmt.Fprintln(w, "loopback, in-memory stores) and the machine's own limits, all measured in the same run.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- command: `go run ./bench/cmd/maestrobench %s`\n", strings.Join(o.args, " "))
	for _, st := range run.stacks {
		fmt.Fprintf(w, "- %s: `%s`", st, run.props[st])
		if st == stMulticast {
			fmt.Fprintf(w, ", casts by IP multicast to %s, in %s", run.mcast.group, run.mcast.where)
		}
		fmt.Fprintln(w)
	}
	if run.mcastNote != "" {
		fmt.Fprintf(w, "- multicast: not measured: %s.\n", run.mcastNote)
	}
	if o.inline {
		fmt.Fprintln(w, "- members run their callbacks inline (`groupmember.Options.InlineUpcalls`), not on a delivery goroutine.")
	}
	printTransport(w, o.maxPacket, o.offload)
	fmt.Fprintf(w, "- %d rounds, every cell once per round, the systems interleaved (their order reversed every other round), every\n", o.rounds)
	fmt.Fprintf(w, "  process started once for the whole run; throughput cells of %v after a %v warm-up (raft's too); latency cells\n", o.duration, o.warmup)
	fmt.Fprintf(w, "  of %d closed-loop casts (raft: sequential Apply for the cell's duration). A figure is the median [min–max] of\n", o.latencyOps)
	fmt.Fprintln(w, "  the rounds; a ratio is taken round by round (the two cells ran in the same round), median [min–max]. A cell")
	fmt.Fprintf(w, "  marked unstable has its min or max more than %.0f%% from its median.\n", stableBand*100)
	run.print(w, "before", "after")
	systems := run.stacks
	if run.scaleStack != "" {
		systems = append(slices.Clone(systems), scaleKey(run.scaleStack))
	}
	printViewChanges(w, systems, run.views)
	if !o.raft {
		fmt.Fprintln(w, "- raft reference not run (-raft=false): every ratio to raft is 0.")
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "The references. UDP goodput: payload bytes per second one process receives from another (recvmmsg), sent by")
	fmt.Fprintf(w, "sendmmsg %d datagrams a call, 4 MiB socket buffers, as the transport does; what the receiver had no room for is\n", batchDgrams)
	fmt.Fprintln(w, "lost and not counted. To two: one process sends every datagram to two (the throughput cells' pattern, by unicast),")
	fmt.Fprintln(w, "the slower receiver's figure. UDP round trip: one datagram of the cell's size (at most 65,507 bytes, the largest")
	fmt.Fprintln(w, "there is) to an echo process and back, both waiting in blocking system calls (the cheapest wake-up here; Go's")
	fmt.Fprintln(w, "poller costs a thread hand-off at each end).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| limit | median [min–max] |")
	fmt.Fprintln(w, "| --- | ---: |")
	for _, ref := range []string{refPacked, refDgram64, refPackedFan, refDgram64Fan} {
		g := get(ref, thr1, gpKey)
		mb := spread{n: g.n, median: g.median / 1e6, min: g.min / 1e6, max: g.max / 1e6}
		what, extra := "UDP goodput", ""
		switch ref {
		case refPacked:
			extra = fmt.Sprintf(" = %s 1 KiB payloads/s", thousands(g.median/1024))
		case refPackedFan, refDgram64Fan:
			what = "UDP goodput to two (each)"
		}
		fmt.Fprintf(w, "| %s, %s | %s MB/s%s |\n", what, limitName(ref), mb.count(), extra)
	}
	for _, size := range run.sizes {
		fmt.Fprintf(w, "| UDP round trip p50 / p99, %s | %s / %s µs |\n", sizeName(size), get(refRTT, lat, size).count(), get(refRTT, lat9, size).count())
	}
	if o.raft {
		for _, size := range run.sizes {
			fmt.Fprintf(w, "| raft 64-way Apply, %s | %s msgs/s |\n", sizeName(size), get(refRaft, thr1, size).count())
			fmt.Fprintf(w, "| raft sequential Apply p50 / p99, %s | %s / %s µs |\n", sizeName(size), get(refRaft, lat, size).count(), get(refRaft, lat9, size).count())
		}
	}

	mark := func(c benchCell) string {
		if c.Unstable {
			return " unstable"
		}
		return ""
	}
	rng := func(m, lo, hi float64, unit string) string {
		if m == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f%s [%.2f–%.2f]", m, unit, lo, hi)
	}
	pct := func(m, lo, hi float64) string {
		if m == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f%% [%.2f–%.2f]", m*100, lo*100, hi*100)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Throughput: casts delivered per second at the slowest member (safe: once a majority holds them), 1 sender (rank 0,")
	fmt.Fprintln(w, "the sequencer) or all 3. ÷ raft: against raft's 64-way pipelined Apply in the same round. ÷ UDP goodput: the")
	fmt.Fprintln(w, "cell's payload bytes per second as a fraction of the UDP goodput in the same round (1 KiB-packed limit below")
	fmt.Fprintln(w, "58 KiB casts, 65,507-byte datagrams from there up; at small sizes the cost per cast binds long before bytes do);")
	fmt.Fprintln(w, "to two: as a fraction of the same limit from one process to two, each datagram to both.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| stack | members | size | senders | msgs/s | MB/s | ÷ raft | % of UDP goodput | % of it to two | CPU µs/msg | peak RSS MiB |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range cells {
		if c.Kind != "throughput" {
			continue
		}
		sp := spread{n: c.Rounds, median: c.MsgsPerS, min: c.Min, max: c.Max}
		fmt.Fprintf(w, "| %s | %d | %s | %d | %s%s | %.1f | %s | %s | %s | %.2f | %.0f |\n", c.Stack, c.Members, sizeName(c.Size), c.Senders, sp.count(), mark(c), c.MBPerS,
			rng(c.RatioRaft, c.RaftMin, c.RaftMax, "×"), pct(c.RatioLimit, c.LimitMin, c.LimitMax),
			pct(c.RatioFanoutLimit, c.FanoutLimitMin, c.FanoutLimitMax), c.CPUusPerMsg, c.PeakRSSMiB)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Peak RSS: the largest member's high-water mark at the end of the cell (since it started, so it covers the")
	fmt.Fprintln(w, "cells before), over the rounds.")
	for _, c := range cells {
		if c.RatioMembers3 > 0 {
			fmt.Fprintf(w, "Scale: %d members (%s), %s from one sender: %s msgs/s = %s the 3-member cell of the same round.\n",
				c.Members, c.Stack, sizeName(c.Size), thousands(c.MsgsPerS), rng(c.RatioMembers3, c.Members3Min, c.Members3Max, "×"))
		}
	}
	if run.scaleNote != "" {
		fmt.Fprintf(w, "Scale cell: %s.\n", run.scaleNote)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Closed-loop latency, µs, one cast at a time. default, token, multicast: a cast by rank 0 until the first")
	fmt.Fprintln(w, "point-to-point acknowledgement from another member (a majority of 3 has it); safe, safe+token: until rank 0")
	fmt.Fprintln(w, "delivers it as safe. raft ÷: raft's sequential Apply p50 over this p50 (above 1: faster than raft). ÷ UDP round")
	fmt.Fprintln(w, "trip: this p50 over the UDP round-trip p50 at the same size (1 would be the machine's limit). ÷ UDP to two: this")
	fmt.Fprintln(w, "p50 over the p50 of one process sending each datagram to two echo processes, until the first echo: the same")
	fmt.Fprintln(w, "3-process pattern with no protocol (its p50 and its own multiple of the round trip follow in parentheses).")
	fmt.Fprintln(w, "p50 to callback: the same loop timed until rank 0's delivery callback ran, before the hand-off to the goroutine")
	fmt.Fprintln(w, "that waits for it (every other figure includes that hand-off, as raft's Apply includes its own).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| stack | size | p50 | p99 | p50 to callback | raft ÷ | ÷ UDP round trip | ÷ UDP to two |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range cells {
		if c.Kind != "latency" {
			continue
		}
		sp := spread{n: c.Rounds, median: c.P50us, min: c.Min, max: c.Max}
		fanout := "-"
		if c.FanoutP50us > 0 {
			fanout = fmt.Sprintf("%s (%.0f µs, %.2f× the round trip)", rng(c.RatioFanout, c.FanoutMin, c.FanoutMax, "×"), c.FanoutP50us, c.FanoutP50us/c.LimitValue)
		}
		callback := "-"
		if c.CallbackP50us > 0 {
			callback = thousands(c.CallbackP50us)
		}
		fmt.Fprintf(w, "| %s | %s | %s%s | %s | %s | %s | %s | %s |\n", c.Stack, sizeName(c.Size), sp.count(), mark(c), thousands(c.P99us), callback,
			rng(c.RatioRaft, c.RaftMin, c.RaftMax, "×"), rng(c.RatioLimit, c.LimitMin, c.LimitMax, "×"), fanout)
	}
	var shaky []string
	for _, c := range cells {
		if c.Unstable {
			refs := fmt.Sprintf("limit ±%.0f%%", c.LimitSwing*100)
			if c.RaftValue > 0 {
				refs = fmt.Sprintf("raft ±%.0f%%, %s", c.RaftSwing*100, refs)
			}
			shaky = append(shaky, fmt.Sprintf("%s %s %s/%d ±%.0f%% (%s)", c.Kind, c.Stack, sizeName(c.Size), c.Senders, c.Swing*100, refs))
		}
	}
	fmt.Fprintln(w)
	if len(shaky) == 0 {
		fmt.Fprintf(w, "Every cell's min–max lies within ±%.0f%% of its median.\n", stableBand*100)
	} else {
		fmt.Fprintf(w, "Unstable (min or max beyond ±%.0f%% of the median): %d of %d cells: %s.\n",
			stableBand*100, len(shaky), len(cells), strings.Join(shaky, ", "))
		fmt.Fprintln(w, "In brackets, how far raft's figure and the limit's swung over the same rounds: a reference that swung as much")
		fmt.Fprintln(w, "points at the machine (the other processes' load above), one that held steady at the cell (the view changes")
		fmt.Fprintln(w, "above are the first suspect). The cell's range, not its median, is what such a run supports.")
	}
	if o.jsonFile != "" {
		fmt.Fprintf(w, "\n%d cells written to %s.\n", len(cells), o.jsonFile)
	}
}

// printTransport says what the members' datagrams were, when not the
// defaults.
func printTransport(w io.Writer, maxPacket int, offload bool) {
	if maxPacket > 0 {
		fmt.Fprintf(w, "- members send datagrams of at most %d bytes (`groupmember.Options.MaxPacket`).\n", maxPacket)
	}
	if !offload {
		fmt.Fprintln(w, "- members do not use UDP segmentation offload (`groupmember.Options.NoOffload`).")
	}
}
