package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// RU mode's defaults for -n and -reps (when not given): a 3-replica cast
// costs several times a Simple ORB call, and every cell measures four
// servers.
const (
	ruDefaultN    = 2000
	ruDefaultReps = 7
)

// ruTarget is a server measured in RU mode: the omniORB C++ server or an
// RU group.
type ruTarget struct {
	name     string
	replicas int // the group's size (0 for omniORB)
	// iors are the IOR files clients use (iorFor), so that concurrent
	// clients spread over the replicas (each IOR lists a different
	// replica first).
	iors  []string
	pids  []int
	group *ruGroup // nil for omniORB
	omni  bool
}

// iorFor returns the IOR file client i of a run uses when the first
// client calls replica entry first: iors[(i+entry) mod len(iors)].
func (t *ruTarget) iorFor(i, entry int) string { return t.iors[(i+entry)%len(t.iors)] }

// ruCell is one target's runs at one size.
type ruCell struct {
	rates  []float64 // single client: its rate; aggregate: the sum
	slow   []float64 // aggregate: clients × the slowest client's rate
	paired []float64 // rate / the omniORB rate of the same repetition
	// perServer is each server process's CPU (replicas in t.pids order),
	// so that the called replica's share can be told from the others'.
	perServer []time.Duration
	calls     float64
}

// cpu returns all server processes' CPU time together.
func (c *ruCell) cpu() time.Duration {
	var sum time.Duration
	for _, d := range c.perServer {
		sum += d
	}
	return sum
}

