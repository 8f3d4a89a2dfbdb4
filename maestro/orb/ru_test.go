package orb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/stack"
)

// ledger is the replicated test object: ten cells (set/get), a counter
// that add increments (so a request applied twice shows), and a read-only
// operation. Its state travels with state transfer.
type ledger struct {
	mu      sync.Mutex
	cells   [10]int32
	counter int32
	gate    chan struct{} // "wait" waits until it is closed
}

const ledgerType = "IDL:Ledger:1.0"

func (l *ledger) Update(op string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch op {
	case "set":
		n, v := req.ReadShort(), req.ReadLong()
		if req.Err() != nil {
			return iiop.NoException // the ORB answers MARSHAL
		}
		if n < 0 || n >= 10 {
			iiop.NewSystemException(iiop.ExcBadParam, 0, iiop.CompletedNo).Encode(reply)
			return iiop.SystemExceptionReply
		}
		l.cells[n] = v
		return iiop.NoException
	case "get", "peek":
		n := req.ReadShort()
		if req.Err() != nil || n < 0 || n >= 10 {
			iiop.NewSystemException(iiop.ExcBadParam, 0, iiop.CompletedNo).Encode(reply)
			return iiop.SystemExceptionReply
		}
		reply.WriteLong(l.cells[n])
		return iiop.NoException
	case "wait":
		// Holds up this replica's deliveries, and so the answers to the
		// requests behind it.
		gate := l.gate
		l.mu.Unlock()
		<-gate
		l.mu.Lock()
		return iiop.NoException
	case "add":
		d := req.ReadLong()
		if req.Err() != nil {
			return iiop.NoException
		}
		l.counter += d
		reply.WriteLong(l.counter)
		return iiop.NoException
	}
	iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}

func (l *ledger) ReadOnly(op string) bool { return op == "peek" }

func (l *ledger) PushState(w io.Writer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return binary.Write(w, binary.BigEndian, append(l.cells[:], l.counter))
}

func (l *ledger) GetState(r io.Reader) error {
	var v [11]int32
	if err := binary.Read(r, binary.BigEndian, &v); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	copy(l.cells[:], v[:10])
	l.counter = v[10]
	return nil
}

func (l *ledger) snapshot() ([10]int32, int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cells, l.counter
}

// ruGroup is a group of RU replicas in this process, each with its own
// IIOP dispatcher on 127.0.0.1 and its own UDP endpoint.
type ruGroup struct {
	t    testing.TB
	name string
	base int
	key  ObjectKey
	opts ReplicatedUpdatesOptions
}

type ruReplica struct {
	orb *ReplicatedUpdates
	obj *ledger
}

func newRUGroup(t testing.TB, opts ReplicatedUpdatesOptions) *ruGroup {
	base := 30000 + rand.IntN(1500)*16
	key, err := NewKey("Ledger")
	require.NoError(t, err)
	opts.Name = fmt.Sprintf("%s-%d", t.Name(), base)
	opts.Group = groupmember.Options{PortBase: base, PortCount: 8,
		Stack: stack.Config{Heartbeat: 50 * time.Millisecond, SuspectTimeout: 600 * time.Millisecond, Gossip: 100 * time.Millisecond, FlushTimeout: time.Second}}
	return &ruGroup{t: t, name: opts.Name, base: base, key: key, opts: opts}
}

// start runs one more replica, with a fresh state directory unless the
// group's options name one.
func (g *ruGroup) start() *ruReplica {
	t := g.t
	d, err := NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	opts := g.opts
	opts.Dispatcher = d
	if opts.ProgressInPrimaryOnly && opts.Group.StateDir == "" {
		opts.Group.StateDir = t.TempDir()
	}
	o, err := NewReplicatedUpdates(opts)
	require.NoError(t, err)
	r := &ruReplica{orb: o, obj: &ledger{}}
	require.NoError(t, o.Bind(g.key, ledgerType, r.obj))
	require.NoError(t, o.Activate(context.Background()))
	t.Cleanup(func() { o.Close() })
	return r
}

