package clsv

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/transport/sim"
)

// rec records a member's callbacks (all on the simulation goroutine).
type rec struct {
	Callbacks
	m      *Member
	views  []*ViewData
	got    []string // "<kind>:<text>"
	states []string
	asked  []string
	aborts int
	xfer   bool // answer transfers automatically
	mute   bool // never answer state requests
}

func (r *rec) AcceptedView(v *ViewData, _ *message.Message) {
	r.views = append(r.views, v)
	if v.StartXfer && r.xfer {
		_ = r.m.AskState(v.Servers[0], message.New().PutString("all"))
	}
}
func (r *rec) add(kind string, msg *message.Message)       { r.got = append(r.got, kind+":"+msg.GetString()) }
func (r *rec) ReceiveCast(_ EndpID, msg *message.Message)  { r.add("cast", msg) }
func (r *rec) ReceiveSend(_ EndpID, msg *message.Message)  { r.add("send", msg) }
func (r *rec) ReceiveScast(_ EndpID, msg *message.Message) { r.add("scast", msg) }
func (r *rec) ReceiveLsend(_ EndpID, msg *message.Message) { r.add("lsend", msg) }
func (r *rec) AbortCast(EndpID, *message.Message)          { r.aborts++ }
func (r *rec) AskState(origin EndpID, req *message.Message) {
	r.asked = append(r.asked, req.GetString())
	if !r.mute {
		_ = r.m.SendState(origin, message.New().PutString("the state"))
	}
}
func (r *rec) RcvState(_ EndpID, st *message.Message) {
	r.states = append(r.states, st.GetString())
	if r.xfer {
		_ = r.m.XferDone()
	}
}

func (r *rec) view() *ViewData { return r.views[len(r.views)-1] }

type world struct {
	t   *testing.T
	net *sim.Network
}

func newWorld(t *testing.T, seed uint64) *world {
	return &world{t: t, net: sim.NewNetwork(seed, sim.Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})}
}

func (w *world) member(addr string, mode Mode, xfer XferType, autoXfer bool) *rec {
	cfg := sim.SimConfig()
	r := &rec{xfer: autoXfer}
	m, err := New(Options{
		Options: groupmember.Options{
			Group: "clsv", Stack: cfg,
			Start: func(o stack.Options) (stack.Driver, error) { return w.net.Attach(addr, o, cfg.Tick) },
		},
		Mode: mode, Xfer: xfer, JoinGrace: 500 * time.Millisecond, XferBatch: 50 * time.Millisecond,
		AfterFunc: func(d time.Duration, f func()) { w.net.After(d, f) },
	}, r)
	require.NoError(w.t, err)
	r.m = m
	require.NoError(w.t, m.Join(context.Background()))
	return r
}

func (w *world) run(d time.Duration) { w.net.RunFor(d) }

// TestJoinSequence follows Figure 2.6: a server joins as a client, becomes
// an xfer server in a state-transfer view, gets the state, calls XferDone
// and is a normal server in the next view; the first server founds the
// state after JoinGrace.
func TestJoinSequence(t *testing.T) {
	w := newWorld(t, 1)
	a := w.member("a", Server, Atomic, true)
	w.run(2 * time.Second)
	require.Equal(t, StateServer, a.view().MyState, "a lone server founds the state after JoinGrace")
	require.Equal(t, StateClient, a.views[0].MyState, "every member starts as a client")
	require.Empty(t, a.states, "the founder transfers nothing")

	b := w.member("b", Server, Atomic, true)
	w.run(3 * time.Second)
	var states []State
	for _, v := range b.views {
		if len(states) == 0 || states[len(states)-1] != v.MyState {
			states = append(states, v.MyState)
		}
	}
	require.Equal(t, []State{StateClient, StateXfer, StateServer}, states, "join sequence of b")
	require.Equal(t, []string{"the state"}, b.states)
	require.Equal(t, []string{"all"}, a.asked)
	v := b.view()
	require.Equal(t, []EndpID{a.m.ID(), b.m.ID()}, v.Servers)
	require.Empty(t, v.XferServers)
	require.Contains(t, v.NewServers, b.m.ID())
	// The state-transfer view showed b as an xfer server to everyone.
	var sawXfer bool
	for _, av := range a.views {
		sawXfer = sawXfer || slices.Equal(av.XferServers, []EndpID{b.m.ID()})
	}
	require.True(t, sawXfer, "a never saw b's state-transfer view")
}