func runRU(cfg *config) (err error) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Minute)
	defer cancelTimeout()
	fmt.Printf("load average at start: %s\n", loadAverage())
	bins, err := omnibuild.Cached(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "orbbench-ru-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	version, _ := iiop.ParseVersion(cfg.giop)

	var targets []*ruTarget
	if cfg.only != "go" {
		omniIOR := dir + "/omni.ior"
		srv, err := bins.StartServer(ctx, "perf", omniIOR)
		if err != nil {
			return err
		}
		defer srv.Stop()
		targets = append(targets, &ruTarget{name: "omniORB", iors: []string{omniIOR}, pids: []int{srv.Cmd.Process.Pid}, omni: true})
	}
	if cfg.only != "omni" {
		// One port range of 16 per group, below the ephemeral ports.
		base := 20000 + rand.IntN(740-len(cfg.replicas)*len(cfg.progress))*16
		var groups []*ruGroup
		defer func() {
			for _, g := range groups {
				if serr := g.stop(); serr != nil && err == nil {
					err = serr
				}
			}
		}()
		start := time.Now()
		j := 0
		for _, n := range cfg.replicas {
			for _, primary := range cfg.progress {
				gctx, gcancel := context.WithTimeout(ctx, 90*time.Second)
				g, err := startRUGroup(gctx, ruGroupSpec{
					primary: primary,
					exe:     self, env: cfg.serveEnv, dir: dir,
					name:     fmt.Sprintf("orbbench-%d-g%d-%d", os.Getpid(), j, n),
					replicas: n, portBase: base + 16*j, version: version,
					args: []string{"-giop", cfg.giop, "-readmode", cfg.readMode, "-maxblocking", strconv.Itoa(cfg.maxBlocking)},
					log:  os.Stderr, cpuProfile: cfg.cpuProfile, traceFile: cfg.traceFile,
				})
				gcancel()
				j++
				if g != nil {
					groups = append(groups, g)
				}
				if err != nil {
					return err
				}
				targets = append(targets, &ruTarget{name: ruName(n, primary), replicas: n, iors: g.iors, pids: g.pids(), group: g})
			}
		}
		fmt.Printf("RU groups of %s replicas formed and serving in %.1fs (all replicas in one primary view, compound IORs published)\n",
			joinInts(cfg.replicas), time.Since(start).Seconds())
		if cfg.floors {
			floors, stop, err := floorTargets(ctx, cfg, self, dir)
			defer stop()
			if err != nil {
				return fmt.Errorf("floors: %w", err)
			}
			targets = append(targets, floors...)
			fmt.Printf("Floors: \"Simple ORB\" is the Go Simple ORB server (the IIOP bridge, nothing replicated: RU 1's floor); \"Simple+UDP %d\"\n", floorReaders)
			fmt.Printf("is it relaying each request's argument by one sendmmsg to %d reader processes before replying (no ordering, no\n", floorReaders)
			fmt.Printf("acknowledgement: the least a relaying %d-replica group costs here); \"Simple+UDP %d after\" relays from a goroutine of its\n", floorReaders+1, floorReaders)
			fmt.Printf("own, up to %d arguments per sendmmsg, and replies at once (the best a group that replies before the others hear\n", relayBatch)
			fmt.Printf("the request can do); \"Simple+UDP %d acked\" relays before replying and waits for one reader's acknowledgement (the\n", floorReaders)
			fmt.Println("least a group that replies once a majority of 3 holds the request costs here). Their CPU counts the readers.")
		}
	}

	fmt.Printf("omniORB C++ client (synchronous set_value calls, 200 warm-up calls then %d timed, per run) against the omniORB C++ server\n", cfg.n)
	seq := "the called replica is the sequencer"
	if cfg.entry > 0 {
		seq = "the called replica, unless alone, waits for the sequencer's order"
	}
	fmt.Printf("and the Replicated Updates ORB (each replica a process; \"all\": progress in all partitions, Total order, %s;\n", seq)
	fmt.Printf("\"primary\": ProgressInPrimaryOnly with Replicas = group size, so Primary+Safe, a reply waits for a majority; StateTransfer;\n")
	called := "the client calls the first replica of the published compound IOR"
	if cfg.entry > 0 {
		called = fmt.Sprintf("the client calls replica %d (mod the group size) of the published compound IOR first", cfg.entry)
	}
	fmt.Printf("IIOP %s, read mode %s; %s); 127.0.0.1, no pinning;\n", cfg.giop, cfg.readMode, called)
	fmt.Printf("%d runs per cell, the servers interleaved within each run (order rotated every run)\n", cfg.reps)

	// A discarded run each, so that no server meets its first client
	// while measured.
	for _, t := range targets {
		if _, err := ruMeasure(ctx, bins.Client, t, 64, 500, 1, cfg.entry, nil); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}

	single := func(size int) (map[*ruTarget]*ruCell, error) { return ruCells(ctx, cfg, bins.Client, targets, size, 1) }
	fmt.Printf("\nsingle client, load average before: %s\n", loadAverage())
	printRUHeader(false)
	results := map[int]map[*ruTarget]*ruCell{}
	for _, size := range cfg.sizes {
		cells, err := single(size)
		if err != nil {
			return err
		}
		results[size] = cells
		printRURows(size, targets, cells, false)
	}
	fmt.Printf("load average after: %s\n", loadAverage())

	if cfg.aggClients > 1 {
		fmt.Printf("\n%d concurrent clients, %d calls each per run, %d runs per cell (client i calls replica i mod group size first), load average before: %s\n",
			cfg.aggClients, cfg.aggN, cfg.aggReps, loadAverage())
		printRUHeader(true)
		for _, size := range cfg.sizes {
			cells, err := ruCells(ctx, cfg, bins.Client, targets, size, cfg.aggClients)
			if err != nil {
				return err
			}
			printRURows(size, targets, cells, true)
		}
		fmt.Printf("load average after: %s\n", loadAverage())
	}

	for _, t := range targets {
		if t.group == nil {
			continue
		}
		for i, c := range t.group.procs {
			if !c.alive() {
				return fmt.Errorf("%s: replica %d exited during the run: %v", t.name, i, c.err)
			}
		}
		if v := t.group.viewChanges.Load(); v > 0 {
			fmt.Printf("WARNING: %s: %d view changes reported while measuring\n", t.name, v)
		}
	}
	printBars(cfg, targets, results)
	fmt.Printf("load average at end: %s\n", loadAverage())
	return nil
}

