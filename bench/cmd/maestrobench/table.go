package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

func printTables(w io.Writer, cells []cell, scaling []throughputResult, withRaft bool) {
	fmt.Fprintln(w, "Total-order casts, 3 members as 3 processes over UDP loopback (default stack)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\tmaestro 1 sender msgs/s\tMB/s\tmaestro 3 senders msgs/s\tMB/s\traft 64-way msgs/s\tMB/s\tratio\tmember peak RSS MiB\t")
	for _, c := range cells {
		rm, rmb, ratio := "-", "-", "-"
		if c.raftConc != nil {
			rm = fmt.Sprintf("%.0f", c.raftConc.MsgsPerSec)
			rmb = fmt.Sprintf("%.1f", c.raftConc.MBPerSec)
			ratio = fmt.Sprintf("%.1fx", c.one.msgsPerSec/c.raftConc.MsgsPerSec)
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%.1f\t%.0f\t%.1f\t%s\t%s\t%s\t%.0f\t\n", c.size, c.one.msgsPerSec, c.one.mbPerSec, c.all.msgsPerSec, c.all.mbPerSec, rm, rmb, ratio, float64(max(c.one.rssKiB, c.all.rssKiB))/1024)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Closed-loop latency, one operation at a time. maestro: a cast from the sequencer until a majority (the")
	fmt.Fprintln(w, "sender and one other) / every member acknowledged it by a point-to-point reply; raft: sequential Apply")
	fmt.Fprintln(w, "(returns once a majority has the entry and the leader applied it).")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\tmaestro majority p50 us\tp99 us\tmaestro all p50 us\tp99 us\traft p50 us\tp99 us\tp50 ratio (raft/maestro majority)\traft seq msgs/s\t")
	for _, c := range cells {
		r50, r99, ratio, rs := "-", "-", "-", "-"
		if c.raftSeq != nil {
			r50 = fmt.Sprintf("%.0f", c.raftSeq.P50us)
			r99 = fmt.Sprintf("%.0f", c.raftSeq.P99us)
			ratio = fmt.Sprintf("%.2fx", c.raftSeq.P50us/c.lat.q50)
			rs = fmt.Sprintf("%.0f", c.raftSeq.MsgsPerSec)
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t\n", c.size, c.lat.q50, c.lat.q99, c.lat.p50, c.lat.p99, r50, r99, ratio, rs)
	}
	tw.Flush()
	if !withRaft {
		fmt.Fprintln(w, "(raft reference not run: -raft=false)")
	}
	if len(scaling) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Throughput by group size (1 sender, 1 KiB casts, every member a process)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "members\tmsgs/s\tMB/s\t")
	for _, s := range scaling {
		fmt.Fprintf(tw, "%d\t%.0f\t%.1f\t\n", s.members, s.msgsPerSec, s.mbPerSec)
	}
	tw.Flush()
}
