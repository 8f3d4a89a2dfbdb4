package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/proctest"
)

var (
	replicaView = regexp.MustCompile(`^view (\S+) servers=(\d+) xfer=(\d+) clients=(\d+) me=(\S+)$`)
	memberLine  = regexp.MustCompile(`^member (\S+)$`)
	askingLine  = regexp.MustCompile(`^state transfer: asking (\S+)$`)
)

// replicaArgs gives each test its own group and port range; serve-delay
// makes state transfers last long enough to kill a source in the middle.
func replicaArgs(t *testing.T, extra ...string) []string {
	base := 30000 + rand.IntN(1500)*16
	return append([]string{"-mode", "csx", "-group", fmt.Sprintf("%s-%d", t.Name(), base), "-portbase", strconv.Itoa(base), "-suspect", "1s"}, extra...)
}

// lastReplicaView returns the last view line a replica printed.
func lastReplicaView(lines []string) (id string, servers, xfer int, me string) {
	for i := len(lines) - 1; i >= 0; i-- {
		if m := replicaView.FindStringSubmatch(lines[i]); m != nil {
			s, _ := strconv.Atoi(m[2])
			x, _ := strconv.Atoi(m[3])
			return m[1], s, x, m[5]
		}
	}
	return "", 0, 0, ""
}

// waitServers waits until every replica is a server in the same view of n servers.
func waitServers(t *testing.T, ps []*proctest.Proc, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var id string
		for _, p := range ps {
			v, s, x, me := lastReplicaView(p.Lines())
			if s != n || x != 0 || me != "server" || (id != "" && v != id) {
				return false
			}
			id = v
		}
		return true
	}, 60*time.Second, 20*time.Millisecond, "replicas did not become %d servers in one view", n)
}

func memberID(t *testing.T, p *proctest.Proc) string {
	t.Helper()
	var id string
	require.NoError(t, p.WaitFor(10*time.Second, "member id", func(lines []string) bool {
		for _, l := range lines {
			if m := memberLine.FindStringSubmatch(l); m != nil {
				id = m[1]
				return true
			}
		}
		return false
	}))
	return id
}

func lastDump(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "grid:") {
			return lines[i]
		}
	}
	return ""
}

// dumps asks every replica for its grid and returns the answers.
func dumps(t *testing.T, ps []*proctest.Proc) []string {
	t.Helper()
	before := make([]int, len(ps))
	for i, p := range ps {
		before[i] = len(p.Lines())
		require.NoError(t, p.Send("dump"))
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		require.NoError(t, p.WaitFor(10*time.Second, "dump", func(lines []string) bool {
			for _, l := range lines[before[i]:] {
				if strings.HasPrefix(l, "grid:") {
					out[i] = l
					return true
				}
			}
			return false
		}))
	}
	return out
}