// waitServing waits until every replica serves in one view of them all.
func (g *ruGroup) waitServing(rs ...*ruReplica) {
	g.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		for _, r := range rs {
			v := r.orb.View()
			if v == nil || len(v.Members) != len(rs) || !r.orb.Serving() {
				ok = false
			}
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, r := range rs {
		g.t.Logf("replica %d: view %+v", i, r.orb.View())
	}
	g.t.Fatalf("%d replicas never served together", len(rs))
}

// servingGroup starts n replicas and waits until they serve together; it
// returns them with a context bounding the test's calls and a client.
func servingGroup(t *testing.T, opts ReplicatedUpdatesOptions, n int, co iiop.ClientOptions) (*ruGroup, []*ruReplica, context.Context, *iiop.Client) {
	t.Helper()
	g := newRUGroup(t, opts)
	rs := make([]*ruReplica, n)
	for i := range rs {
		rs[i] = g.start()
	}
	g.waitServing(rs...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c := iiop.NewClient(co)
	t.Cleanup(func() { c.Close() })
	return g, rs, ctx, c
}

// ref is the reference of the object at replica r alone.
func (g *ruGroup) ref(r *ruReplica) *iiop.IOR {
	return iiop.NewIOR(ledgerType, g.key.Octets(), r.orb.ownAddr(), iiop.GIOP12)
}

func callSet(ctx context.Context, c *iiop.Client, ref *iiop.IOR, n int16, v int32) error {
	_, err := c.Invoke(ctx, ref, "set", func(e *iiop.Encoder) { e.WriteShort(n); e.WriteLong(v) })
	return err
}

func callLong(ctx context.Context, c *iiop.Client, ref *iiop.IOR, op string, args func(*iiop.Encoder)) (int32, error) {
	rep, err := c.Invoke(ctx, ref, op, args)
	if err != nil {
		return 0, err
	}
	d := rep.Body.Decoder()
	v := d.ReadLong()
	return v, d.Err()
}

// equalEverywhere waits until every replica's ledger equals the first's.
func equalEverywhere(t *testing.T, rs ...*ruReplica) ([10]int32, int32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cells, counter := rs[0].obj.snapshot()
		same := true
		for _, r := range rs[1:] {
			c, n := r.obj.snapshot()
			same = same && c == cells && n == counter
		}
		if same {
			return cells, counter
		}
		if time.Now().After(deadline) {
			for i, r := range rs {
				c, n := r.obj.snapshot()
				t.Logf("replica %d: %v %d", i, c, n)
			}
			t.Fatal("replicas differ")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRUEveryReplicaAppliesEveryUpdate: updates sent to different replicas
// are applied by all of them in one order; each is answered by the
// replica that received it once applied there; a late replica gets the
// state by transfer.
func TestRUEveryReplicaAppliesEveryUpdate(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{StateTransfer: true}, 3, iiop.ClientOptions{})

	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 10 {
				if err := callSet(ctx, c, g.ref(r), int16(k), int32(100*i+k)); err != nil {
					errs <- err
				}
				if _, err := callLong(ctx, c, g.ref(r), "add", func(e *iiop.Encoder) { e.WriteLong(1) }); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cells, counter := equalEverywhere(t, rs...)
	require.EqualValues(t, 30, counter, "every add applied once")

	// A read-only operation at any replica sees what that replica applied.
	for _, r := range rs {
		v, err := callLong(ctx, c, g.ref(r), "peek", func(e *iiop.Encoder) { e.WriteShort(3) })
		require.NoError(t, err)
		require.Equal(t, cells[3], v)
	}

	late := g.start()
	g.waitServing(append(rs, late)...)
	equalEverywhere(t, append(rs, late)...)
	v, err := callLong(ctx, c, g.ref(late), "get", func(e *iiop.Encoder) { e.WriteShort(9) })
	require.NoError(t, err)
	require.Equal(t, cells[9], v)
}

// TestRUBadRequests: an operation's exceptions and undecodable arguments
// come back to the client alike from every replica, and leave the
// replicas equal.
func TestRUBadRequests(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{}, 2, iiop.ClientOptions{})

	err := callSet(ctx, c, g.ref(rs[0]), 42, 1)
	require.True(t, isExc(err, iiop.ExcBadParam), "out of range: %v", err)
	_, err = c.Invoke(ctx, g.ref(rs[1]), "set", func(e *iiop.Encoder) { e.WriteShort(1) }) // no value
	require.True(t, isExc(err, iiop.ExcMarshal), "truncated arguments: %v", err)
	_, err = c.Invoke(ctx, g.ref(rs[1]), "frobnicate", nil)
	require.True(t, isExc(err, iiop.ExcBadOperation), "unknown operation: %v", err)
	require.NoError(t, callSet(ctx, c, g.ref(rs[1]), 1, 7))
	cells, _ := equalEverywhere(t, rs...)
	require.EqualValues(t, 7, cells[1])

	require.ErrorIs(t, rs[0].orb.Bind(KeyFromString("other"), ledgerType, &ledger{}), ErrActive)
	require.ErrorIs(t, rs[0].orb.Unbind(g.key), ErrActive)
}

// TestRURetriesExecuteAtMostOnce: FT-aware clients that send the same
// request (client id, retention id) again — to the same replica, another,
// or one that joined since — get the recorded reply, and the request is
// applied once.
func TestRURetriesExecuteAtMostOnce(t *testing.T) {
	g := newRUGroup(t, ReplicatedUpdatesOptions{StateTransfer: true})
	rs := []*ruReplica{g.start(), g.start()}
	g.waitServing(rs...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	add := func(e *iiop.Encoder) { e.WriteLong(5) }
	// Each fresh client with the same id numbers its first call 1: to the
	// group it is the same request sent again.
	retry := func(r *ruReplica) int32 {
		c := iiop.NewClient(iiop.ClientOptions{FTClientID: "client-1"})
		defer c.Close()
		v, err := callLong(ctx, c, g.ref(r), "add", add)
		require.NoError(t, err)
		return v
	}
	require.EqualValues(t, 5, retry(rs[0]))
	require.EqualValues(t, 5, retry(rs[0]), "retry at the same replica")
	require.EqualValues(t, 5, retry(rs[1]), "retry at another replica")
	_, counter := equalEverywhere(t, rs...)
	require.EqualValues(t, 5, counter)

	late := g.start()
	g.waitServing(append(rs, late)...)
	require.EqualValues(t, 5, retry(late), "retry at a replica that joined since")
	_, counter = equalEverywhere(t, append(rs, late)...)
	require.EqualValues(t, 5, counter)

	other := iiop.NewClient(iiop.ClientOptions{FTClientID: "client-2"})
	defer other.Close()
	v, err := callLong(ctx, other, g.ref(late), "add", add)
	require.NoError(t, err)
	require.EqualValues(t, 10, v, "another client's request is new")
}

// TestRUConcurrentFTClientExecutesAtMostOnce: one FT-aware client shared
// by many goroutines, more than the group keeps replies for per client,
// whose replica crashes with calls in flight: every call is acknowledged
// (resent elsewhere) and every add is applied once.
func TestRUConcurrentFTClientExecutesAtMostOnce(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{StateTransfer: true}, 3, iiop.ClientOptions{FTClientID: "shared", DialTimeout: time.Second})
	ref := iiop.CompoundIOR(ledgerType, g.key.Octets(), []iiop.Addr{rs[0].orb.ownAddr(), rs[1].orb.ownAddr(), rs[2].orb.ownAddr()}, iiop.GIOP12)
	const goroutines, calls = 40, 25
	var acked atomic.Int32
	errs := make(chan error, goroutines)
	for range goroutines {
		go func() {
			for range calls {
				if _, err := callLong(ctx, c, ref, "add", func(e *iiop.Encoder) { e.WriteLong(1) }); err != nil {
					errs <- err
					return
				}
				acked.Add(1)
			}
			errs <- nil
		}()
	}
	for acked.Load() < goroutines*calls/4 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	rs[0].orb.Close()
	for range goroutines {
		require.NoError(t, <-errs)
	}
	_, counter := equalEverywhere(t, rs[1:]...)
	require.EqualValues(t, goroutines*calls, counter, "every add applied once")
}

// TestRUAwaitingAnswersAreBounded: a replica keeps at most
// retainedPerOrigin requests awaiting their answer (as many as the group
// retains replies for, per receiving replica, to answer the requests whose
// effect reaches it by state transfer); one more is refused with
// TRANSIENT, COMPLETED_NO and applied nowhere.
func TestRUAwaitingAnswersAreBounded(t *testing.T) {
	n := retainedPerOrigin
	t.Cleanup(func() { retainedPerOrigin = n }) // after the replica's own cleanups
	retainedPerOrigin = 4
	g := newRUGroup(t, ReplicatedUpdatesOptions{StateTransfer: true})
	r := g.start()
	gate := make(chan struct{})
	var opened sync.Once
	open := func() { opened.Do(func() { close(gate) }) }
	t.Cleanup(open) // a failed check must not leave the replica held up
	r.obj.mu.Lock()
	r.obj.gate = gate
	r.obj.mu.Unlock()
	g.waitServing(r)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	awaiting := func(n int) {
		t.Helper()
		require.Eventually(t, func() bool {
			r.orb.mu.Lock()
			defer r.orb.mu.Unlock()
			return len(r.orb.pending) == n
		}, 10*time.Second, time.Millisecond)
	}
	// Each call on a client (a connection) of its own, so that none waits
	// behind another on its connection.
	call := func(ctx context.Context, op string, args func(*iiop.Encoder)) error {
		c := iiop.NewClient(iiop.ClientOptions{})
		defer c.Close()
		_, err := c.Invoke(ctx, g.ref(r), op, args)
		return err
	}
	add := func(e *iiop.Encoder) { e.WriteLong(1) }
	errs := make(chan error, 4)
	go func() { errs <- call(ctx, "wait", nil) }()
	awaiting(1)
	for range 3 {
		go func() { errs <- call(ctx, "add", add) }()
	}
	awaiting(4)
	// Were it taken in, it would wait behind the others; the bound on
	// this call only turns that into a failure rather than a hang.
	one, cancelOne := context.WithTimeout(ctx, 10*time.Second)
	defer cancelOne()
	err := call(one, "add", add)
	require.True(t, isExc(err, iiop.ExcTransient), "%v", err)
	var exc *iiop.SystemException
	require.ErrorAs(t, err, &exc)
	require.Equal(t, iiop.CompletedNo, exc.Completed)
	open()
	for range 4 {
		require.NoError(t, <-errs)
	}
	_, counter := r.obj.snapshot()
	require.EqualValues(t, 3, counter, "the refused add was applied nowhere")
}

// TestRUProgressInPrimaryOnly: with a majority of the configured replicas
// gone, the one left applies nothing; a client is sent to the replicas
// that may hold the primary partition or refused with TRANSIENT.
func TestRUProgressInPrimaryOnly(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{ProgressInPrimaryOnly: true, Replicas: 3, StateTransfer: true}, 3, iiop.ClientOptions{DialTimeout: time.Second})
	require.NoError(t, callSet(ctx, c, g.ref(rs[0]), 0, 1))
	equalEverywhere(t, rs...)

	rs[1].orb.Close()
	rs[2].orb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for rs[0].orb.View() == nil || len(rs[0].orb.View().Members) != 1 {
		require.True(t, time.Now().Before(deadline), "the crashes were never noticed")
		time.Sleep(20 * time.Millisecond)
	}
	require.False(t, rs[0].orb.Serving())
	err := callSet(ctx, c, g.ref(rs[0]), 0, 2)
	require.True(t, isExc(err, iiop.ExcTransient), "a minority replica refuses: %v", err)
	var exc *iiop.SystemException
	require.True(t, errors.As(err, &exc))
	require.Equal(t, iiop.CompletedNo, exc.Completed)
	cells, _ := rs[0].obj.snapshot()
	require.EqualValues(t, 1, cells[0], "nothing applied outside the primary partition")
	st, fwd, err := c.Locate(ctx, g.ref(rs[0]))
	require.NoError(t, err)
	require.Equal(t, iiop.ObjectForward, st, "a LocateRequest is sent where the primary partition may be")
	ps, err := fwd.IIOPProfiles()
	require.NoError(t, err)
	require.Contains(t, []iiop.Addr{rs[1].orb.ownAddr(), rs[2].orb.ownAddr()}, ps[0].Addr, "to the replicas it lost")
}

// TestRUOnewayRequests: a oneway request is applied by every replica and
// answered by none; LocateRequest finds the object here.
func TestRUOnewayRequests(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{}, 2, iiop.ClientOptions{})
	st, _, err := c.Locate(ctx, g.ref(rs[0]))
	require.NoError(t, err)
	require.Equal(t, iiop.ObjectHere, st)
	require.NoError(t, c.InvokeOneway(ctx, g.ref(rs[0]), "add", func(e *iiop.Encoder) { e.WriteLong(1) }))
	v, err := callLong(ctx, c, g.ref(rs[1]), "add", func(e *iiop.Encoder) { e.WriteLong(1) })
	require.NoError(t, err)
	// The oneway travels on another connection than the two-way call, so
	// it may still be on its way when the call returns.
	deadline := time.Now().Add(10 * time.Second)
	for _, counter := equalEverywhere(t, rs...); counter != 2; _, counter = equalEverywhere(t, rs...) {
		require.True(t, time.Now().Before(deadline), "the oneway add was never applied everywhere: counter %d", counter)
		time.Sleep(20 * time.Millisecond)
	}
	require.True(t, v == 1 || v == 2, "the two-way add sees the oneway one or not, by the order: %d", v)
}

// isExc reports whether err is the system exception name.
func isExc(err error, name string) bool {
	return errors.Is(err, iiop.NewSystemException(name, 0, iiop.CompletedNo))
}

// TestRUGracefulLeaveIsInvisible: a client calling through the compound
// IOR keeps succeeding while the replica it is connected to deactivates
// (it answers what is in flight, sends CloseConnection, leaves), and the
// remaining replicas hold every acknowledged update.
func TestRUGracefulLeaveIsInvisible(t *testing.T) {
	g := newRUGroup(t, ReplicatedUpdatesOptions{StateTransfer: true})
	rs := []*ruReplica{g.start(), g.start(), g.start()}
	g.waitServing(rs...)
	var ref *iiop.IOR
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		ref, err = rs[0].orb.IOR(g.key)
		require.NoError(t, err)
		if ps, _ := ref.IIOPProfiles(); len(ps) == 4 || time.Now().After(deadline) {
			break // the compound profile and one per replica
		}
		time.Sleep(20 * time.Millisecond)
	}
	ps, err := ref.IIOPProfiles()
	require.NoError(t, err)
	require.Len(t, ps, 4, "every replica's address is known")
	first := ps[0].Addr
	var leaving *ruReplica
	for _, r := range rs {
		if r.orb.ownAddr() == first {
			leaving = r
		}
	}
	require.NotNil(t, leaving)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := iiop.NewClient(iiop.ClientOptions{})
	defer c.Close()
	var acked atomic.Int32
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := int32(1); ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			v, err := callLong(ctx, c, ref, "add", func(e *iiop.Encoder) { e.WriteLong(1) })
			if err != nil {
				done <- fmt.Errorf("call %d: %w", i, err)
				return
			}
			if v != i {
				done <- fmt.Errorf("call %d returned %d", i, v)
				return
			}
			acked.Store(v)
		}
	}()
	for acked.Load() < 20 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, leaving.orb.Deactivate(ctx))
	after := acked.Load()
	for acked.Load() < after+20 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	require.NoError(t, <-done, "the client never sees the leave")
	total := acked.Load()
	_, left := leaving.obj.snapshot()
	require.True(t, left > 0 && left < total, "the replica left mid-stream (it applied %d of %d adds)", left, total)
	var rest []*ruReplica
	for _, r := range rs {
		if r != leaving {
			rest = append(rest, r)
		}
	}
	_, counter := equalEverywhere(t, rest...)
	require.Equal(t, total, counter, "every add applied once")
	require.ErrorIs(t, leaving.orb.Deactivate(ctx), ErrInactive)
	require.NoError(t, leaving.orb.Unbind(g.key), "unbinding is allowed once inactive")
}

