package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/internal/proctest"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// The tests here run `grid -mode ru` replicas as processes and call them
// with the omniORB C++ client (internal/omnibuild/src/client.cc) through
// the compound IOR the replicas publish, then compare the replicas' grids
// with their "dump" command.

var (
	ruViewLine = regexp.MustCompile(`^view (\S+) servers=(\d+) xfer=(\d+) clients=(\d+) me=(\S+)(?: primary=(\S+?)(\(\d+ of \d+\))?)?( zombie)?$`)
	ruIIOPLine = regexp.MustCompile(`^iiop (\S+)$`)
)

// ruView is a replica's last view line.
type ruView struct {
	id               string
	servers, xfer    int
	me               string
	primary, present bool
}

func lastRUView(lines []string) ruView {
	for i := len(lines) - 1; i >= 0; i-- {
		if m := ruViewLine.FindStringSubmatch(lines[i]); m != nil {
			s, _ := strconv.Atoi(m[2])
			x, _ := strconv.Atoi(m[3])
			return ruView{id: m[1], servers: s, xfer: x, me: m[5], primary: m[6] != "" && m[6] != "no", present: true}
		}
	}
	return ruView{}
}

// ruGroup is a set of -mode ru replicas sharing an etc directory.
type ruGroup struct {
	t        *testing.T
	bin      string
	etc      string
	group    string
	replicas int // -replicas, 0 for none
	// args returns the extra arguments of replica i, command the command
	// line that runs it (netlab's puts it in a namespace).
	args    func(i int) []string
	command func(i int, bin string, args ...string) (string, []string)
	procs   []*proctest.Proc
	addrs   []iiop.Addr // each replica's IIOP address
}

// newRUGroup prepares replicas on 127.0.0.1, each with a fresh port of the
// group's own local range; replicas > 0 adds -replicas (without
// -statedir, unless a test adds it to args, the replicas make their own).
func newRUGroup(t *testing.T, replicas int) *ruGroup {
	base := 30000 + rand.IntN(1500)*16
	g := &ruGroup{t: t, bin: proctest.Build(t, "./examples/grid"), etc: t.TempDir(),
		group: fmt.Sprintf("%s-%d", t.Name(), base), replicas: replicas}
	g.args = func(int) []string { return []string{"-portbase", strconv.Itoa(base)} }
	g.command = func(_ int, bin string, args ...string) (string, []string) { return bin, args }
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replicas' last lines:%s", g.tails())
		}
	})
	return g
}

// start runs one more replica and waits for its IIOP address.
func (g *ruGroup) start() int {
	g.t.Helper()
	i := len(g.procs)
	p, addr := g.launch(i)
	g.procs = append(g.procs, p)
	g.addrs = append(g.addrs, addr)
	return i
}

// restart runs replica i again, with the same arguments, in place of the
// process that ended, and waits for its IIOP address.
func (g *ruGroup) restart(i int) {
	g.t.Helper()
	g.procs[i], g.addrs[i] = g.launch(i)
}

// launch runs replica i and waits for its IIOP address.
func (g *ruGroup) launch(i int) (*proctest.Proc, iiop.Addr) {
	g.t.Helper()
	args := append([]string{"-mode", "ru", "-group", g.group, "-etc", g.etc, "-suspect", "1s"}, g.args(i)...)
	if g.replicas > 0 {
		args = append(args, "-replicas", strconv.Itoa(g.replicas))
	}
	name, cmd := g.command(i, g.bin, args...)
	p := proctest.Start(g.t, fmt.Sprintf("r%d", i), name, cmd...)
	var addr iiop.Addr
	require.NoError(g.t, p.WaitFor(20*time.Second, "its IIOP address", func(lines []string) bool {
		for _, l := range lines {
			if m := ruIIOPLine.FindStringSubmatch(l); m != nil {
				var err error
				addr, err = iiop.ParseAddr(m[1])
				return err == nil
			}
		}
		return false
	}))
	return p, addr
}

