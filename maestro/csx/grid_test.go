package csx

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// grid is the §2.4.2 example as a test handler: a 10×10 grid of int32,
// updated by totally ordered casts and transferred by GetState.
type grid struct {
	Callbacks
	m *Member

	mu        sync.Mutex
	cells     [100]int32
	view      *ViewData
	applied   int
	transfers int
}

func (g *grid) set(x, y int, v int32) error {
	return g.m.Cast(message.New().PutInt(x).PutInt(y).PutInt32(v), clsv.Generic)
}

func (g *grid) ReceiveCast(_ EndpID, msg *message.Message) {
	x, y, v := msg.GetInt(), msg.GetInt(), msg.GetInt32()
	if msg.Err() != nil || x < 0 || x >= 10 || y < 0 || y >= 10 {
		return
	}
	g.mu.Lock()
	g.cells[x*10+y] = v
	g.applied++
	g.mu.Unlock()
}

func (g *grid) AcceptedView(v *ViewData, _ *message.Message) {
	g.mu.Lock()
	g.view = v
	g.mu.Unlock()
}

func (g *grid) encode() *message.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, 400)
	for i, c := range g.cells {
		binary.BigEndian.PutUint32(b[4*i:], uint32(c))
	}
	return message.New().PutBytes(b)
}

func (g *grid) AskState(origin EndpID, id XferID, _ *message.Message) {
	_ = g.m.SendState(origin, id, g.encode())
}

func (g *grid) StateTransfer(id XferID) {
	st, err := g.m.GetState(context.Background(), id, message.New())
	if err != nil {
		return
	}
	b := st.GetBytes()
	if st.Err() != nil || len(b) != 400 {
		return
	}
	g.mu.Lock()
	for i := range g.cells {
		g.cells[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
	g.transfers++
	g.mu.Unlock()
	_ = g.m.XferDone(id)
}

func (g *grid) snapshot() ([100]int32, *ViewData) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cells, g.view
}

func udpOptions(t *testing.T) Options {
	base := 30000 + rand.IntN(1500)*16
	return Options{Options: clsv.Options{
		Options: groupmember.Options{
			Group: fmt.Sprintf("%s-%d", t.Name(), base), PortBase: base, PortCount: 8,
			Stack: stack.Config{Heartbeat: 50 * time.Millisecond, SuspectTimeout: 600 * time.Millisecond, Gossip: 100 * time.Millisecond, FlushTimeout: time.Second},
		},
		Mode: clsv.Server, Xfer: clsv.Atomic, JoinGrace: 300 * time.Millisecond,
	}}
}

func startGrid(t *testing.T, o Options) *grid {
	g := &grid{}
	m, err := New(o, g)
	require.NoError(t, err)
	g.m = m
	require.NoError(t, m.Join(context.Background()))
	t.Cleanup(func() { m.Close() })
	return g
}

// waitServers waits until every grid is a normal server in one view of n.
func waitServers(t *testing.T, gs []*grid, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var id string
		for _, g := range gs {
			_, v := g.snapshot()
			if v == nil || len(v.Servers) != n || len(v.Members) != n || v.MyState != clsv.StateServer || (id != "" && v.ID != id) {
				return false
			}
			id = v.ID
		}
		return true
	}, 30*time.Second, 10*time.Millisecond, "grids did not become %d servers in one view", n)
}

func TestGridServersOverUDP(t *testing.T) {
	o := udpOptions(t)
	first := startGrid(t, o)
	waitServers(t, []*grid{first}, 1)
	for i := 0; i < 50; i++ {
		require.NoError(t, first.set(i%10, i/10%10, int32(i)))
	}
	gs := []*grid{first, startGrid(t, o), startGrid(t, o)}
	waitServers(t, gs, 3)
	var wg sync.WaitGroup
	wg.Add(1)
	senders := gs[:3:3]
	go func() {
		defer wg.Done()
		for i := 0; i < 300; i++ {
			require.NoError(t, senders[i%3].set(i%10, (i*7)%10, int32(1000+i)))
		}
	}()
	gs = append(gs, startGrid(t, o))
	wg.Wait()
	waitServers(t, gs, 4)
	require.Eventually(t, func() bool {
		want, _ := gs[0].snapshot()
		for _, g := range gs[1:] {
			if got, _ := g.snapshot(); got != want {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "grids differ")
	for _, g := range gs[1:] {
		g.mu.Lock()
		require.GreaterOrEqual(t, g.transfers, 1, "a joining server did no state transfer")
		g.mu.Unlock()
	}
}
