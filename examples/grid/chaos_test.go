package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/internal/proctest"
	"github.com/maestro-go/maestro/maestro/iiop"
)

var (
	ruChaosFor  = flag.Duration("ru.chaos", 0, "run each TestRURandom* test for this long (a soak; default 20s)")
	ruChaosSeed = flag.Uint64("ru.chaos.seed", 0, "seed of the TestRURandom* tests' fault schedules (default: random, logged)")
	ruChaosLogs = flag.String("ru.chaos.logs", "", "run the TestRURandom* tests' replicas with -v and write each incarnation's log to this directory")
	ruChaosN    = flag.Int("ru.chaos.replicas", 3, "replicas of the TestRURandom* tests (-replicas N; at least 3)")
)

// freePort returns a TCP port of 127.0.0.1 nobody listens on now, so that a
// replica restarted with it keeps its place in the clients' reference. It
// lies below the kernel's ephemeral range: a port from that range (as :0
// gives) could become the local end of any outgoing connection while its
// replica is down, and the restart would fail to listen on it.
func freePort(t *testing.T) int {
	t.Helper()
	low := 32768 // Linux's default
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	low = max(low, 12000)
	for range 100 {
		port := 10000 + rand.IntN(low-10000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free TCP port below the ephemeral range")
	return 0
}

// chaosRun is a group of n -mode ru replicas (-replicas n; 3 unless
// -ru.chaos.replicas says otherwise), each with its own state directory
// and IIOP address, which the faults of a random schedule hit while
// clients call them.
type chaosRun struct {
	t      *testing.T
	g      *ruGroup
	n      int
	rng    *rand.Rand
	seed   uint64
	run    time.Duration
	gone   []*proctest.Proc // incarnations that ended, for their logs
	faults map[string]int   // how many of each fault were injected
}

// newChaosRun reads the flags; the test then sets g.args and g.command
// and calls start.
func newChaosRun(t *testing.T) *chaosRun {
	c := &chaosRun{t: t, n: max(3, *ruChaosN), run: 20 * time.Second, seed: *ruChaosSeed, faults: map[string]int{}}
	if *ruChaosFor > 0 {
		c.run = *ruChaosFor
	}
	if c.seed == 0 {
		c.seed = rand.Uint64()
	}
	t.Logf("fault schedule seed %d (-ru.chaos.seed)", c.seed)
	c.rng = rand.New(rand.NewPCG(c.seed, 0))
	c.g = newRUGroup(t, c.n)
	return c
}

// all is every replica's index.
func (c *chaosRun) all() []int {
	idx := make([]int, c.n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// pick returns k replicas chosen at random.
func (c *chaosRun) pick(k int) []int { return c.rng.Perm(c.n)[:k] }

// others returns the replicas after i, in ring order: the addresses a
// client that calls i first fails over to.
func (c *chaosRun) others(i int) []int {
	var out []int
	for k := 1; k < c.n; k++ {
		out = append(out, (i+k)%c.n)
	}
	return out
}

func (c *chaosRun) start() {
	if *ruChaosLogs != "" {
		args := c.g.args
		c.g.args = func(i int) []string { return append(args(i), "-v") }
		c.t.Cleanup(c.saveLogs)
	}
	for range c.n {
		c.g.start()
	}
	c.g.waitServing(c.all()...)
}

// saveLogs writes every incarnation's log to -ru.chaos.logs.
func (c *chaosRun) saveLogs() {
	for k, p := range append(c.gone, c.g.procs...) {
		name := filepath.Join(*ruChaosLogs, fmt.Sprintf("%s-%02d-%s.log", c.t.Name(), k, p.Name))
		if err := os.WriteFile(name, []byte(strings.Join(p.Stderr(), "\n")+"\n"), 0o644); err != nil {
			c.t.Log(err)
		}
	}
}

// restart starts replica i again, with the same arguments (and so the same
// state directory and IIOP address).
func (c *chaosRun) restart(i int) {
	c.t.Helper()
	c.gone = append(c.gone, c.g.procs[i])
	c.g.restart(i)
}

func (c *chaosRun) kill(i int) {
	c.t.Helper()
	c.g.procs[i].Kill()
	c.waitExit(i)
}

func (c *chaosRun) waitExit(i int) {
	c.t.Helper()
	select {
	case <-c.g.procs[i].Done():
	case <-time.After(20 * time.Second):
		c.t.Fatalf("r%d did not exit", i)
	}
}

func (c *chaosRun) signal(sig syscall.Signal, idx ...int) {
	c.t.Helper()
	for _, i := range idx {
		require.NoError(c.t, c.g.procs[i].Signal(sig))
	}
}

// pause lets the clients call for a random while.
func (c *chaosRun) pause() { time.Sleep(time.Duration(300+c.rng.IntN(1700)) * time.Millisecond) }

// processFault injects one fault chosen at random among those that hit
// processes. At most a minority is ever down at once: a majority
// restarted from its disks may have lost updates nobody else holds, and
// the group rightly waits for an operator then.
func (c *chaosRun) processFault() {
	minority := (c.n - 1) / 2
	ij := c.pick(2)
	i, j := ij[0], ij[1]
	switch c.rng.IntN(7) {
	case 0, 1:
		down := c.pick(1 + c.rng.IntN(minority))
		c.faults[fmt.Sprintf("SIGKILL of %d and restart", len(down))]++
		for _, k := range down {
			c.kill(k)
		}
		c.pause()
		for _, k := range down {
			c.restart(k)
		}
	case 2:
		c.faults["leave and restart"]++
		c.signal(syscall.SIGTERM, i)
		c.waitExit(i)
		require.Equal(c.t, 0, c.g.procs[i].ExitCode(), "r%d's graceful leave", i)
		c.pause()
		c.restart(i)
	case 3, 4:
		// Stopping a majority leaves the group without one until they
		// continue.
		stopped := c.pick(1 + c.rng.IntN(c.n-1))
		c.faults[fmt.Sprintf("SIGSTOP of %d", len(stopped))]++
		c.signal(syscall.SIGSTOP, stopped...)
		c.pause()
		c.pause()
		c.signal(syscall.SIGCONT, stopped...)
	case 5:
		// Killed again while it rejoins: it held no state of its own
		// yet, so the group loses nothing more.
		c.faults["SIGKILL twice, the second time while it rejoins"]++
		c.kill(i)
		c.restart(i)
		c.pause()
		c.kill(i)
		c.restart(i)
	case 6:
		// An up-to-date replica stops while the killed one rejoins: the
		// others must bring it up to date.
		c.faults["SIGKILL, then SIGSTOP another while it rejoins"]++
		c.kill(i)
		c.restart(i)
		c.signal(syscall.SIGSTOP, j)
		c.pause()
		c.signal(syscall.SIGCONT, j)
	}
}

// faultsUntilDone injects faults from fault until the run's time is up,
// waiting after each for the three replicas to serve in one primary view
// again, while the clients call; then it stops the clients and checks
// what they learnt against the replicas' grids and logs.
func (c *chaosRun) faultsUntilDone(clients []*chaosClient, sets []setFunc, fault func()) {
	t, g := c.t, c.g
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for k, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.run(ctx, sets[k])
		}()
	}
	defer func() { stop(); wg.Wait() }()
	deadline := time.Now().Add(c.run)
	for time.Now().Before(deadline) {
		fault()
		g.waitServing(c.all()...)
		c.pause()
	}
	stop()
	wg.Wait()
	t.Logf("faults: %v", c.faults)

	dump := g.sameGrid(c.all()...)
	for _, cl := range clients {
		counts := map[chaosOutcome]int{}
		for _, call := range cl.calls {
			counts[call.out]++
		}
		t.Logf("client %d: %d sets: %d acknowledged, %d refused, %d of unknown outcome", cl.row, len(cl.calls), counts[chaosAcked], counts[chaosRefused], counts[chaosMaybe])
		require.Empty(t, cl.hung, "client %d: calls that got no answer within %v", cl.row, callLimit)
		require.NotZero(t, counts[chaosAcked], "client %d: no set acknowledged", cl.row)
		if cl.ft {
			require.Equal(t, len(cl.calls), counts[chaosAcked], "client %d, FT-aware, noticed a fault: %v", cl.row, cl.failures(3))
		}
		for col := range 10 {
			v, err := strconv.ParseInt(cell(dump, cl.row, col), 10, 32)
			require.NoError(t, err)
			require.NoError(t, cl.check(col, int32(v)))
		}
	}
	warnings := map[string]int{}
	for _, p := range append(c.gone, g.procs...) {
		for _, l := range p.Stderr() {
			switch {
			case strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") || strings.Contains(l, "fate of an undelivered cast unknown"):
				t.Errorf("%s logged: %s", p.Name, l)
			case strings.Contains(l, "level=WARN"):
				warnings[logMsg(l)]++
			}
		}
	}
	t.Logf("warnings logged: %v", warnings)
}

// TestRURandomFaults: three replicas with -replicas 3 (-ru.chaos.replicas
// for more), each with its own state directory and IIOP port, serve four
// FT-aware Go clients and an omniORB one that set cells of their own rows
// without pause, through the reference published at the start, while
// faults chosen at random hit the replicas: SIGKILL of a minority and
// restart from the state directories (killed again while it rejoins, or
// with another replica stopped meanwhile), graceful leave and restart,
// SIGSTOP of some replicas — a majority, sometimes — and SIGCONT. After
// each fault the test waits for all to serve in one primary view again.
// At the end their grids are equal, every cell holds what the clients'
// outcomes allow (no acknowledged set lost, no refused set applied), no
// call went unanswered, and no replica logged an error. -ru.chaos runs it
// longer; -ru.chaos.seed replays a schedule.
func TestRURandomFaults(t *testing.T) {
	c := newChaosRun(t)
	portbase := c.g.args(0)
	dirs, listen := make([]string, c.n), make([]string, c.n)
	for i := range c.n {
		dirs[i] = filepath.Join(t.TempDir(), "state")
		listen[i] = "127.0.0.1:" + strconv.Itoa(freePort(t))
	}
	c.g.args = func(i int) []string {
		return append(slices.Clone(portbase), "-statedir", dirs[i], "-listen", listen[i])
	}
	c.start()

	var clients []*chaosClient
	var sets []setFunc
	for k := range 5 {
		cl := &chaosClient{row: k, ft: k < 4}
		i := k % c.n // the replica it calls first
		if cl.ft {
			sets = append(sets, cl.goSet(c.ftClient(cl.row), c.g.refAt(i, c.others(i)...)))
		} else {
			sets = append(sets, cl.omniSet(startOmniClient(t, "omniORB client", ruClient(t), "lines", c.g.refFirst(i, c.others(i)...)).p))
		}
		clients = append(clients, cl)
	}
	c.faultsUntilDone(clients, sets, c.processFault)
}

// ftClient returns the FT-aware Go client of the given row, closed with
// the test. It resends a refused call for as long as a call may take
// (callLimit), so it sees no fault the group recovers from.
func (c *chaosRun) ftClient(row int) *iiop.Client {
	ic := iiop.NewClient(iiop.ClientOptions{FTClientID: fmt.Sprintf("chaos-client-%d-%d", row, c.seed), DialTimeout: 2 * time.Second, FTRetryFor: callLimit})
	c.t.Cleanup(func() { ic.Close() })
	return ic
}

// logMsg returns the msg of a log line in slog's text format, and its err
// if it has one.
func logMsg(l string) string {
	msg := logAttr(l, "msg")
	if err := logAttr(l, "err"); err != "" {
		return msg + " err=" + err
	}
	return msg
}

// logAttr returns the value of attribute key of a log line in slog's text
// format ("" if it has none), quoted if it was.
func logAttr(l, key string) string {
	_, v, ok := strings.Cut(l, " "+key+"=")
	if !ok {
		return ""
	}
	if strings.HasPrefix(v, `"`) {
		if q, err := strconv.QuotedPrefix(v); err == nil {
			return q
		}
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

// TestRURandomPartitions: the replicas of TestRURandomFaults, each in a
// network namespace of its own, serve omniORB clients (one per replica, up
// to five) and two FT-aware Go clients over a front network that never
// splits, while the group's network splits at random (a minority cut off,
// a three-way split, the cut moving to other replicas, a replica killed
// and restarted while cut off) and heals, besides TestRURandomFaults's
// faults to processes. The checks at the end are the same.
func TestRURandomPartitions(t *testing.T) {
	c := newChaosRun(t)
	lab := netlab.New(t, c.n)
	front := newFrontNet(t, lab, c.n)
	dirs := make([]string, c.n)
	for i := range c.n {
		dirs[i] = filepath.Join(t.TempDir(), "state")
	}
	c.g.args = func(i int) []string {
		var seeds []string
		for j := range c.n {
			if j != i {
				seeds = append(seeds, lab.Addr(j)+":"+gridPort)
			}
		}
		return []string{"-udp", lab.Addr(i) + ":" + gridPort, "-seeds", strings.Join(seeds, ","),
			"-listen", frontAddr(i) + ":9000", "-statedir", dirs[i]}
	}
	c.g.command = lab.Command
	c.start()

	var clients []*chaosClient
	var sets []setFunc
	for k := range min(c.n, 5) {
		cl := &chaosClient{row: k}
		ref := c.g.refFirst(k, c.others(k)...)
		p := startOmniClient(t, fmt.Sprintf("omniORB client %d", k), "ip", "netns", "exec", front.ns, ruClient(t), "-ORBclientConnectTimeOutPeriod", "2000", "lines", ref).p
		clients = append(clients, cl)
		sets = append(sets, cl.omniSet(p))
	}
	for k := range 2 {
		// FT-aware Go clients on the front network too: a minority
		// replica's refusals and forwards must cost them only a pause.
		cl := &chaosClient{row: 5 + k, ft: true}
		clients = append(clients, cl)
		sets = append(sets, inNamespace(t, front.ns, cl.goSet(c.ftClient(cl.row), c.g.refAt(k, c.others(k)...))))
	}
	minority := (c.n - 1) / 2
	cut := func() []int { return c.pick(1 + c.rng.IntN(minority)) }
	c.faultsUntilDone(clients, sets, func() {
		switch c.rng.IntN(5) {
		case 0:
			c.processFault()
		case 1:
			off := cut()
			c.faults[fmt.Sprintf("%d cut off", len(off))]++
			lab.Partition(off)
			c.pause()
			c.pause()
			lab.Heal()
		case 2:
			// Three components: no majority anywhere unless one of them
			// holds one.
			perm := c.rng.Perm(c.n)
			x := 1 + c.rng.IntN(c.n-2)
			y := x + 1 + c.rng.IntN(c.n-1-x)
			c.faults["three-way split"]++
			lab.Partition(perm[:x], perm[x:y])
			c.pause()
			c.pause()
			lab.Heal()
		case 3:
			c.faults["a cut off, then another instead"]++
			lab.Partition(cut())
			c.pause()
			lab.Partition(cut())
			c.pause()
			lab.Heal()
		case 4:
			i := c.rng.IntN(c.n)
			c.faults["one cut off, SIGKILLed and restarted"]++
			lab.Partition([]int{i})
			c.pause()
			c.kill(i)
			c.restart(i)
			c.pause()
			lab.Heal()
		}
	})
}
