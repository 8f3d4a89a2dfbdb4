package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// coordinator returns the replica that coordinates the view replica i is
// in — rank 0, which orders every request — from the view ids they log:
// a view's id names its coordinator's endpoint after the "@", and each
// replica's first view is its own alone.
func (g *ruGroup) coordinator(i int) int {
	g.t.Helper()
	endpoint := func(id string) string { return id[strings.Index(id, "@")+1:] }
	coord := endpoint(lastRUView(g.procs[i].Lines()).id)
	for k, p := range g.procs {
		for _, l := range p.Lines() {
			if m := ruViewLine.FindStringSubmatch(l); m != nil {
				if endpoint(m[1]) == coord {
					return k
				}
				break
			}
		}
	}
	g.t.Fatalf("no replica is the coordinator %s of r%d's view", coord, i)
	return -1
}

// TestRUSequencerCrashIsInvisible: two omniORB clients, each connected to
// one of the two replicas that will survive, set cells without pause
// while the third — the view's coordinator, which orders every request —
// is SIGKILLed. The requests in flight at its death were never ordered,
// and the view change that leaves it out aborts them; their replicas
// relay them again into the new primary view, so neither client sees an
// exception (they used to get TRANSIENT), and every acknowledged set
// holds.
func TestRUSequencerCrashIsInvisible(t *testing.T) {
	g := newRUGroup(t, 3)
	for range 3 {
		g.start()
	}
	g.waitServing(0, 1, 2)
	seq := g.coordinator(0)
	var live []int
	for i := range 3 {
		if i != seq {
			live = append(live, i)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	var clients []*chaosClient
	var omni []*omniClient
	for k, i := range live {
		c := startOmniClient(t, fmt.Sprintf("client of r%d", i), ruClient(t), "lines", g.refFirst(i, live[1-k]))
		cl := &chaosClient{row: k}
		set := cl.omniSet(c.p)
		clients, omni = append(clients, cl), append(omni, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.run(ctx, set)
		}()
	}
	// answered waits until each client has n more answers than at mark.
	answered := func(mark []int, n int, what string) {
		require.Eventually(t, func() bool {
			for k, c := range omni {
				if len(c.p.Lines()) < mark[k]+n {
					return false
				}
			}
			return true
		}, time.Minute, 10*time.Millisecond, "the clients did not make %d calls %s", n, what)
	}
	marks := func() []int {
		m := make([]int, len(omni))
		for k, c := range omni {
			m[k] = len(c.p.Lines())
		}
		return m
	}
	answered(marks(), 200, "before the crash")
	g.procs[seq].Kill()
	<-g.procs[seq].Done()
	g.waitServing(live...)
	answered(marks(), 200, "after the crash")
	stop()
	wg.Wait()

	dump := g.sameGrid(live...)
	for _, cl := range clients {
		require.NotEmpty(t, cl.calls)
		require.Empty(t, cl.failures(5), "client %d of %d calls noticed the crash of r%d, the coordinator", cl.row, len(cl.calls), seq)
		for col := range 10 {
			v, err := strconv.ParseInt(cell(dump, cl.row, col), 10, 32)
			require.NoError(t, err)
			require.NoError(t, cl.check(col, int32(v)))
		}
	}
}