// TestScastAndLsendReachTheirDestinations checks who receives what.
func TestScastAndLsendReachTheirDestinations(t *testing.T) {
	w := newWorld(t, 2)
	s1 := w.member("s1", Server, Free, true)
	w.run(2 * time.Second)
	s2 := w.member("s2", Server, Free, true)
	c1 := w.member("c1", Client, Free, false)
	c2 := w.member("c2", Client, Free, false)
	w.run(5 * time.Second)
	all := []*rec{s1, s2, c1, c2}
	for _, r := range all {
		v := r.view()
		require.Len(t, v.Members, 4)
		require.Len(t, v.Servers, 2, "%v", v.Roles)
		require.Len(t, v.Clients, 2)
	}
	require.NoError(t, c1.m.Scast(message.New().PutString("to servers and c2"), Generic, c2.m.ID()))
	require.NoError(t, s1.m.Lsend([]EndpID{c1.m.ID(), s2.m.ID()}, message.New().PutString("to c1 and s2"), Generic))
	require.NoError(t, c2.m.Cast(message.New().PutString("to all"), Generic))
	require.NoError(t, s2.m.Send(c1.m.ID(), message.New().PutString("to c1"), Generic))
	w.run(time.Second)
	require.ElementsMatch(t, []string{"scast:to servers and c2", "cast:to all"}, s1.got)
	require.ElementsMatch(t, []string{"scast:to servers and c2", "lsend:to c1 and s2", "cast:to all"}, s2.got)
	require.ElementsMatch(t, []string{"lsend:to c1 and s2", "cast:to all", "send:to c1"}, c1.got)
	require.ElementsMatch(t, []string{"scast:to servers and c2", "cast:to all"}, c2.got)
}

// transferHolds runs a transfer that never finishes and reports what each
// safety level's messages did during it and after it ended.
// inTransfer starts a server s and then a member j that is an xfer
// server until it calls XferDone, and runs until the transfer view.
func inTransfer(t *testing.T, xfer XferType) (w *world, s, j *rec) {
	w = newWorld(t, 3)
	s = w.member("s", Server, xfer, false)
	w.run(2 * time.Second)
	j = w.member("j", Server, xfer, false) // never completes its transfer by itself
	w.run(3 * time.Second)
	require.True(t, s.view().XferView(), "no state-transfer view")
	return w, s, j
}

func transferHolds(t *testing.T, xfer XferType) (during, after []string) {
	w, s, j := inTransfer(t, xfer)
	for _, safety := range []Safety{Generic, Safe, Xfer} {
		require.NoError(t, s.m.Cast(message.New().PutString(safety.String()), safety))
	}
	w.run(time.Second)
	during = slices.Clone(j.got)
	require.NoError(t, j.m.XferDone())
	w.run(2 * time.Second)
	require.False(t, s.view().XferView())
	require.Zero(t, s.m.Held())
	return during, j.got
}

func TestAtomicTransferHoldsGenericAndSafe(t *testing.T) {
	during, after := transferHolds(t, Atomic)
	require.Equal(t, []string{"cast:xfer"}, during)
	require.Equal(t, []string{"cast:xfer", "cast:generic", "cast:safe"}, after, "held messages go out in their original order")
}

func TestProtectedTransferHoldsGeneric(t *testing.T) {
	during, after := transferHolds(t, Protected)
	require.Equal(t, []string{"cast:safe", "cast:xfer"}, during)
	require.Equal(t, []string{"cast:safe", "cast:xfer", "cast:generic"}, after)
}

func TestFreeTransferHoldsNothing(t *testing.T) {
	during, after := transferHolds(t, Free)
	require.Equal(t, []string{"cast:generic", "cast:safe", "cast:xfer"}, during)
	require.Equal(t, during, after)
}

// TestTransferRestartsWhenSourceCrashes: the source dies before answering;
// the xfer server is told to start again in the next view and succeeds
// from the remaining server.
func TestTransferRestartsWhenSourceCrashes(t *testing.T) {
	w := newWorld(t, 4)
	a := w.member("a", Server, Atomic, true)
	w.run(2 * time.Second)
	b := w.member("b", Server, Atomic, true)
	w.run(3 * time.Second)
	require.Len(t, b.view().Servers, 2)
	// c will ask the oldest server, which takes the request and dies
	// without answering.
	source := a
	if b.view().Servers[0] == b.m.ID() {
		source = b
	}
	source.mute = true
	c := w.member("c", Server, Atomic, true)
	w.run(3 * time.Second)
	require.NotEmpty(t, source.asked, "c did not ask the oldest server")
	require.Equal(t, StateXfer, c.view().MyState, "c finished without a state")
	_ = source.m.Close()
	w.run(5 * time.Second)
	v := c.view()
	require.Equal(t, StateServer, v.MyState, "c did not finish its transfer: %v", v.Roles)
	require.Len(t, v.Servers, 2)
	require.Equal(t, []string{"the state"}, c.states)
	var starts int
	for _, cv := range c.views {
		if cv.StartXfer {
			starts++
		}
	}
	require.GreaterOrEqual(t, starts, 2, "the transfer was not restarted")
}