// TestReplicatedGridSurvivesSourceCrashDuringTransfer: three replicas take
// 5,000 sets while a fourth joins; the replica it pulls the state from is
// SIGKILLed mid-transfer; the transfer restarts from another replica and
// every survivor ends with the same grid.
func TestReplicatedGridSurvivesSourceCrashDuringTransfer(t *testing.T) {
	bin := proctest.Build(t, "./examples/grid")
	args := replicaArgs(t, "-serve-delay", "1500ms")
	var ps []*proctest.Proc
	ids := map[string]*proctest.Proc{}
	for i := 0; i < 3; i++ {
		p := proctest.Start(t, fmt.Sprintf("replica%d", i), bin, args...)
		ids[memberID(t, p)] = p
		ps = append(ps, p)
	}
	waitServers(t, ps, 3)

	// 5,000 sets, spread over the three, while the fourth joins.
	const total = 5000
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lines []string
			for k := i; k < total; k += 3 {
				lines = append(lines, fmt.Sprintf("set %d %d %d", k%10, (k/10)%10, k))
			}
			for len(lines) > 0 {
				n := min(100, len(lines))
				if p.Send(lines[:n]...) != nil {
					return // the replica was killed
				}
				lines = lines[n:]
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	joiner := proctest.Start(t, "joiner", bin, args...)
	memberID(t, joiner)
	var source string
	require.NoError(t, joiner.WaitFor(60*time.Second, "a state request", func(lines []string) bool {
		for _, l := range lines {
			if m := askingLine.FindStringSubmatch(l); m != nil {
				source = m[1]
				return true
			}
		}
		return false
	}))
	victim := ids[source]
	require.NotNil(t, victim, "the joiner asked %s, which is not one of the replicas", source)
	victim.Kill()
	<-victim.Done()
	wg.Wait()

	var survivors []*proctest.Proc
	for _, p := range ps {
		if p != victim {
			survivors = append(survivors, p)
		}
	}
	survivors = append(survivors, joiner)
	waitServers(t, survivors, 3)
	require.NoError(t, joiner.WaitFor(10*time.Second, "a completed transfer", func(lines []string) bool {
		n := 0
		for _, l := range lines {
			if l == "state transfer: done" {
				n++
			}
		}
		return n >= 1
	}))

	// The transfer from the killed source was abandoned and restarted
	// from another replica.
	var asked []string
	for _, l := range joiner.Lines() {
		if m := askingLine.FindStringSubmatch(l); m != nil {
			asked = append(asked, m[1])
		}
	}
	require.GreaterOrEqual(t, len(asked), 2, "the joiner never restarted its transfer: %v", asked)
	require.NotEqual(t, source, asked[len(asked)-1], "the completed transfer came from the killed replica")

	// Every survivor ends with the same grid, which has the last sets.
	require.NoError(t, survivors[0].Send("set 9 9 424242", "set 0 0 171717"))
	require.Eventually(t, func() bool {
		ds := dumps(t, survivors)
		for _, d := range ds {
			if d != ds[0] {
				return false
			}
		}
		f := strings.Fields(strings.TrimPrefix(ds[0], "grid:"))
		return len(f) == 100 && f[99] == "424242" && f[0] == "171717"
	}, 30*time.Second, 200*time.Millisecond, "survivors' grids differ or lack the last sets")
	t.Logf("grid after %d sets: %s", total, lastDump(survivors[0].Lines())[:80])
}

func TestReplicaCommandsAndErrors(t *testing.T) {
	bin := proctest.Build(t, "./examples/grid")
	p := proctest.Start(t, "replica", bin, replicaArgs(t)...)
	waitServers(t, []*proctest.Proc{p}, 1)
	require.NoError(t, p.Send("set 2 4 123", "set 10 0 1", "get x 1", "frobnicate"))
	require.Eventually(t, func() bool {
		// The set is a cast: it is applied when it comes back.
		_ = p.Send("get 2 4")
		time.Sleep(20 * time.Millisecond)
		return contains(p.Lines(), "grid[2,4] = 123")
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, p.WaitFor(10*time.Second, "answers", func(lines []string) bool {
		return contains(lines, "set: cell (10,0) is outside the 10x10 grid") &&
			contains(lines, `get: "x" is not a number`) &&
			contains(lines, `unknown command; use "set x y v", "get x y" or "dump"`)
	}))
	d := dumps(t, []*proctest.Proc{p})[0]
	require.Equal(t, 100, len(strings.Fields(strings.TrimPrefix(d, "grid:"))))
	require.NoError(t, p.CloseStdin())
	select {
	case <-p.Done():
		require.Equal(t, 0, p.ExitCode())
	case <-time.After(20 * time.Second):
		t.Fatal("replica did not exit at end of input")
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// Regression: a replica leaving cleanly (end of input) took the role of
// the one left behind with it — the survivor was demoted to client although
// it held the grid, and a replica joining next founded an empty grid.
func TestCleanLeaveKeepsTheGrid(t *testing.T) {
	bin := proctest.Build(t, "./examples/grid")
	args := replicaArgs(t)
	a := proctest.Start(t, "a", bin, args...)
	memberID(t, a)
	b := proctest.Start(t, "b", bin, args...)
	memberID(t, b)
	waitServers(t, []*proctest.Proc{a, b}, 2)
	require.NoError(t, a.Send("set 1 1 11"))
	require.NoError(t, a.WaitFor(10*time.Second, "the set done", func(lines []string) bool { return contains(lines, "set 1 1 11: done") }))
	require.NoError(t, a.CloseStdin())
	<-a.Done()
	waitServers(t, []*proctest.Proc{b}, 1)
	c := proctest.Start(t, "c", bin, args...)
	memberID(t, c)
	waitServers(t, []*proctest.Proc{b, c}, 2)
	for _, p := range []*proctest.Proc{b, c} {
		require.NoError(t, p.Send("get 1 1"))
		require.NoError(t, p.WaitFor(10*time.Second, "grid[1,1] = 11", func(lines []string) bool { return contains(lines, "grid[1,1] = 11") }))
	}
}