// TestRUDeactivateLeavesWhenItsContextHasEnded: a Deactivate whose
// context ended before the leave (a drain that used it all) leaves the
// group all the same and waits until the others confirm it (it used to
// give up at once and report the leave failed), and the others go on at
// once rather than after their suspicion timeout — an hour here, longer
// than the test waits.
func TestRUDeactivateLeavesWhenItsContextHasEnded(t *testing.T) {
	g := newRUGroup(t, ReplicatedUpdatesOptions{StateTransfer: true})
	g.opts.Group.Stack.SuspectTimeout = time.Hour
	rs := []*ruReplica{g.start(), g.start(), g.start()}
	g.waitServing(rs...)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, rs[2].orb.Deactivate(ended), "nothing was in flight, and the leave went through")
	g.waitServing(rs[:2]...)
}

// TestRUObjectsShareOneStateMessage: two objects on one ORB share the
// group; a late replica gets both states from one transfer, and the
// options load from YAML.
func TestRUObjectsShareOneStateMessage(t *testing.T) {
	g := newRUGroup(t, ReplicatedUpdatesOptions{StateTransfer: true})
	second := KeyFromString("second-ledger")
	start := func() (*ruReplica, *ledger) {
		d, err := NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0"})
		require.NoError(t, err)
		opts := g.opts
		opts.Dispatcher = d
		o, err := NewReplicatedUpdates(opts)
		require.NoError(t, err)
		r, other := &ruReplica{orb: o, obj: &ledger{}}, &ledger{}
		require.NoError(t, o.Bind(g.key, ledgerType, r.obj))
		require.NoError(t, o.Bind(second, ledgerType, other))
		require.NoError(t, o.Activate(context.Background()))
		t.Cleanup(func() { o.Close() })
		return r, other
	}
	a, aOther := start()
	g.waitServing(a)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := iiop.NewClient(iiop.ClientOptions{})
	defer c.Close()
	require.NoError(t, callSet(ctx, c, g.ref(a), 1, 11))
	otherRef := iiop.NewIOR(ledgerType, second.Octets(), a.orb.ownAddr(), iiop.GIOP12)
	require.NoError(t, callSet(ctx, c, otherRef, 2, 22))

	b, bOther := start()
	g.waitServing(a, b)
	cells, _ := b.obj.snapshot()
	otherCells, _ := bOther.snapshot()
	require.EqualValues(t, 11, cells[1])
	require.EqualValues(t, 22, otherCells[2])
	aCells, _ := aOther.snapshot()
	require.Equal(t, aCells, otherCells)
}

