package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/stack/props"
)

type driverOptions struct {
	tables       bool          // the earlier one-shot tables (drive) instead of the default comparison
	stacks       string        // the default comparison's configurations
	jsonFile     string        // the default comparison's cells are written here
	safe         bool          // the Safe comparison (safe.go) instead of the default comparison
	rounds       int           // -safe: interleaved repetitions of every cell
	safeSizes    string        // -safe: message sizes
	primaryPairs int           // -safe: (default, default+Primary) pairs per round
	security     bool          // -security: the cost of Auth and Privacy
	warmup       time.Duration // unmeasured casts at the start of each throughput cell
	args         []string
	duration     time.Duration
	sizes        string
	latencyOps   int
	scale        bool
	maxMembers   int
	scaleMembers int // the default comparison's larger group (0: none)
	raft         bool
	props        string
	verbose      bool
	inline       bool // members run their callbacks inline (InlineUpcalls)
	maxPacket    int  // members' largest datagram (0: the transport's default)
	offload      bool // members use UDP segmentation offload where the kernel has it
}

// proc is a member process under the driver's control.
type proc struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	reports chan report
	rank    int
	views   int // views installed after the group formed (a view change during a cell)
}

// cluster is a group of member processes.
type cluster struct {
	procs    []*proc
	run      uint32
	o        driverOptions
	stateDir string // with Primary: the members' state directories, removed by stop
}

func (o driverOptions) logf(format string, args ...any) {
	if o.verbose {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}

func startCluster(o driverOptions, n int) (*cluster, error) {
	return startGroup(o, n, o.props)
}

// usedBases keeps the clusters of one run on distinct port ranges.
var usedBases = map[int]bool{}

// startGroup starts n member processes with the given properties and
// waits until they share one view (a primary view, with Primary). With
// Primary every member gets Replicas n and a fresh state directory.
func startGroup(o driverOptions, n int, properties string) (*cluster, error) {
	return startGroupIn(o, n, properties, nil, nil)
}

// startGroupIn is startGroup with every member's command line prefixed
// by prefix (such as "ip netns exec NAME") and extended by extra.
func startGroupIn(o driverOptions, n int, properties string, prefix, extra []string) (*cluster, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	pr, err := props.Parse(properties)
	if err != nil {
		return nil, err
	}
	base := 30000 + rand.IntN(1500)*16
	for usedBases[base] {
		base = 30000 + rand.IntN(1500)*16
	}
	usedBases[base] = true
	group := fmt.Sprintf("maestrobench-%d", base)
	c := &cluster{o: o}
	if pr.Has("Primary") {
		if c.stateDir, err = os.MkdirTemp("", "maestrobench-state-"); err != nil {
			return nil, err
		}
	}
	for i := 0; i < n; i++ {
		args := []string{"-member", "-group", group, "-portbase", strconv.Itoa(base), "-properties", properties,
			"-inline-upcalls=" + strconv.FormatBool(o.inline),
			"-max-packet", strconv.Itoa(o.maxPacket), "-no-offload=" + strconv.FormatBool(!o.offload)}
		keyed, err := keyArgs(pr)
		if err != nil {
			c.stop()
			return nil, err
		}
		args = append(args, keyed...)
		if c.stateDir != "" {
			dir := filepath.Join(c.stateDir, strconv.Itoa(i))
			if err := os.Mkdir(dir, 0o755); err != nil {
				c.stop()
				return nil, err
			}
			args = append(args, "-replicas", strconv.Itoa(n), "-statedir", dir)
		}
		args = append(args, extra...)
		bin := self
		if len(prefix) > 0 {
			bin, args = prefix[0], append(append(append([]string(nil), prefix[1:]...), self), args...)
		}
		p, err := startProc(bin, args...)
		if err != nil {
			c.stop()
			return nil, err
		}
		c.procs = append(c.procs, p)
	}
	// Wait for one view of n members everywhere (with Primary: one in
	// which they may cast; the first view of a merge is not primary).
	deadline := time.Now().Add(60 * time.Second)
	for _, p := range c.procs {
		for {
			r, err := p.next(time.Until(deadline))
			if err != nil {
				c.stop()
				return nil, fmt.Errorf("forming a group of %d: %w", n, err)
			}
			if r.Event == "view" && r.Members == n && r.Primary {
				p.rank = r.Rank
				break
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // let the last view settle everywhere
	return c, nil
}

// read forwards the process's JSON reports until its stdout ends.
func (p *proc) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var r report
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			p.reports <- r
		}
	}
	close(p.reports)
}

// quit asks the process to end and waits for it (killing it after 10 s).
func (p *proc) quit() {
	_ = p.send(command{Cmd: "quit"})
	_ = p.in.Close()
	p.wait(10 * time.Second)
}

// kill ends the process at once.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	p.wait(0)
}

