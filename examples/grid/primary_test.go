package main

import (
	"fmt"
	"os"
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
	"github.com/maestro-go/maestro/stack/primary"
)

// primaryView matches a view line of a replica started with -replicas.
var primaryView = regexp.MustCompile(`^view (\S+) servers=(\d+) xfer=(\d+) clients=(\d+) me=(\S+) primary=(\S+?)(\(\d+ of \d+\))?( zombie)?$`)

// primaryGroup is a set of grid replicas, one per network namespace.
type primaryGroup struct {
	t     *testing.T
	lab   *netlab.Lab
	bin   string
	group string
	dirs  []string
	procs []*proctest.Proc
}

const gridPort = "7400"

func newPrimaryGroup(t *testing.T, n int) *primaryGroup {
	g := &primaryGroup{t: t, lab: netlab.New(t, n), bin: proctest.Build(t, "./examples/grid"), group: t.Name()}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// Where each replica was: its goroutines.
		for _, p := range g.procs {
			if p != nil {
				_ = p.Signal(syscall.SIGQUIT)
			}
		}
		time.Sleep(time.Second)
		for i, p := range g.procs {
			if p != nil {
				t.Logf("r%d stderr:\n%s", i, strings.Join(p.Stderr(), "\n"))
			}
		}
	})
	for i := 0; i < n; i++ {
		g.dirs = append(g.dirs, filepath.Join(t.TempDir(), "state"))
		g.procs = append(g.procs, nil)
	}
	for i := 0; i < n; i++ {
		g.start(i)
	}
	return g
}

// start (re)starts replica i with its state directory.
func (g *primaryGroup) start(i int) *proctest.Proc {
	var seeds []string
	for j := range g.dirs {
		if j != i {
			seeds = append(seeds, g.lab.Addr(j)+":"+gridPort)
		}
	}
	name, args := g.lab.Command(i, g.bin, "-mode", "csx", "-group", g.group, "-udp", g.lab.Addr(i)+":"+gridPort,
		"-seeds", strings.Join(seeds, ","), "-suspect", "1s", "-replicas", strconv.Itoa(len(g.dirs)), "-statedir", g.dirs[i])
	p := proctest.Start(g.t, fmt.Sprintf("r%d", i), name, args...)
	g.procs[i] = p
	return p
}

// view is the last view line of a replica.
type view struct {
	id       string
	servers  int
	me       string
	primary  bool
	zombie   bool
	counted  string // "(2 of 5)" when not primary
	anyViews bool
}

func lastView(lines []string) view {
	for i := len(lines) - 1; i >= 0; i-- {
		if m := primaryView.FindStringSubmatch(lines[i]); m != nil {
			s, _ := strconv.Atoi(m[2])
			return view{id: m[1], servers: s, me: m[5], primary: m[6] != "no", counted: m[7], zombie: m[8] != "", anyViews: true}
		}
	}
	return view{}
}

// waitPrimary waits until the given replicas share one primary view in
// which they are all the servers.
func (g *primaryGroup) waitPrimary(idx ...int) {
	g.t.Helper()
	require.Eventually(g.t, func() bool {
		return g.shareView(idx, func(v view) bool { return v.primary && v.servers == len(idx) && v.me == "server" })
	}, 60*time.Second, 20*time.Millisecond, "replicas %v did not form one primary view; last lines: %s", idx, g.tails())
}

// shareView reports whether the given replicas' last view lines name one
// view, and each satisfies ok.
func (g *primaryGroup) shareView(idx []int, ok func(view) bool) bool {
	var id string
	for _, i := range idx {
		v := lastView(g.procs[i].Lines())
		if !v.anyViews || !ok(v) || (id != "" && v.id != id) {
			return false
		}
		id = v.id
	}
	return true
}

func (g *primaryGroup) tails() string {
	var b strings.Builder
	for i, p := range g.procs {
		lines := p.Lines()
		fmt.Fprintf(&b, "\nr%d:", i)
		for _, l := range lines[max(0, len(lines)-4):] {
			b.WriteString("\n  " + l)
		}
	}
	return b.String()
}

