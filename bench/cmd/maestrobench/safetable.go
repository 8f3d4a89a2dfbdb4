package main

import (
	"fmt"
	"io"
	"strings"
)

// printSafeTables prints the -safe comparison as Markdown tables (they
// read as well in a terminal as in a README), then the bars of DESIGN §6.
func printSafeTables(w io.Writer, run *safeRun) {
	get := func(sys, what string, size int) spread { return summarize(run.res.get(sys, what, size)) }
	paired := func(a, b string, wa, wb string, size int) spread {
		return summarize(ratios(run.res.get(a, wa, size), run.res.get(b, wb, size)))
	}
	sizeName := func(n int) string {
		if n >= 1024 && n%1024 == 0 {
			return fmt.Sprintf("%d KiB", n/1024)
		}
		return fmt.Sprintf("%d B", n)
	}
	fmt.Fprintln(w, "Safe delivery: 3 members as 3 processes over UDP loopback, against hashicorp/raft (3 processes over TCP")
	fmt.Fprintln(w, "loopback, in-memory stores) in the same run.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- command: `go run ./bench/cmd/maestrobench %s`\n", strings.Join(run.args, " "))
	for _, sys := range []string{sysTotal, sysToken, sysDefault, sysPrimary} {
		fmt.Fprintf(w, "- %s: `%s`\n", sys, run.stacks[sys])
	}
	if run.inline {
		fmt.Fprintln(w, "- members run their callbacks inline (`groupmember.Options.InlineUpcalls`), not on a delivery goroutine.")
	}
	printTransport(w, run.maxPacket, run.offload)
	fmt.Fprintf(w, "- %d rounds, every cell once per round, the systems interleaved (their order reversed every other round), every\n", run.rounds)
	fmt.Fprintf(w, "  cluster kept for the whole run; throughput cells of %v after a %v warm-up (raft's too), latency cells of %d round\n", run.duration, run.warmup, run.latencyOps)
	fmt.Fprintln(w, "  trips (raft: sequential Apply for the cell's duration). A figure is the median")
	fmt.Fprintln(w, "  [min–max] of the rounds; a ratio is taken round by round (the two cells ran back to back), median [min–max].")
	run.print(w, "at the start", "at the end")
	printViewChanges(w, []string{sysTotal, sysToken, sysDefault, sysPrimary}, run.views)
	if !run.withRaft {
		fmt.Fprintln(w, "- raft reference not run (-raft=false).")
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Throughput, msgs/s delivered at the slowest member (Safe: delivered once a majority holds it); raft: Apply calls")
	fmt.Fprintln(w, "returned at the leader with 64 callers.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| size | Safe/Total 1 sender | Safe/Token 1 sender | Safe/Total 3 senders | Safe/Token 3 senders | raft 64-way Apply |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range run.sizes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", sizeName(s),
			get(sysTotal, thr1, s).count(), get(sysToken, thr1, s).count(),
			get(sysTotal, thr3, s).count(), get(sysToken, thr3, s).count(), get(sysRaft, thr1, s).count())
	}
	if run.withRaft {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| size | Safe/Total 1 sender ÷ raft | Safe/Token 1 sender ÷ raft | Safe/Total 3 senders ÷ raft | Safe/Token 3 senders ÷ raft |")
		fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: |")
		for _, s := range run.sizes {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", sizeName(s),
				paired(sysTotal, sysRaft, thr1, thr1, s).ratio(), paired(sysToken, sysRaft, thr1, thr1, s).ratio(),
				paired(sysTotal, sysRaft, thr3, thr1, s).ratio(), paired(sysToken, sysRaft, thr3, thr1, s).ratio())
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU time per delivered message, µs, the three member processes together (user + system, from the cell's")
	fmt.Fprintln(w, "start to each member's last delivery). The members take what CPU they get, and batch more when they get less,")
	fmt.Fprintln(w, "so this moves with the machine's load too, inversely to the rate; it shows where the CPU goes.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| size | Safe/Total 1 sender | Safe/Token 1 sender | Safe/Total 3 senders | Safe/Token 3 senders |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: |")
	for _, s := range run.sizes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", sizeName(s),
			get(sysTotal, cpu1, s).micros(), get(sysToken, cpu1, s).micros(),
			get(sysTotal, cpu3, s).micros(), get(sysToken, cpu3, s).micros())
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Closed-loop latency, µs, one operation at a time: Safe, a cast by rank 0 until rank 0 delivers it (safe: a")
	fmt.Fprintln(w, "majority holds it); raft, a sequential Apply (returns once a majority has the entry and the leader applied it);")
	fmt.Fprintln(w, "stack round trip, the default stack (no Safe): a cast by rank 0 until the first point-to-point acknowledgement")
	fmt.Fprintln(w, "from another member comes back; UDP, one round trip of a datagram of the same size between two processes.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| size | Safe/Total p50 | p99 | Safe/Token p50 | p99 | raft p50 | p99 | stack round trip p50 | p99 | UDP round trip p50 | p99 |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range run.sizes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sizeName(s),
			get(sysTotal, lat, s).count(), get(sysTotal, lat9, s).count(),
			get(sysToken, lat, s).count(), get(sysToken, lat9, s).count(),
			get(sysRaft, lat, s).count(), get(sysRaft, lat9, s).count(),
			get(sysDefault, lat, s).count(), get(sysDefault, lat9, s).count(),
			get(sysUDP, lat, s).count(), get(sysUDP, lat9, s).count())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| size | Safe/Total p50 ÷ raft p50 | Safe/Token p50 ÷ raft p50 | Safe/Total p50 ÷ stack round trip | Safe/Token p50 ÷ stack round trip | Safe/Total p50 ÷ UDP round trip | Safe/Token p50 ÷ UDP round trip |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range run.sizes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", sizeName(s),
			paired(sysTotal, sysRaft, lat, lat, s).ratio(), paired(sysToken, sysRaft, lat, lat, s).ratio(),
			paired(sysTotal, sysDefault, lat, lat, s).ratio(), paired(sysToken, sysDefault, lat, lat, s).ratio(),
			paired(sysTotal, sysUDP, lat, lat, s).ratio(), paired(sysToken, sysUDP, lat, lat, s).ratio())
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "The cost of the Primary layer alone: the default stack against the default stack + Primary (no Safe), 1 KiB")
	fmt.Fprintf(w, "casts, 1 sender, msgs/s delivered at the slowest member; %d back-to-back pairs per round, so %d paired ratios.\n", run.primaryPairs, run.primaryPairs*run.rounds)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| | default | default+Primary | default+Primary ÷ default |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	prim := paired(sysPrimary, sysDefault, thr1, thr1, 1024)
	fmt.Fprintf(w, "| msgs/s | %s | %s | %s |\n", get(sysDefault, thr1, 1024).count(), get(sysPrimary, thr1, 1024).count(), prim.ratio())
	primCPU := paired(sysPrimary, sysDefault, cpu1, cpu1, 1024)
	fmt.Fprintf(w, "| CPU µs/msg | %s | %s | %s |\n", get(sysDefault, cpu1, 1024).micros(), get(sysPrimary, cpu1, 1024).micros(), primCPU.ratio())

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Bars (DESIGN §6), on the medians of the round-by-round ratios:")
	fmt.Fprintln(w)
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	if run.withRaft {
		for _, s := range run.sizes {
			var parts []string
			for _, c := range []struct{ sys, what, name string }{{sysTotal, thr1, "Total 1 sender"}, {sysToken, thr1, "Token 1 sender"}, {sysTotal, thr3, "Total 3 senders"}, {sysToken, thr3, "Token 3 senders"}} {
				r := paired(c.sys, sysRaft, c.what, thr1, s)
				parts = append(parts, fmt.Sprintf("%s %.2f× %s", c.name, r.median, met(r.median >= 1.5)))
			}
			fmt.Fprintf(w, "- Safe throughput ≥ 1.5× raft's 64-way Apply, %s: %s.\n", sizeName(s), strings.Join(parts, "; "))
		}
		for _, s := range run.sizes {
			var parts []string
			for _, sys := range []string{sysTotal, sysToken} {
				r := paired(sys, sysRaft, lat, lat, s)
				parts = append(parts, fmt.Sprintf("%s %s vs %s µs (%.2f×) %s", sys, thousands(get(sys, lat, s).median), thousands(get(sysRaft, lat, s).median), r.median, met(r.median <= 1)))
			}
			fmt.Fprintf(w, "- Safe p50 ≤ raft's sequential Apply p50, %s: %s.\n", sizeName(s), strings.Join(parts, "; "))
		}
	}
	for _, s := range run.sizes {
		var parts []string
		for _, sys := range []string{sysTotal, sysToken} {
			r := paired(sys, sysUDP, lat, lat, s)
			parts = append(parts, fmt.Sprintf("%s %.2f× %s", sys, r.median, met(r.median <= 1.2)))
		}
		fmt.Fprintf(w, "- Safe p50 ≤ 1.2× one UDP round trip (%s µs), %s: %s.\n", thousands(get(sysUDP, lat, s).median), sizeName(s), strings.Join(parts, "; "))
	}
	if prim.n > 0 {
		cost := (1 - prim.median) * 100
		lo, hi := (1-prim.q3)*100, (1-prim.q1)*100
		verdict := met(cost < 5)
		if hi >= 5 || lo <= -5 {
			verdict += ", but not resolved: the middle half of the pairs spans more than the bar"
		}
		fmt.Fprintf(w, "- Primary alone costs < 5%% throughput against the default stack (1 KiB, 1 sender): %.1f%% (median of %d pairs; middle half %.1f%% to %.1f%%, all %.1f%% to %.1f%%): %s. CPU per message: %+.1f%%.\n",
			cost, prim.n, lo, hi, (1-prim.max)*100, (1-prim.min)*100, verdict, (primCPU.median-1)*100)
	}
}