func (p *proc) wait(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		for range p.reports { // drain, so the reader reaches EOF
		}
		_ = p.cmd.Wait()
		close(done)
	}()
	if grace > 0 {
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
	}
	_ = p.cmd.Process.Kill()
	<-done
}

func (p *proc) next(timeout time.Duration) (report, error) {
	select {
	case r, ok := <-p.reports:
		if !ok {
			return r, fmt.Errorf("member process exited")
		}
		if r.Event == "error" {
			return r, fmt.Errorf("member: %s", r.Error)
		}
		if r.Event == "view" && p.rank >= 0 {
			p.views++
		}
		return r, nil
	case <-time.After(timeout):
		return report{}, fmt.Errorf("timed out")
	}
}

// waitDone waits for a "done" report of run, skipping others.
func (p *proc) waitDone(run uint32, timeout time.Duration) (report, error) {
	deadline := time.Now().Add(timeout)
	for {
		r, err := p.next(time.Until(deadline))
		if err != nil {
			return r, err
		}
		if (r.Event == "done" || r.Event == "started") && r.Run == run {
			if r.Event == "done" {
				return r, nil
			}
		}
		if r.Event == "view" && r.Members != 0 {
			// A view change during a cell is worth knowing about.
			continue
		}
	}
}

func (p *proc) send(c command) error {
	b, _ := json.Marshal(c)
	_, err := p.in.Write(append(b, '\n'))
	return err
}

func (c *cluster) stop() {
	for _, p := range c.procs {
		_ = p.send(command{Cmd: "quit"})
		_ = p.in.Close()
	}
	for _, p := range c.procs {
		p.wait(10 * time.Second)
	}
	if c.stateDir != "" {
		_ = os.RemoveAll(c.stateDir)
	}
}

// viewChanges counts the views the members installed after the group
// formed: each is a view change during the measurements.
func (c *cluster) viewChanges() int {
	n := 0
	for _, p := range c.procs {
		n += p.views
	}
	return n
}

func (c *cluster) byRank(r int) *proc {
	for _, p := range c.procs {
		if p.rank == r {
			return p
		}
	}
	return c.procs[0]
}

// throughputResult is one throughput cell.
type throughputResult struct {
	members, senders, size int
	msgsPerSec, mbPerSec   float64
	rssKiB                 int64
	// cpuPerMsg is the CPU time all members used during the cell per
	// message delivered at the slowest, in µs: less sensitive than the
	// rate to the other load on the machine.
	cpuPerMsg float64
}

