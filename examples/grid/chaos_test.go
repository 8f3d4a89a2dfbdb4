package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
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
	ruChaosFor  = flag.Duration("ru.chaos", 0, "run TestRURandomFaults for this long (a soak; default 20s)")
	ruChaosSeed = flag.Uint64("ru.chaos.seed", 0, "seed of TestRURandomFaults's fault schedule (default: random, logged)")
)

// chaosOutcome is what a client learnt of one set.
type chaosOutcome int

const (
	chaosAcked   chaosOutcome = iota // a reply: applied, and never to be lost
	chaosRefused                     // a system exception COMPLETED_NO: applied nowhere, ever
	chaosMaybe                       // COMPLETED_MAYBE, or given up on: applied or not
)

// chaosCall is one set a client made, in its order.
type chaosCall struct {
	col   int
	value int32
	out   chaosOutcome
	err   error
}

// chaosClient sets the cells of its own row of the grid, each set with a
// value no other set uses, one call at a time, through the compound
// reference it was given at the start.
type chaosClient struct {
	row   int
	calls []chaosCall
	hung  []string // calls that got no outcome within callLimit
}

// callLimit bounds one call: a request a replica holds without ever
// answering it (neither a reply nor an exception) is a fault, which no
// fault this test injects excuses for this long.
const callLimit = time.Minute

// errNoAnswer is a call that got no outcome within callLimit.
var errNoAnswer = errors.New("no answer")

// setFunc makes one set and says what the client learnt of it.
type setFunc func(col int, value int32) (chaosOutcome, error)

