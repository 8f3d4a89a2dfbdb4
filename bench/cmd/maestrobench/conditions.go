package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// runConditions is what a run reports about the machine it ran on: the
// load average at the start and after every round, the wall time, and the
// machine's busy CPU time against the CPU time of the run's own processes
// (what other processes took).
type runConditions struct {
	loads      []float64 // at the start, after every round
	elapsed    time.Duration
	cpus       int
	busy, ours time.Duration
	busyKnown  bool

	start        time.Time
	busy0, ours0 time.Duration
	busyOK       bool
}

// begin notes the conditions at the start of the run.
func (c *runConditions) begin() {
	c.start = time.Now()
	c.loads = append(c.loads, loadAvg())
	c.busy0, c.busyOK = machineBusy()
	c.ours0 = ourCPU()
}

// roundDone notes the load average after a round.
func (c *runConditions) roundDone() { c.loads = append(c.loads, loadAvg()) }

// end notes the conditions at the end; call it once every process of the
// run is reaped, so that their CPU time is in ourCPU.
func (c *runConditions) end() {
	c.elapsed = time.Since(c.start)
	busy1, ok := machineBusy()
	c.busy, c.busyKnown = busy1-c.busy0, c.busyOK && ok
	c.ours = ourCPU() - c.ours0
	c.cpus = runtime.NumCPU()
}

// print writes the load average ("before"/"after" name its first and last
// figures) and the other processes' share of the machine.
func (c *runConditions) print(w io.Writer, before, after string) {
	var loads []string
	for _, l := range c.loads[1 : len(c.loads)-1] {
		loads = append(loads, fmt.Sprintf("%.2f", l))
	}
	fmt.Fprintf(w, "- load average (1 min): %.2f %s, %.2f %s", c.loads[0], before, c.loads[len(c.loads)-1], after)
	if len(loads) > 0 {
		fmt.Fprintf(w, " (after each earlier round: %s)", strings.Join(loads, ", "))
	}
	fmt.Fprintf(w, "; it counts this run's own processes. Run took %v.\n", c.elapsed.Round(time.Second))
	if c.busyKnown && c.elapsed > 0 {
		other := max(c.busy-c.ours, 0)
		fmt.Fprintf(w, "- other processes' load: the machine's %d CPUs were busy %.0f%% of the run, %.0f%% of it (%.2f CPUs) for others than\n",
			c.cpus, 100*c.busy.Seconds()/(c.elapsed.Seconds()*float64(c.cpus)), 100*other.Seconds()/max(c.busy.Seconds(), 1e-9), other.Seconds()/c.elapsed.Seconds())
		fmt.Fprintln(w, "  this run (busy time in /proc/stat minus this run's processes' CPU time).")
	}
}

// printViewChanges prints how many views each system's members installed
// after their group formed (0 = none: nothing disturbed the run).
func printViewChanges(w io.Writer, systems []string, views map[string]int) {
	var vc []string
	for _, sys := range systems {
		vc = append(vc, fmt.Sprintf("%s %d", sys, views[sys]))
	}
	fmt.Fprintf(w, "- view changes after the groups formed (member installations, 0 = none): %s.\n", strings.Join(vc, ", "))
}