// throughput has `senders` members (starting at rank 0) cast for the
// configured duration and measures delivery at the slowest member.
func (c *cluster) throughput(size, senders int) (throughputResult, error) {
	c.run++
	run := c.run
	n := len(c.procs)
	var starts []int64
	for _, p := range c.procs {
		send := p.rank < senders
		if err := p.send(command{Cmd: "throughput", Run: run, Size: size, Send: send, Senders: senders, Millis: int(c.o.duration / time.Millisecond), WarmMillis: int(c.o.warmup / time.Millisecond)}); err != nil {
			return throughputResult{}, err
		}
	}
	var minCount uint64 = 1<<63 - 1
	var lastNs int64
	var rss int64
	var cpu float64
	start := time.Now().UnixNano()
	for _, p := range c.procs {
		deadline := time.Now().Add(c.o.warmup + c.o.duration + 60*time.Second)
		for {
			r, err := p.next(time.Until(deadline))
			if err != nil {
				return throughputResult{}, fmt.Errorf("throughput %d B: %w", size, err)
			}
			if r.Run != run {
				continue
			}
			if r.Event == "started" {
				starts = append(starts, r.StartNs)
				continue
			}
			if r.Event == "done" {
				minCount = min(minCount, r.Count)
				lastNs = max(lastNs, r.LastNs)
				rss = max(rss, r.RSSKiB)
				cpu += r.CPUus
				break
			}
		}
	}
	for _, s := range starts {
		start = min(start, s)
	}
	secs := float64(lastNs-start) / 1e9
	if secs <= 0 {
		return throughputResult{}, fmt.Errorf("throughput %d B: no time elapsed", size)
	}
	res := throughputResult{members: n, senders: senders, size: size, rssKiB: rss}
	res.msgsPerSec = float64(minCount) / secs
	res.mbPerSec = res.msgsPerSec * float64(size) / 1e6
	if minCount > 0 {
		res.cpuPerMsg = cpu / float64(minCount)
	}
	c.o.logf("  %d members, %d senders, %6d B: %10.0f msgs/s %8.1f MB/s %6.2f CPU us/msg", n, senders, size, res.msgsPerSec, res.mbPerSec, res.cpuPerMsg)
	return res, nil
}

// latency runs closed-loop round trips from rank 0.
func (c *cluster) latency(size int) (lat latencyResult, err error) {
	c.run++
	run := c.run
	p := c.byRank(0)
	if err := p.send(command{Cmd: "latency", Run: run, Size: size, Send: true, Count: c.o.latencyOps, Receiver: len(c.procs) - 1}); err != nil {
		return lat, err
	}
	r, err := p.waitDone(run, 120*time.Second)
	if err != nil {
		return lat, fmt.Errorf("latency %d B: %w", size, err)
	}
	c.o.logf("  latency %6d B: all p50 %.0f us p99 %.0f us; majority p50 %.0f us p99 %.0f us", size, r.P50us, r.P99us, r.Q50us, r.Q99us)
	return latencyResult{p50: r.P50us, p99: r.P99us, q50: r.Q50us, q99: r.Q99us, u50: r.U50us}, nil
}

// latencyResult is one latency cell: until every member acknowledged, and
// until a majority (the sender and one other of three) had the message;
// u50 is the p50 of the cell's main figure until the delivery callback ran
// (0: not measured).
type latencyResult struct {
	p50, p99, q50, q99, u50 float64
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// cell is one row of the main comparison.
type cell struct {
	size              int
	one, all          throughputResult
	lat               latencyResult
	raftSeq, raftConc *raftResult
}

func drive(o driverOptions) error {
	sizes, err := parseSizes(o.sizes)
	if err != nil {
		return err
	}
	var raft map[string]*raftResult
	if o.raft {
		o.logf("running the hashicorp/raft reference...")
		if raft, err = runRaft(o, sizes); err != nil {
			return fmt.Errorf("raft reference: %w", err)
		}
	}
	o.logf("3 members:")
	c, err := startCluster(o, 3)
	if err != nil {
		return err
	}
	var cells []cell
	for _, size := range sizes {
		cl := cell{size: size}
		if cl.one, err = c.throughput(size, 1); err != nil {
			c.stop()
			return err
		}
		if cl.all, err = c.throughput(size, 3); err != nil {
			c.stop()
			return err
		}
		if cl.lat, err = c.latency(size); err != nil {
			c.stop()
			return err
		}
		cl.raftSeq, cl.raftConc = raft[key(size, "seq")], raft[key(size, "conc")]
		cells = append(cells, cl)
	}
	c.stop()
	var scaling []throughputResult
	if o.scale {
		for n := 1; n <= o.maxMembers; n++ {
			o.logf("%d members:", n)
			c, err := startCluster(o, n)
			if err != nil {
				return err
			}
			r, err := c.throughput(1024, 1)
			c.stop()
			if err != nil {
				return err
			}
			scaling = append(scaling, r)
		}
	}
	printTables(os.Stdout, cells, scaling, o.raft)
	return nil
}