// ruCells measures every target at size, cfg.reps times, interleaved.
func ruCells(ctx context.Context, cfg *config, client string, targets []*ruTarget, size, clients int) (map[*ruTarget]*ruCell, error) {
	cells := map[*ruTarget]*ruCell{}
	for _, t := range targets {
		cells[t] = &ruCell{}
	}
	reps, n := cfg.reps, cfg.n
	if clients > 1 {
		reps, n = cfg.aggReps, cfg.aggN
	}
	for r := range reps {
		rates := map[*ruTarget]float64{}
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			c := cells[t]
			m, err := ruMeasure(ctx, client, t, size, n, clients, cfg.entry, c)
			if err != nil {
				return nil, fmt.Errorf("%s, %d B: %w", t.name, size, err)
			}
			rates[t] = m
		}
		var omni float64
		for _, t := range targets {
			if t.omni {
				omni = rates[t]
			}
		}
		for _, t := range targets {
			if omni > 0 {
				cells[t].paired = append(cells[t].paired, rates[t]/omni)
			}
		}
	}
	return cells, nil
}

// ruMeasure runs clients perf clients at once against t, the first
// calling replica entry first, and returns the sum of their rates; with c
// it records the run in c.
func ruMeasure(ctx context.Context, client string, t *ruTarget, size, n, clients, entry int, c *ruCell) (float64, error) {
	rates := make([]float64, clients)
	errs := make([]error, clients)
	t0 := make([]cpuSample, len(t.pids))
	for i, pid := range t.pids {
		t0[i] = sampleCPU(pid)
	}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"perf", t.iorFor(i, entry), strconv.Itoa(size), strconv.Itoa(n)}
			rates[i], errs[i] = runClient(ctx, client, nil, args)
		}()
	}
	wg.Wait()
	each := make([]time.Duration, len(t.pids))
	for i, pid := range t.pids {
		each[i] = cpuBetween(t0[i], sampleCPU(pid))
	}
	sum, slowest := 0.0, rates[0]
	for i, r := range rates {
		if errs[i] != nil {
			return 0, errs[i]
		}
		sum += r
		slowest = min(slowest, r)
	}
	if c != nil {
		c.rates = append(c.rates, sum)
		c.slow = append(c.slow, slowest*float64(clients))
		if c.perServer == nil {
			c.perServer = make([]time.Duration, len(each))
		}
		for i, d := range each {
			c.perServer[i] += d
		}
		c.calls += float64(clients * (n + warmup + 1))
	}
	return sum, nil
}

func printRUHeader(agg bool) {
	what, cpu1, cpu2 := "calls/s", "server CPU", "µs/call = each process, busiest first"
	if agg {
		what, cpu1, cpu2 = "calls/s summed", "server CPU  clients × slowest", "µs/call              median"
	}
	fmt.Printf("%6s  %-14s | %-32s | %-7s | %-20s | %s\n", "size", "server", what+" median [min–max]", "RU/omni", "paired RU/omni", cpu1)
	fmt.Printf("%6s  %-14s | %-32s | %-7s | %-20s | %s\n", "", "", "", "ratio", "median [min–max]", cpu2)
}