func (c *chaosClient) run(ctx context.Context, set setFunc) {
	for k := 0; ctx.Err() == nil; k++ {
		call := chaosCall{col: k % 10, value: int32((c.row+1)*1_000_000 + k)}
		call.out, call.err = set(call.col, call.value)
		if errors.Is(call.err, errNoAnswer) {
			c.hung = append(c.hung, fmt.Sprintf("set %d %d %d", c.row, call.col, call.value))
		}
		c.calls = append(c.calls, call)
		if call.out != chaosAcked {
			// Refused while the group has no primary view, or mid-failover:
			// an application would back off before its next call.
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// goSet makes sets with an FT-aware Go IIOP client: a call whose
// connection is lost is sent again with the same FT_REQUEST.
func (c *chaosClient) goSet(ic *iiop.Client, ref *iiop.IOR) setFunc {
	return func(col int, value int32) (chaosOutcome, error) {
		ctx, cancel := context.WithTimeout(context.Background(), callLimit)
		defer cancel()
		_, err := ic.Invoke(ctx, ref, "set", func(e *iiop.Encoder) {
			e.WriteShort(int16(c.row))
			e.WriteShort(int16(col))
			e.WriteLong(value)
		})
		var se *iiop.SystemException
		switch {
		case err == nil:
			return chaosAcked, nil
		case errors.Is(err, context.DeadlineExceeded):
			return chaosMaybe, fmt.Errorf("%w: %w", errNoAnswer, err)
		case errors.As(err, &se) && se.Completed == iiop.CompletedNo:
			return chaosRefused, err
		}
		return chaosMaybe, err
	}
}

// omniSet makes sets with the omniORB client's lines mode, which knows
// nothing of FT: it never resends a call that may have run.
func (c *chaosClient) omniSet(p *proctest.Proc) setFunc {
	return func(col int, value int32) (chaosOutcome, error) {
		before := len(p.Lines())
		line := fmt.Sprintf("set %d %d %d", c.row, col, value)
		if err := p.Send(line); err != nil {
			return chaosMaybe, err
		}
		var got string
		err := p.WaitFor(callLimit, "the answer to "+line, func(lines []string) bool {
			if len(lines) > before {
				got = lines[before]
				return true
			}
			return false
		})
		switch {
		case err != nil:
			return chaosMaybe, fmt.Errorf("%w: %w", errNoAnswer, err)
		case got == "OK":
			return chaosAcked, nil
		case strings.HasPrefix(got, "EXC ") && strings.HasSuffix(got, " completed 1"):
			return chaosRefused, errors.New(got)
		}
		return chaosMaybe, errors.New(got)
	}
}

// check says whether a cell's final value is one the client's calls allow:
// the last acknowledged value, or a value set later whose outcome the
// client could not know — never one refused, never one an acknowledged set
// replaced (lost), never one nobody set. Each client makes one call at a
// time, so a request whose outcome was unknown is applied, if ever, before
// the client's next acknowledged one.
func (c *chaosClient) check(col int, final int32) error {
	allowed := []int32{0}
	for _, call := range c.calls {
		if call.col != col {
			continue
		}
		switch call.out {
		case chaosAcked:
			allowed = []int32{call.value}
		case chaosMaybe:
			allowed = append(allowed, call.value)
		}
	}
	if slices.Contains(allowed, final) {
		return nil
	}
	for _, call := range c.calls {
		if call.col == col && call.value == final {
			return fmt.Errorf("cell (%d,%d) holds %d, whose set was %s (%v); allowed: %v", c.row, col, final, call.out, call.err, allowed)
		}
	}
	return fmt.Errorf("cell (%d,%d) holds %d, which no set wrote; allowed: %v", c.row, col, final, allowed)
}

func (o chaosOutcome) String() string {
	return [...]string{"acknowledged", "refused", "of unknown outcome"}[o]
}

// freePort returns a TCP port of 127.0.0.1 nobody listens on now, so that a
// replica restarted with it keeps its place in the clients' reference.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// chaosRun is a group of three -mode ru replicas (-replicas 3), each with
// its own state directory and IIOP address, which the faults of a random
// schedule hit while clients call them.
type chaosRun struct {
	t      *testing.T
	g      *ruGroup
	rng    *rand.Rand
	seed   uint64
	run    time.Duration
	gone   []*proctest.Proc // incarnations that ended, for their logs
	faults map[string]int   // how many of each fault were injected
}

const chaosReplicas = 3

// newChaosRun reads the flags; the test then sets g.args and g.command
// and calls start.
func newChaosRun(t *testing.T) *chaosRun {
	c := &chaosRun{t: t, run: 20 * time.Second, seed: *ruChaosSeed, faults: map[string]int{}}
	if *ruChaosFor > 0 {
		c.run = *ruChaosFor
	}
	if c.seed == 0 {
		c.seed = rand.Uint64()
	}
	t.Logf("fault schedule seed %d (-ru.chaos.seed)", c.seed)
	c.rng = rand.New(rand.NewPCG(c.seed, 0))
	c.g = newRUGroup(t, chaosReplicas)
	return c
}

// all is every replica's index.
func (c *chaosRun) all() []int { return []int{0, 1, 2} }

func (c *chaosRun) start() {
	for range chaosReplicas {
		c.g.start()
	}
	c.g.waitServing(c.all()...)
}

// restart starts replica i again, with the same arguments.
func (c *chaosRun) restart(i int) {
	c.t.Helper()
	g := c.g
	c.gone = append(c.gone, g.procs[i])
	args := append([]string{"-mode", "ru", "-group", g.group, "-etc", g.etc, "-suspect", "1s", "-replicas", strconv.Itoa(chaosReplicas)}, g.args(i)...)
	name, cmd := g.command(i, g.bin, args...)
	p := proctest.Start(c.t, fmt.Sprintf("r%d", i), name, cmd...)
	require.NoError(c.t, p.WaitFor(20*time.Second, "its IIOP address", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return ruIIOPLine.MatchString(l) })
	}))
	g.procs[i] = p
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
// processes.
func (c *chaosRun) processFault() {
	i := c.rng.IntN(chaosReplicas)
	j := (i + 1 + c.rng.IntN(chaosReplicas-1)) % chaosReplicas
	switch c.rng.IntN(7) {
	case 0, 1:
		c.faults["SIGKILL and restart"]++
		c.kill(i)
		c.pause()
		c.restart(i)
	case 2:
		c.faults["leave and restart"]++
		c.signal(syscall.SIGTERM, i)
		c.waitExit(i)
		require.Equal(c.t, 0, c.g.procs[i].ExitCode(), "r%d's graceful leave", i)
		c.pause()
		c.restart(i)
	case 3:
		c.faults["SIGSTOP one"]++
		c.signal(syscall.SIGSTOP, i)
		c.pause()
		c.pause()
		c.signal(syscall.SIGCONT, i)
	case 4:
		c.faults["SIGSTOP two"]++
		c.signal(syscall.SIGSTOP, i, j)
		c.pause()
		c.pause()
		c.signal(syscall.SIGCONT, i, j)
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
		// One of the two up-to-date replicas stops while the killed
		// one rejoins: the third alone must bring it up to date.
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

// TestRURandomFaults: three replicas with -replicas 3, each with its own
// state directory and IIOP port, serve four FT-aware Go clients and an
// omniORB one that set cells of their own rows without pause, through the
// reference published at the start, while faults chosen at random hit the
// replicas: SIGKILL and restart from the state directory (killed again
// while it rejoins, or with another replica stopped meanwhile), graceful
// leave and restart, SIGSTOP of one replica or of two (the group loses its
// majority) and SIGCONT. Two replicas are never killed at once: a majority
// restarted from its disks may have lost updates nobody else holds, and
// the group rightly waits for an operator then. After each fault the test
// waits for the three to serve in one primary view again. At the end the
// three grids are equal, every cell holds what the clients' outcomes
// allow (no acknowledged set lost, no refused set applied), no call went
// unanswered, and no replica logged an error. -ru.chaos runs it longer;
// -ru.chaos.seed replays a schedule.
func TestRURandomFaults(t *testing.T) {
	c := newChaosRun(t)
	portbase := c.g.args(0)
	var dirs, listen [chaosReplicas]string
	for i := range chaosReplicas {
		dirs[i] = filepath.Join(t.TempDir(), "state")
		listen[i] = "127.0.0.1:" + strconv.Itoa(freePort(t))
	}
	c.g.args = func(i int) []string {
		return append(slices.Clone(portbase), "-statedir", dirs[i], "-listen", listen[i])
	}
	c.start()
	published, err := c.g.published()
	require.NoError(t, err)
	ref := iiop.CompoundIOR(published.typeID, published.key, c.g.addrs, iiop.GIOP12)

	var clients []*chaosClient
	var sets []setFunc
	for k := range 5 {
		cl := &chaosClient{row: k}
		i := k % chaosReplicas // the replica it calls first
		if k < 4 {
			ic := iiop.NewClient(iiop.ClientOptions{FTClientID: fmt.Sprintf("chaos-client-%d-%d", k, c.seed), DialTimeout: 2 * time.Second})
			defer ic.Close()
			sets = append(sets, cl.goSet(ic, rotated(t, ref, i)))
		} else {
			sets = append(sets, cl.omniSet(startOmniClient(t, "omniORB client", ruClient(t), "lines", c.g.refFirst(i, (i+1)%chaosReplicas, (i+2)%chaosReplicas)).p))
		}
		clients = append(clients, cl)
	}
	c.faultsUntilDone(clients, sets, c.processFault)
}

// logMsg returns the msg of a log line in slog's text format.
func logMsg(l string) string {
	_, m, ok := strings.Cut(l, " msg=")
	if !ok {
		return l
	}
	if strings.HasPrefix(m, `"`) {
		if q, err := strconv.QuotedPrefix(m); err == nil {
			return q
		}
	}
	m, _, _ = strings.Cut(m, " ")
	return m
}

// rotated returns ref with the addresses of its first profile rotated so
// that the k-th comes first: the replica a client connects to first.
func rotated(t *testing.T, ref *iiop.IOR, k int) *iiop.IOR {
	ps, err := ref.IIOPProfiles()
	require.NoError(t, err)
	addrs := ps[0].Addrs()
	k %= len(addrs)
	return iiop.CompoundIOR(ref.TypeID, ps[0].ObjectKey, append(slices.Clone(addrs[k:]), addrs[:k]...), iiop.GIOP12)
}

// TestRURandomPartitions: the three replicas of TestRURandomFaults, each in
// a network namespace of its own, serve three omniORB clients over a front
// network that never splits, while the group's network splits at random
// (one replica cut off, a three-way split, the cut-off side moving from
// one replica to another, a replica killed and restarted while cut off)
// and heals, besides TestRURandomFaults's faults to processes. The checks
// at the end are the same.
func TestRURandomPartitions(t *testing.T) {
	c := newChaosRun(t)
	lab := netlab.New(t, chaosReplicas)
	front := newFrontNet(t, lab, chaosReplicas)
	var dirs [chaosReplicas]string
	for i := range chaosReplicas {
		dirs[i] = filepath.Join(t.TempDir(), "state")
	}
	c.g.args = func(i int) []string {
		var seeds []string
		for j := range chaosReplicas {
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
	for k := range chaosReplicas {
		cl := &chaosClient{row: k}
		ref := c.g.refFirst(k, (k+1)%chaosReplicas, (k+2)%chaosReplicas)
		p := startOmniClient(t, fmt.Sprintf("omniORB client %d", k), "ip", "netns", "exec", front.ns, ruClient(t), "-ORBclientConnectTimeOutPeriod", "2000", "lines", ref).p
		clients = append(clients, cl)
		sets = append(sets, cl.omniSet(p))
	}
	c.faultsUntilDone(clients, sets, func() {
		i := c.rng.IntN(chaosReplicas)
		j := (i + 1 + c.rng.IntN(chaosReplicas-1)) % chaosReplicas
		switch c.rng.IntN(5) {
		case 0:
			c.processFault()
		case 1:
			c.faults["one replica cut off"]++
			lab.Partition([]int{i})
			c.pause()
			c.pause()
			lab.Heal()
		case 2:
			c.faults["three-way split"]++
			lab.Partition([]int{0}, []int{1})
			c.pause()
			c.pause()
			lab.Heal()
		case 3:
			c.faults["one replica cut off, then another instead"]++
			lab.Partition([]int{i})
			c.pause()
			lab.Partition([]int{j})
			c.pause()
			lab.Heal()
		case 4:
			c.faults["one replica cut off, SIGKILLed and restarted"]++
			lab.Partition([]int{i})
			c.pause()
			c.kill(i)
			c.restart(i)
			c.pause()
			lab.Heal()
		}
	})
}

// TestChaosCheckerCatchesLostAndRefusedSets: the final-value check of the
// random-fault tests accepts exactly what a client's outcomes allow.
func TestChaosCheckerCatchesLostAndRefusedSets(t *testing.T) {
	c := &chaosClient{row: 1, calls: []chaosCall{
		{col: 0, value: 10, out: chaosAcked},
		{col: 0, value: 11, out: chaosMaybe},
		{col: 0, value: 12, out: chaosAcked},
		{col: 0, value: 13, out: chaosMaybe},
		{col: 0, value: 14, out: chaosRefused},
		{col: 1, value: 20, out: chaosMaybe},
		{col: 2, value: 30, out: chaosRefused},
	}}
	for _, ok := range []struct {
		col   int
		final int32
	}{{0, 12}, {0, 13}, {1, 0}, {1, 20}, {2, 0}} {
		require.NoError(t, c.check(ok.col, ok.final), "cell %d holding %d", ok.col, ok.final)
	}
	for _, bad := range []struct {
		col   int
		final int32
		why   string
	}{
		{0, 10, "acknowledged"}, // replaced by a later acknowledged set: lost
		{0, 11, "of unknown outcome"},
		{0, 14, "refused"},
		{0, 0, "which no set wrote"},
		{2, 30, "refused"},
		{1, 99, "which no set wrote"},
	} {
		require.ErrorContains(t, c.check(bad.col, bad.final), bad.why, "cell %d holding %d", bad.col, bad.final)
	}
}