func TestRUOptionsFromYAML(t *testing.T) {
	path := t.TempDir() + "/ru.yaml"
	require.NoError(t, os.WriteFile(path, []byte(`name: grid
progress_in_primary_only: true
replicas: 5
state_transfer: true
requests_commute: false
reinstall_ior: true
etc:
  dir: /var/lib/maestro/etc
linearizable_reads: true
relay_aborted: 5
group:
  seeds: ["10.0.0.1:7400"]
  state_dir: /var/lib/maestro/grid
`), 0o644))
	o, err := LoadReplicatedUpdatesOptions(path)
	require.NoError(t, err)
	require.Equal(t, "grid", o.Name)
	require.True(t, o.ProgressInPrimaryOnly && o.StateTransfer && o.ReinstallIOR && o.LinearizableReads)
	require.Equal(t, 5, o.Replicas)
	require.Equal(t, "/var/lib/maestro/etc", o.Etc.Dir)
	require.Equal(t, []string{"10.0.0.1:7400"}, o.Group.Seeds)
	require.Equal(t, "/var/lib/maestro/grid", o.Group.StateDir)
	require.Equal(t, 5, o.RelayAborted)
	_, err = NewReplicatedUpdates(o)
	require.ErrorContains(t, err, "Dispatcher", "the dispatcher is the caller's to set")
	o.Dispatcher = &Dispatcher{}
	for set, want := range map[int]int{0: 3, -1: 0, 5: 5} {
		o.RelayAborted = set
		ru, err := NewReplicatedUpdates(o)
		require.NoError(t, err)
		require.Equal(t, want, ru.opts.RelayAborted, "RelayAborted %d", set)
	}
	o.Replicas = 0
	_, err = NewReplicatedUpdates(o)
	require.ErrorContains(t, err, "needs Replicas")
}