// waitNotPrimary waits until the given replicas share one view that is not
// primary. One shared view, not just each outside the primary partition:
// until they have merged, a replica may sit in a view of its own and count
// fewer members than the test expects.
func (g *primaryGroup) waitNotPrimary(idx ...int) {
	g.t.Helper()
	require.Eventually(g.t, func() bool {
		return g.shareView(idx, func(v view) bool { return !v.primary })
	}, 30*time.Second, 20*time.Millisecond, "replicas %v did not share one view outside the primary partition; last lines: %s", idx, g.tails())
}

// set sends a set and waits for the replica's answer line.
func (g *primaryGroup) set(i int, x, y, v int) string {
	g.t.Helper()
	p := g.procs[i]
	before := len(p.Lines())
	require.NoError(g.t, p.Send(fmt.Sprintf("set %d %d %d", x, y, v)))
	done := fmt.Sprintf("set %d %d %d: done", x, y, v)
	var answer string
	require.NoError(g.t, p.WaitFor(30*time.Second, "the answer to a set", func(lines []string) bool {
		for _, l := range lines[before:] {
			if l == done || strings.HasPrefix(l, "not in the primary partition") {
				answer = l
				return true
			}
		}
		return false
	}))
	return answer
}

// sameGrid waits until the given replicas hold the same grid.
func (g *primaryGroup) sameGrid(idx ...int) string { return sameGrid(g.t, g.procs, idx...) }

// dump returns replica i's grid.
func (g *primaryGroup) dump(i int) string { return dumpGrid(g.t, g.procs[i]) }