func printRURows(size int, targets []*ruTarget, cells map[*ruTarget]*ruCell, agg bool) {
	var omniMedian float64
	for _, t := range targets {
		if t.omni {
			omniMedian = median(cells[t].rates)
		}
	}
	for _, t := range targets {
		c := cells[t]
		m := median(c.rates)
		rate := fmt.Sprintf("%8.0f [%.0f–%.0f]", m, slices.Min(c.rates), slices.Max(c.rates))
		ratio, paired := "", ""
		if !t.omni && omniMedian > 0 {
			ratio = fmt.Sprintf("%.2f", m/omniMedian)
			paired = fmt.Sprintf("%.2f [%.2f–%.2f]", median(c.paired), slices.Min(c.paired), slices.Max(c.paired))
		}
		cpu := fmt.Sprintf("%7.1f   ", c.cpu().Seconds()*1e6/c.calls)
		if agg {
			cpu += fmt.Sprintf("  %19.0f", median(c.slow))
		} else if len(c.perServer) > 1 {
			cpu += "= " + splitCPU(c.perServer, c.calls)
		}
		fmt.Printf("%5dB  %-14s | %-32s | %-7s | %-20s | %s\n", size, t.name, rate, ratio, paired, cpu)
	}
}

// printBars compares the single-client medians with the bars of DESIGN
// §6, in each mode: 3 replicas at least 0.8× omniORB, 1 replica at least
// 1.0×.
func printBars(cfg *config, targets []*ruTarget, results map[int]map[*ruTarget]*ruCell) {
	bars := map[int]float64{1: 1.0, 3: 0.8}
	var omni *ruTarget
	for _, t := range targets {
		if t.omni {
			omni = t
		}
	}
	if omni == nil {
		return
	}
	header := "\nbars (single client, ratio of medians):\n"
	if cfg.entry > 0 {
		header = fmt.Sprintf("\nbars (single client calling replica %d (mod the group size) first, ratio of medians):\n", cfg.entry)
	}
	for _, t := range targets {
		bar, ok := bars[t.replicas]
		if !ok || t.omni {
			continue
		}
		fmt.Print(header)
		header = ""
		var parts []string
		for _, size := range cfg.sizes {
			r := median(results[size][t].rates) / median(results[size][omni].rates)
			verdict := "met"
			if r < bar {
				verdict = "NOT met"
			}
			parts = append(parts, fmt.Sprintf("%dB %.2f %s", size, r, verdict))
		}
		fmt.Printf("  %s ≥ %.1f× omniORB: %s\n", t.name, bar, strings.Join(parts, ", "))
		if f := floorOf(t, targets); f != nil {
			parts = parts[:0]
			for _, size := range cfg.sizes {
				fr := median(results[size][f].rates)
				parts = append(parts, fmt.Sprintf("%dB %.2f× omniORB, %s at %.2f of it", size,
					fr/median(results[size][omni].rates), t.name, median(results[size][t].rates)/fr))
			}
			fmt.Printf("    its floor, %s: %s\n", f.name, strings.Join(parts, "; "))
		}
	}
}

// floorOf returns the floor measured for t's kind of call, if any: the
// Simple ORB for one replica, and for 3 in "primary" mode the floor that
// waits for one acknowledgement, since a majority must hold the request
// before the reply. "all" mode has none: its floors relay from another
// goroutine or before the reply, and the RU ORB, which replies before it
// sends and from the same thread, outruns both.
func floorOf(t *ruTarget, targets []*ruTarget) *ruTarget {
	want := ""
	switch {
	case t.replicas == 1:
		want = simpleFloor
	case t.replicas == floorReaders+1 && t.name == ruName(t.replicas, true):
		want = ackedFloor
	}
	for _, f := range targets {
		if f.name == want {
			return f
		}
	}
	return nil
}

// ruName names a group in the tables: its size and its mode.
func ruName(n int, primary bool) string {
	mode := "all"
	if primary {
		mode = "primary"
	}
	return fmt.Sprintf("RU %d %s", n, mode)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// splitCPU writes each server process's CPU a call, busiest first: with
// one client, the replica it calls leads.
func splitCPU(each []time.Duration, calls float64) string {
	us := make([]float64, len(each))
	for i, d := range each {
		us[i] = d.Seconds() * 1e6 / calls
	}
	slices.SortFunc(us, func(a, b float64) int { return cmp.Compare(b, a) })
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = fmt.Sprintf("%.0f", u)
	}
	return strings.Join(parts, " + ")
}