// BenchmarkRUSet measures a synchronous update through a one-replica
// group (over Primary and Safe with Replicas 1), from our IIOP client.
func BenchmarkRUSet(b *testing.B) {
	g := newRUGroup(b, ReplicatedUpdatesOptions{ProgressInPrimaryOnly: true, Replicas: 1})
	r := g.start()
	g.waitServing(r)
	c := iiop.NewClient(iiop.ClientOptions{})
	defer c.Close()
	ref := g.ref(r)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := callSet(ctx, c, ref, int16(i%10), int32(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadReplicatedUpdatesOptionsRejectsUnknownKeys: a misspelt option
// is an error naming its line.
func TestLoadReplicatedUpdatesOptionsRejectsUnknownKeys(t *testing.T) {
	path := t.TempDir() + "/ru.yaml"
	require.NoError(t, os.WriteFile(path, []byte("name: grid\nprogress_in_primary_ony: true\n"), 0o644))
	_, err := LoadReplicatedUpdatesOptions(path)
	require.ErrorContains(t, err, "line 2: field progress_in_primary_ony not found")
}

// TestRUCommutingRequests: with RequestsCommute the group has no total
// order; adds sent to every replica at once, while a replica joins, still
// leave every replica with the same counter, each add applied once.
func TestRUCommutingRequests(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{StateTransfer: true, RequestsCommute: true}, 3, iiop.ClientOptions{})
	require.Equal(t, commuteRUProperties, rs[0].orb.opts.Group.Properties)

	const perReplica = 200
	var wg sync.WaitGroup
	errs := make(chan error, len(rs))
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perReplica {
				if _, err := callLong(ctx, c, g.ref(r), "add", func(e *iiop.Encoder) { e.WriteLong(1) }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	late := g.start()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := append(rs, late)
	g.waitServing(all...)
	_, counter := equalEverywhere(t, all...)
	require.EqualValues(t, len(rs)*perReplica, counter, "every add applied once, at every replica")
}

// TestRUOrderOfRequests: which properties the ORB group gets, and that
// properties without a total order are refused unless requests commute.
func TestRUOrderOfRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ReplicatedUpdatesOptions
		want string
	}{
		{"default", ReplicatedUpdatesOptions{}, defaultRUProperties},
		{"primary", ReplicatedUpdatesOptions{ProgressInPrimaryOnly: true, Replicas: 3}, primaryRUProperties},
		{"commute", ReplicatedUpdatesOptions{RequestsCommute: true}, commuteRUProperties},
		{"commute, primary", ReplicatedUpdatesOptions{RequestsCommute: true, ProgressInPrimaryOnly: true, Replicas: 3}, primaryRUProperties},
		{"commute, linearizable reads", ReplicatedUpdatesOptions{RequestsCommute: true, LinearizableReads: true}, defaultRUProperties},
	} {
		tc.opts.Dispatcher, tc.opts.Name = &Dispatcher{}, "g"
		o, err := tc.opts.withDefaults()
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, o.Group.Properties, tc.name)
		require.True(t, o.Group.InlineUpcalls && o.Group.RequestDriven,
			"%s: a request is applied and answered by the goroutine that read it, however quickly requests follow each other", tc.name)
	}
	o := ReplicatedUpdatesOptions{Dispatcher: &Dispatcher{}, Name: "g", Group: groupmember.Options{Properties: commuteRUProperties}}
	_, err := o.withDefaults()
	require.ErrorContains(t, err, "no total order")
	o.RequestsCommute = true
	_, err = o.withDefaults()
	require.NoError(t, err)
}