// TestBecomeServer upgrades a client on request.
func TestBecomeServer(t *testing.T) {
	w := newWorld(t, 5)
	s := w.member("s", Server, Atomic, true)
	w.run(2 * time.Second)
	c := w.member("c", Client, Atomic, true)
	w.run(3 * time.Second)
	require.Equal(t, StateClient, c.view().MyState)
	require.NoError(t, c.m.BecomeServer())
	w.run(3 * time.Second)
	require.Equal(t, StateServer, c.view().MyState)
	require.Equal(t, []string{"the state"}, c.states)
	require.Len(t, s.view().Servers, 2)
}

// TestMergeTransfersToTheSmallerComponent: two components, each with
// servers, merge; the servers of the smaller one become xfer servers.
func TestMergeTransfersToTheSmallerComponent(t *testing.T) {
	w := newWorld(t, 6)
	var rs []*rec
	for i := 0; i < 3; i++ {
		rs = append(rs, w.member(fmt.Sprintf("m%d", i), Server, Atomic, true))
	}
	w.run(4 * time.Second)
	require.Len(t, rs[0].view().Servers, 3)
	w.net.Partition([]string{"m0", "m1"}, []string{"m2"})
	w.run(3 * time.Second)
	require.Len(t, rs[0].view().Servers, 2)
	require.Len(t, rs[2].view().Servers, 1)
	var before []int
	for _, r := range rs {
		before = append(before, len(r.states))
	}
	w.net.Heal()
	w.run(5 * time.Second)
	for _, r := range rs {
		require.Len(t, r.view().Servers, 3, "%v", r.view().Roles)
	}
	require.Equal(t, before[2]+1, len(rs[2].states), "the server of the smaller component took the larger one's state")
	require.Equal(t, before[0], len(rs[0].states))
	require.Equal(t, before[1], len(rs[1].states))
}

// Regression (the grid lost its state on a clean leave): when the
// coordinator leaves, the view it proposes must still carry roles, so the
// up-to-date survivor stays a server instead of becoming a client.
func TestServerSurvivesCoordinatorLeave(t *testing.T) {
	w := newWorld(t, 7)
	a := w.member("a", Server, Atomic, true)
	w.run(2 * time.Second)
	b := w.member("b", Server, Atomic, true)
	w.run(3 * time.Second)
	require.Len(t, b.view().Servers, 2)
	coord, other := a, b
	if b.view().Coordinator == b.m.ID() {
		coord, other = b, a
	}
	require.NoError(t, coord.m.Leave(context.Background()))
	w.run(3 * time.Second)
	v := other.view()
	require.Equal(t, []EndpID{other.m.ID()}, v.Members)
	require.Equal(t, StateServer, v.MyState, "the survivor holds the state: it must stay a server")
	require.Equal(t, []EndpID{other.m.ID()}, v.Servers)
}

// TestPropertiesNeedAnOrderUnlessCastsCommute: without a total order the
// servers stay alike only if the casts commute and states are taken
// between views (Atomic transfer).
func TestPropertiesNeedAnOrderUnlessCastsCommute(t *testing.T) {
	const unordered = "Gmp:Sync:Heal:Frag:Suspect:Flow"
	for _, tc := range []struct {
		props   string
		commute bool
		xfer    XferType
		err     string
	}{
		{props: "Gmp:Heal:Frag:Suspect:Flow:Total", xfer: Atomic, err: "lack Sync"},
		{props: unordered, xfer: Atomic, err: "lack a total order"},
		{props: unordered, commute: true, xfer: Protected, err: "lack a total order"},
		{props: unordered, commute: true, xfer: Atomic},
		{props: unordered + ":Token", xfer: Free},
	} {
		o := Options{Options: groupmember.Options{Properties: tc.props}, Mode: Server, Xfer: tc.xfer, Commute: tc.commute}
		err := o.defaults()
		if tc.err == "" {
			require.NoError(t, err, "%+v", tc)
		} else {
			require.ErrorContains(t, err, tc.err, "%+v", tc)
		}
	}
}

// TestWithdrawnMessagesAreNeverSent: messages held during a transfer and
// withdrawn come back to the application, in order, and are never
// delivered, even once the transfer ends.
func TestWithdrawnMessagesAreNeverSent(t *testing.T) {
	w, s, j := inTransfer(t, Atomic)
	for _, v := range []string{"first", "second"} {
		require.NoError(t, s.m.Cast(message.New().PutString(v), Generic))
	}
	require.Equal(t, 2, s.m.Held())
	var got []string
	for _, m := range s.m.Withdraw() {
		got = append(got, m.GetString())
	}
	require.Equal(t, []string{"first", "second"}, got)
	require.Zero(t, s.m.Held())
	require.Empty(t, s.m.Withdraw(), "nothing is withdrawn twice")

	require.NoError(t, s.m.Cast(message.New().PutString("after"), Generic))
	require.NoError(t, j.m.XferDone())
	w.run(2 * time.Second)
	require.False(t, s.view().XferView())
	require.Equal(t, []string{"cast:after"}, j.got, "only the message not withdrawn is delivered")
}