func (g *ruGroup) tails() string {
	var b strings.Builder
	for i, p := range g.procs {
		lines := p.Lines()
		fmt.Fprintf(&b, "\nr%d (%s):", i, g.addrs[i])
		for _, l := range lines[max(0, len(lines)-4):] {
			if len(l) > 120 {
				l = l[:120] + "..."
			}
			b.WriteString("\n  " + l)
		}
	}
	return b.String()
}

// waitServing waits until the given replicas are the servers of one view
// (a primary one with -replicas), and the published IOR lists exactly
// their addresses.
func (g *ruGroup) waitServing(idx ...int) {
	g.t.Helper()
	require.Eventually(g.t, func() bool {
		var id string
		for _, i := range idx {
			v := lastRUView(g.procs[i].Lines())
			if v.servers != len(idx) || v.xfer != 0 || v.me != "server" || (g.replicas > 0 && !v.primary) || (id != "" && v.id != id) {
				return false
			}
			id = v.id
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "replicas %v did not serve in one view", idx)
	var want []iiop.Addr
	for _, i := range idx {
		want = append(want, g.addrs[i])
	}
	require.Eventually(g.t, func() bool {
		ref, err := g.published()
		if err != nil {
			return false
		}
		got := ref.addrs
		return len(got) == len(want) && !slices.ContainsFunc(want, func(a iiop.Addr) bool { return !slices.Contains(got, a) })
	}, 10*time.Second, 20*time.Millisecond, "Grid.ior does not list exactly replicas %v", idx)
}

// waitOutside waits until each given replica is in a view that is not
// primary.
func (g *ruGroup) waitOutside(idx ...int) {
	g.t.Helper()
	require.Eventually(g.t, func() bool {
		for _, i := range idx {
			if v := lastRUView(g.procs[i].Lines()); !v.present || v.primary {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "replicas %v did not leave the primary partition", idx)
}

// gridRef is the published compound reference, taken apart.
type gridRef struct {
	typeID string
	key    []byte
	addrs  []iiop.Addr
}

func (g *ruGroup) path() string { return filepath.Join(g.etc, "Grid.ior") }

func (g *ruGroup) published() (*gridRef, error) {
	b, err := os.ReadFile(g.path())
	if err != nil {
		return nil, err
	}
	ior, err := iiop.ParseIOR(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, err
	}
	ps, err := ior.IIOPProfiles()
	if err != nil || len(ps) == 0 {
		return nil, fmt.Errorf("no IIOP profile: %v", err)
	}
	return &gridRef{typeID: ior.TypeID, key: ps[0].ObjectKey, addrs: ps[0].Addrs()}, nil
}

// refAt returns the published reference rewritten to list replica i's
// address first (the one a client connects to) and the other replicas
// given as alternates.
func (g *ruGroup) refAt(i int, others ...int) *iiop.IOR {
	g.t.Helper()
	ref, err := g.published()
	require.NoError(g.t, err)
	addrs := []iiop.Addr{g.addrs[i]}
	for _, j := range others {
		addrs = append(addrs, g.addrs[j])
	}
	return iiop.CompoundIOR(ref.typeID, ref.key, addrs, iiop.GIOP12)
}

// refFirst writes refAt(i, others...) to a file, for omniORB, and returns
// its path.
func (g *ruGroup) refFirst(i int, others ...int) string {
	g.t.Helper()
	path := filepath.Join(g.t.TempDir(), fmt.Sprintf("Grid-r%d.ior", i))
	require.NoError(g.t, os.WriteFile(path, []byte(g.refAt(i, others...).String()+"\n"), 0o644))
	return path
}

// dump returns replica i's grid.
func (g *ruGroup) dump(i int) string { return dumpGrid(g.t, g.procs[i]) }

// sameGrid waits until the given replicas hold the same grid.
func (g *ruGroup) sameGrid(idx ...int) string { return sameGrid(g.t, g.procs, idx...) }

// omniClient is the omniORB client's "lines" mode: one call per line
// sent, one "OK [value]" or "EXC <exception>" line back.
type omniClient struct {
	t *testing.T
	p *proctest.Proc
}

func startOmniClient(t *testing.T, name, bin string, args ...string) *omniClient {
	return &omniClient{t: t, p: proctest.Start(t, name, bin, args...)}
}

// call makes one call ("set n m v", "get n m", "width") and returns the
// answer line.
func (c *omniClient) call(line string) string {
	c.t.Helper()
	before := len(c.p.Lines())
	require.NoError(c.t, c.p.Send(line))
	var got string
	require.NoError(c.t, c.p.WaitFor(30*time.Second, "the answer to "+line, func(lines []string) bool {
		if len(lines) > before {
			got = lines[before]
			return true
		}
		return false
	}))
	return got
}

func ruClient(t *testing.T) string { return omniBinaries(t).Client }

// ruRefused is how the omniORB client shows a request the RU ORB refused
// without applying it anywhere.
const ruRefused = "EXC TRANSIENT minor 4f4d0001 completed 1"

// TestRUDissertationClient: three replicas started as the package
// documentation says (no -statedir), the dissertation's client (§3.5.3:
// width, height, set(2,4,123), get(2,4)) through the published Grid.ior;
// every replica applied the set; the IDL's errors come back as system
// exceptions.
func TestRUDissertationClient(t *testing.T) {
	b := omniBinaries(t)
	g := newRUGroup(t, 3)
	for range 3 {
		g.start()
	}
	g.waitServing(0, 1, 2)
	ctx := testCtx(t, time.Minute)
	out, err := b.RunClient(ctx, "grid", g.path())
	requirePasses(t, out, err, 2)
	require.Equal(t, "123", cell(g.sameGrid(0, 1, 2), 2, 4))
	for _, p := range g.procs {
		require.Contains(t, strings.Join(p.Stderr(), "\n"), "a replica restarted without -statedir counts as a new one")
	}

	// The exact IDL: no raises clause, no other operation.
	c := startOmniClient(t, "client", b.Client, "lines", g.path())
	require.Equal(t, "OK 10", c.call("height"))
	require.Equal(t, "EXC BAD_PARAM minor 4f4d0001 completed 1", c.call("get 20 30"))
	require.Equal(t, "EXC BAD_PARAM minor 4f4d0001 completed 1", c.call("set 0 10 1"))
	ic := iiop.NewClient(iiop.ClientOptions{})
	defer ic.Close()
	text, err := os.ReadFile(g.path())
	require.NoError(t, err)
	ref, err := iiop.ParseIOR(strings.TrimSpace(string(text)))
	require.NoError(t, err)
	_, err = ic.Invoke(ctx, ref, "echo", func(e *iiop.Encoder) { e.WriteString("x") })
	require.ErrorIs(t, err, iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo))
	_, err = ic.Invoke(ctx, ref, "set", func(e *iiop.Encoder) { e.WriteShort(1) })
	require.ErrorIs(t, err, iiop.NewSystemException(iiop.ExcMarshal, 0, iiop.CompletedNo))
	require.Equal(t, "123", cell(g.sameGrid(0, 1, 2), 2, 4))

	// End of input, SIGINT and SIGTERM leave gracefully (and remove the
	// state directories the replicas made).
	require.NoError(t, g.procs[2].CloseStdin())
	require.NoError(t, g.procs[1].Signal(syscall.SIGINT))
	require.NoError(t, g.procs[0].Signal(syscall.SIGTERM))
	for _, p := range g.procs {
		select {
		case <-p.Done():
			require.Equal(t, 0, p.ExitCode(), "%s exit code", p.Name)
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not exit", p.Name)
		}
	}
}

// TestRUClientThreadsOnEveryReplica: four omniORB client threads, each
// connected to a different replica first, interleave sets on their own
// rows (reading each back); every replica ends with the same grid, holding
// the last value each thread wrote to each of its cells.
func TestRUClientThreadsOnEveryReplica(t *testing.T) {
	g := newRUGroup(t, 0)
	for range 3 {
		g.start()
	}
	g.waitServing(0, 1, 2)
	var refs []string
	for th := range 4 {
		i := th % 3
		refs = append(refs, g.refFirst(i, (i+1)%3, (i+2)%3))
	}
	const rounds = 60
	out, err := omniBinaries(t).RunClient(testCtx(t, time.Minute), append([]string{"threads", strconv.Itoa(rounds)}, refs...)...)
	requirePasses(t, out, err, 4)
	dump := g.sameGrid(0, 1, 2)
	for th := range 4 {
		for m := range 10 {
			last := rounds - 10 + m // the last i < rounds with i%10 == m
			require.Equal(t, strconv.Itoa(1000*th+last), cell(dump, th, m), "thread %d, cell (%d,%d)", th, th, m)
		}
	}
}

// TestRUCrashOfConnectedReplica: the replica an omniORB client is
// connected to is SIGKILLed between two calls; once the others have
// noticed, the client's next call succeeds through the compound IOR's
// alternate addresses (the reference is not read again), and the
// survivors hold every acknowledged set.
//
// omniORB resends a call on another connection only if it failed
// COMPLETED_NO: writing the request must fail. A killed server's kernel
// closes its connections with FIN, so the client's write succeeds, the
// read fails, and the call ends in COMM_FAILURE, COMPLETED_MAYBE; only a
// connection reset by the kernel (SO_LINGER 0 on the server's accepted
// connections) makes the write fail and the call move on. This test fails
// until the IIOP server resets its connections that way.
func TestRUCrashOfConnectedReplica(t *testing.T) {
	g := newRUGroup(t, 0)
	for range 3 {
		g.start()
	}
	g.waitServing(0, 1, 2)
	c := startOmniClient(t, "client", ruClient(t), "lines", g.refFirst(0, 1, 2))
	require.Equal(t, "OK", c.call("set 3 3 33"))
	require.Equal(t, "OK 33", c.call("get 3 3"))

	g.procs[0].Kill()
	<-g.procs[0].Done()
	g.waitServing(1, 2)
	require.Equal(t, "OK", c.call("set 3 4 34"), "the first call after the crash (COMM_FAILURE, COMPLETED_MAYBE means the crash closed the connection with FIN, not a reset)")
	require.Equal(t, "OK 34", c.call("get 3 4"))
	dump := g.sameGrid(1, 2)
	require.Equal(t, []string{"33", "34"}, []string{cell(dump, 3, 3), cell(dump, 3, 4)})
}

// TestRUGracefulLeaveIsInvisible: the replica an omniORB client is
// connected to is sent SIGTERM while the client calls without pause; it
// stops accepting, answers what is in flight, sends CloseConnection and
// leaves, and the client never sees an exception: its calls move to the
// other replicas.
func TestRUGracefulLeaveIsInvisible(t *testing.T) {
	g := newRUGroup(t, 0)
	for range 3 {
		g.start()
	}
	g.waitServing(0, 1, 2)
	c := startOmniClient(t, "client", ruClient(t), "lines", g.refFirst(0, 1, 2))
	k, after := 0, -1
	deadline := time.Now().Add(30 * time.Second)
	for after < 20 {
		require.True(t, time.Now().Before(deadline), "the replica did not leave in time")
		if k == 10 {
			// The signal lands before, during or after the next call.
			go func() {
				time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
				_ = g.procs[0].Signal(syscall.SIGTERM)
			}()
		}
		require.Equal(t, "OK", c.call(fmt.Sprintf("set 4 %d %d", k%10, k)), "call %d", k)
		switch {
		case after >= 0:
			after++
		case k > 10:
			select {
			case <-g.procs[0].Done():
				after = 0
			default:
			}
		}
		k++
	}
	require.Equal(t, 0, g.procs[0].ExitCode())
	t.Logf("%d calls, %d of them while the replica left", k, k-10-20)
	g.waitServing(1, 2)
	dump := g.sameGrid(1, 2)
	for m := range 10 {
		last := k - 1 - (k-1-m)%10 // the last call j < k with j%10 == m
		require.Equal(t, strconv.Itoa(last), cell(dump, 4, m))
	}
}

// TestRUJoinWhileClientsCall: with -replicas 3, two replicas serve two
// omniORB clients that keep calling while the third starts, takes the
// grid by state transfer and joins; the clients see no exception and the
// three replicas end with the same grid, which a client of the newcomer
// reads.
func TestRUJoinWhileClientsCall(t *testing.T) {
	g := newRUGroup(t, 3)
	portbase := g.args(0)
	g.args = func(int) []string {
		return append(slices.Clone(portbase), "-statedir", filepath.Join(t.TempDir(), "state"))
	}
	g.start()
	g.start()
	g.waitServing(0, 1)
	bin := ruClient(t)
	cs := []*omniClient{
		startOmniClient(t, "client0", bin, "lines", g.refFirst(0, 1)),
		startOmniClient(t, "client1", bin, "lines", g.refFirst(1, 0)),
	}
	joined := func() bool {
		for _, i := range []int{0, 1, 2} {
			if v := lastRUView(g.procs[i].Lines()); v.servers != 3 || v.xfer != 0 || v.me != "server" || !v.primary {
				return false
			}
		}
		return true
	}
	k, after, refused := 0, -1, 0
	deadline := time.Now().Add(30 * time.Second)
	for after < 20 {
		require.True(t, time.Now().Before(deadline), "the third replica did not join in time")
		for n, c := range cs {
			// While the newcomer takes the state the view is not primary
			// yet: updates wait for it in the order. Were one refused
			// (TRANSIENT, COMPLETED_NO: applied nowhere), the client would
			// send the set again.
			line := fmt.Sprintf("set %d %d %d", 5+n, k%10, k)
			got := c.call(line)
			for got == ruRefused && time.Now().Before(deadline) {
				refused++
				time.Sleep(10 * time.Millisecond)
				got = c.call(line)
			}
			require.Equal(t, "OK", got, "client %d, call %d", n, k)
		}
		switch {
		case k == 10:
			g.start()
		case after >= 0:
			after++
		case k > 10 && joined():
			after = 0
		}
		k++
	}
	t.Logf("%d rounds of calls; %d calls refused with TRANSIENT during the join", k, refused)
	g.waitServing(0, 1, 2)
	dump := g.sameGrid(0, 1, 2)
	for n := range cs {
		for m := range 10 {
			last := k - 1 - (k-1-m)%10
			require.Equal(t, strconv.Itoa(last), cell(dump, 5+n, m))
		}
	}
	c := startOmniClient(t, "client2", bin, "lines", g.refFirst(2))
	require.Equal(t, "OK "+cell(dump, 6, 3), c.call("get 6 3"))
}

// frontNet is a second network for the replicas of a netlab.Lab, never
// partitioned: each node gets an interface on it, and clients run in a
// namespace of their own attached to it. The group's traffic stays on the
// lab's network, so a partition of the lab splits the group while every
// client still reaches every replica, the way clients on a front-end
// network reach servers whose back-end network is split.
type frontNet struct {
	t  *testing.T
	ns string
}

func frontAddr(i int) string { return fmt.Sprintf("10.98.0.%d", i+1) }

func newFrontNet(t *testing.T, lab *netlab.Lab, n int) *frontNet {
	f := &frontNet{t: t, ns: fmt.Sprintf("mrufront%05d", rand.IntN(100000))}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", f.ns).Run() })
	f.ip("netns", "add", f.ns)
	f.ip("-n", f.ns, "link", "set", "lo", "up")
	f.ip("-n", f.ns, "link", "add", "fbr", "type", "bridge")
	f.ip("-n", f.ns, "link", "set", "fbr", "up")
	f.ip("-n", f.ns, "addr", "add", "10.98.0.100/24", "dev", "fbr")
	for i := range n {
		_, cmd := lab.Command(i, "true")
		node := cmd[2] // ip netns exec NODE ...
		port := fmt.Sprintf("f%d", i)
		f.ip("-n", node, "link", "add", "eth1", "type", "veth", "peer", "name", port)
		f.ip("-n", node, "link", "set", port, "netns", f.ns)
		f.ip("-n", node, "addr", "add", frontAddr(i)+"/24", "dev", "eth1")
		f.ip("-n", node, "link", "set", "eth1", "up")
		f.ip("-n", f.ns, "link", "set", port, "master", "fbr")
		f.ip("-n", f.ns, "link", "set", port, "up")
	}
	require.Eventually(t, func() bool {
		out, err := exec.Command("bridge", "-n", f.ns, "link", "show").CombinedOutput()
		return err == nil && strings.Count(string(out), "state forwarding") == n
	}, 10*time.Second, 20*time.Millisecond, "the front network's ports do not forward")
	return f
}

func (f *frontNet) ip(args ...string) {
	f.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		f.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestRUPartitionAcrossNamespaces: five replicas with -replicas 5, each
// in a network namespace of its own; the group's network splits 3|2 while
// clients reach every replica over a front network. An omniORB client
// connected to a minority replica is forwarded to the majority (or told
// TRANSIENT, COMPLETED_NO): the minority applies nothing, no acknowledged
// write is lost or wrong, and after the heal the five grids are equal.
func TestRUPartitionAcrossNamespaces(t *testing.T) {
	const n = 5
	lab := netlab.New(t, n)
	front := newFrontNet(t, lab, n)
	g := newRUGroup(t, n)
	g.args = func(i int) []string {
		var seeds []string
		for j := range n {
			if j != i {
				seeds = append(seeds, lab.Addr(j)+":"+gridPort)
			}
		}
		return []string{"-udp", lab.Addr(i) + ":" + gridPort, "-seeds", strings.Join(seeds, ","),
			"-listen", frontAddr(i) + ":9000", "-statedir", filepath.Join(t.TempDir(), "state")}
	}
	g.command = lab.Command
	for range n {
		g.start()
	}
	all := []int{0, 1, 2, 3, 4}
	g.waitServing(all...)
	bin := ruClient(t)
	inFront := func(name, ref string) *omniClient {
		return startOmniClient(t, name, "ip", "netns", "exec", front.ns, bin, "-ORBclientConnectTimeOutPeriod", "2000", "lines", ref)
	}
	minority := inFront("minority-client", g.refFirst(3, 4))
	majority := inFront("majority-client", g.refFirst(0, 1, 2))
	require.Equal(t, "OK", minority.call("set 7 0 70"))
	require.Equal(t, "70", cell(g.sameGrid(all...), 7, 0))

	lab.Partition([]int{0, 1, 2}, []int{3, 4})
	g.waitServing(0, 1, 2)
	g.waitOutside(3, 4)
	before := []string{g.dump(3), g.dump(4)}
	applied := map[int]bool{}
	for m := 1; m <= 5; m++ {
		got := minority.call(fmt.Sprintf("set 7 %d %d", m, 70+m))
		switch got {
		case "OK":
			applied[m] = true
		case ruRefused:
		default:
			t.Fatalf("set through the minority replica: %s", got)
		}
		t.Logf("set 7 %d through the minority replica: %s", m, got)
	}
	require.Equal(t, "OK", majority.call("set 7 9 79"))
	require.Equal(t, before, []string{g.dump(3), g.dump(4)}, "the minority applied an update")
	dump := g.sameGrid(0, 1, 2)
	for m := 1; m <= 5; m++ {
		want := "0"
		if applied[m] {
			want = strconv.Itoa(70 + m)
			require.Equal(t, "OK "+want, minority.call(fmt.Sprintf("get 7 %d", m)), "a read through the minority replica")
		}
		require.Equal(t, want, cell(dump, 7, m), "cell (7,%d) in the majority", m)
	}
	require.NotEmpty(t, applied, "no set through the minority replica was forwarded to the majority")

	lab.Heal()
	g.waitServing(all...)
	require.Equal(t, dump, g.sameGrid(all...))
	require.Equal(t, "OK", minority.call("set 7 6 76"))
	require.Equal(t, "76", cell(g.sameGrid(all...), 7, 6))
}