// sameGrid asks the given replica processes for their grids until they
// are equal (a replica applies an update a little after its sender says
// done: when it learns that a majority holds it) and returns it.
func sameGrid(t *testing.T, procs []*proctest.Proc, idx ...int) string {
	t.Helper()
	var dumps []string
	for try := 0; try < 50; try++ {
		dumps = dumps[:0]
		for _, i := range idx {
			dumps = append(dumps, dumpGrid(t, procs[i]))
		}
		if slices.Equal(dumps, slices.Repeat(dumps[:1], len(dumps))) {
			return dumps[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the replicas' grids differ:\n%s", strings.Join(dumps, "\n"))
	return ""
}

// dumpGrid asks a replica process for its grid ("dump" on its input).
func dumpGrid(t *testing.T, p *proctest.Proc) string {
	t.Helper()
	before := len(p.Lines())
	require.NoError(t, p.Send("dump"))
	var got string
	require.NoError(t, p.WaitFor(10*time.Second, "a dump", func(lines []string) bool {
		for _, l := range lines[before:] {
			if strings.HasPrefix(l, "grid:") {
				got = l
				return true
			}
		}
		return false
	}))
	return got
}

func cell(dump string, x, y int) string { return strings.Fields(dump)[1+10*x+y] }

// TestPrimaryPartitionAcrossNamespaces runs five grid replicas in network
// namespaces of their own: split 3|2, only the three accept updates; after
// the heal the two receive the state, and every acknowledged update is
// everywhere. A SIGKILLed replica restarts from its state directory as a
// zombie and rejoins once it has the state. A majority that stops (SIGSTOP)
// blocks the others until it returns; a majority that is killed and
// restarts from its disks has lost state no one else may hold, so the group
// stays blocked — it never forms a primary view from what is left — until
// the operator deletes their marks, accepting that loss.
func TestPrimaryPartitionAcrossNamespaces(t *testing.T) {
	g := newPrimaryGroup(t, 5)
	all := []int{0, 1, 2, 3, 4}
	g.waitPrimary(all...)
	require.Equal(t, "set 1 1 11: done", g.set(0, 1, 1, 11))
	require.Equal(t, "set 2 2 22: done", g.set(3, 2, 2, 22))

	// 3|2: the three form the primary partition, the two refuse updates.
	g.lab.Partition([]int{0, 1, 2}, []int{3, 4})
	g.waitPrimary(0, 1, 2)
	g.waitNotPrimary(3, 4)
	require.Equal(t, "not in the primary partition (2 of 5 members)", g.set(3, 3, 3, 33))
	require.Equal(t, "set 4 4 44: done", g.set(1, 4, 4, 44))

	g.lab.Heal()
	g.waitPrimary(all...)
	dump := g.sameGrid(all...)
	require.Equal(t, []string{"11", "22", "0", "44"}, []string{cell(dump, 1, 1), cell(dump, 2, 2), cell(dump, 3, 3), cell(dump, 4, 4)})

	// A replica killed and restarted from its state directory is a zombie
	// until it has the state.
	g.procs[4].Kill()
	<-g.procs[4].Done()
	g.waitPrimary(0, 1, 2, 3)
	require.Equal(t, "set 5 5 55: done", g.set(2, 5, 5, 55))
	back := g.start(4)
	require.NoError(t, back.WaitFor(30*time.Second, "a zombie view", func(lines []string) bool {
		v := lastView(lines)
		return v.zombie && !v.primary
	}))
	g.waitPrimary(all...)
	require.Equal(t, "55", cell(g.sameGrid(all...), 5, 5))

	// A majority stops: the others block, and go on when it returns.
	for _, i := range []int{0, 1, 2} {
		require.NoError(t, g.procs[i].Signal(syscall.SIGSTOP))
	}
	g.waitNotPrimary(3, 4)
	require.Equal(t, "not in the primary partition (2 of 5 members)", g.set(4, 6, 6, 66))
	for _, i := range []int{0, 1, 2} {
		require.NoError(t, g.procs[i].Signal(syscall.SIGCONT))
	}
	g.waitPrimary(all...)
	require.Equal(t, "set 6 6 66: done", g.set(4, 6, 6, 66))
	dump = g.sameGrid(all...)
	require.Equal(t, []string{"11", "22", "44", "55", "66"}, []string{cell(dump, 1, 1), cell(dump, 2, 2), cell(dump, 4, 4), cell(dump, 5, 5), cell(dump, 6, 6)})

	// A majority is killed at once and restarts from its disks: zombies
	// cannot count, so the group stays blocked rather than risk losing an
	// acknowledged update only the dead held.
	for _, i := range []int{0, 1, 2} {
		g.procs[i].Kill()
	}
	for _, i := range []int{0, 1, 2} {
		<-g.procs[i].Done()
	}
	g.waitNotPrimary(3, 4)
	for _, i := range []int{0, 1, 2} {
		g.start(i)
	}
	require.Eventually(t, func() bool {
		for _, i := range []int{0, 1, 2} {
			if !lastView(g.procs[i].Lines()).zombie {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "the restarted replicas did not meet the others as zombies")
	g.waitNotPrimary(all...)
	time.Sleep(3 * time.Second) // time enough for a (wrong) primary view to form
	for _, i := range all {
		require.False(t, lastView(g.procs[i].Lines()).primary, "replica %d is in a primary view formed without a majority that counts", i)
	}
	require.Equal(t, "not in the primary partition (2 of 5 members)", g.set(3, 7, 7, 77))

	// The operator accepts losing what only the dead majority held: their
	// marks go, they count as new replicas, take the survivors' state, and
	// the group resumes with every update the survivors had.
	for _, i := range []int{0, 1, 2} {
		g.procs[i].Kill()
		<-g.procs[i].Done() // its directory lock goes with it
		require.NoError(t, os.Remove(primary.MarkFile(g.dirs[i], g.group)))
		g.start(i)
	}
	g.waitPrimary(all...)
	require.Equal(t, "set 7 7 77: done", g.set(3, 7, 7, 77))
	dump = g.sameGrid(all...)
	require.Equal(t, []string{"11", "22", "44", "55", "66", "77"}, []string{cell(dump, 1, 1), cell(dump, 2, 2), cell(dump, 4, 4), cell(dump, 5, 5), cell(dump, 6, 6), cell(dump, 7, 7)})
}
