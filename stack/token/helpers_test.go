package token

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// Helpers for scripted tests of one layer (layertest) and for small groups
// of Token layers joined by an in-memory bus.

// header returns the kind and, for numbered kinds, the first number of a
// message the layer passed down, and its content after the header.
func header(t *testing.T, m *wire.Msg) (kind byte, num uint64, rest []byte) {
	t.Helper()
	r := wire.NewReader(m.Bytes())
	kind = r.Byte()
	if kind != kindPass && kind != kindUnordered {
		num = r.Uvarint()
	}
	require.NoError(t, r.Err())
	return kind, num, m.Bytes()[r.Consumed():]
}

// ctrlKinds lists the kinds of the control messages in evs, with their
// destinations ("token>1", "ack>0", ...).
func ctrlKinds(evs []*stack.Event) []string {
	names := map[byte]string{kindToken: "token", kindAck: "ack", kindCommit: "commit", kindRequest: "request", kindPass: "pass"}
	var out []string
	for _, ev := range layertest.Of(evs, stack.ECtrl) {
		out = append(out, fmt.Sprintf("%s>%d", names[ev.Msg.Bytes()[0]], ev.Peer))
	}
	return out
}

// ordered builds a cast stamped g as it arrives from a peer.
func ordered(g uint64, content string) *wire.Msg {
	var w wire.Writer
	w.Byte(kindOrdered)
	w.Uvarint(g)
	m := wire.NewMsg([]byte(content))
	m.Push(w.B)
	return wire.WrapMsg(m.Bytes())
}

// unorderedMsg builds a cast sent unordered at a flush.
func unorderedMsg(content string) *wire.Msg {
	m := wire.NewMsg([]byte(content))
	m.PushByte(kindUnordered)
	return wire.WrapMsg(m.Bytes())
}

// tokenMsg builds the token as a peer would offer it.
func tokenMsg(t token) *wire.Msg { return wire.WrapMsg(encodeToken(&t)) }

func visitMsg(kind byte, visit uint64) *wire.Msg { return wire.WrapMsg(visitBody(kind, visit)) }

// newToken returns a token of a view of n members.
func newToken(n int, visit, next uint64, park int) token {
	return token{visit: visit, next: next, park: park, stable: make([]uint64, n), visitOf: make([]uint64, n)}
}

func cast(s string) *stack.Event {
	return &stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: wire.NewMsg([]byte(s))}
}

func contents(evs []*stack.Event, typ stack.EventType) []string {
	var out []string
	for _, ev := range layertest.Of(evs, typ) {
		out = append(out, fmt.Sprintf("%d:%s", ev.Peer, ev.Msg.Bytes()))
	}
	return out
}

func idle(h *layertest.Harness) { h.Layer.(stack.Idler).Idle() }

func annotate(l stack.Layer) *stack.Event {
	ev := &stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Ann: stack.Annotations{}}}
	l.Up(ev)
	return ev
}

// bus joins the Token layers of one view's members. Casts loop back to
// their sender at once (as Nak does) and reach the others when the bus
// runs; control messages reach their destination. cut drops traffic.
type bus struct {
	t     *testing.T
	now   time.Time
	ms    []*member
	queue []packet
	cut   func(p packet) bool
	ctrls int          // control messages sent
	kinds map[byte]int // control messages sent, by kind
}

type member struct {
	rank    int
	l       stack.Layer
	env     *stack.Env
	got     []string   // delivered casts
	aborted []string   // aborted casts
	stable  [][]uint64 // EStable vectors, in order
}

type packet struct {
	from, to int
	typ      stack.EventType
	b        []byte
}

func newBus(t *testing.T, n int) *bus {
	b := &bus{t: t, now: time.Unix(1_000_000, 0), cut: func(packet) bool { return false }, kinds: map[byte]int{}}
	es := layertest.Members(n)
	for r := 0; r < n; r++ {
		m := &member{rank: r}
		v := stack.NewView(stack.ViewID{Ltime: 1, Coord: es[0]}, es, es[r])
		m.env = stack.NewEnv(stack.EnvOptions{
			View: v, Me: es[r], Group: "test",
			Now:  func() time.Time { return b.now },
			Rand: func() uint64 { return 4 },
			Down: func(ev *stack.Event) { b.down(m, ev) },
			Up:   func(ev *stack.Event) { m.up(ev) },
		})
		m.l = Protocol{}.NewLayer(m.env)
		b.ms = append(b.ms, m)
	}
	return b
}

func (m *member) up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		m.got = append(m.got, string(ev.Msg.Bytes()))
	case stack.EAbort:
		m.aborted = append(m.aborted, string(ev.Msg.Bytes()))
	case stack.EStable:
		m.stable = append(m.stable, slices.Clone(ev.Vector))
	}
}

func (b *bus) down(m *member, ev *stack.Event) {
	raw := slices.Clone(ev.Msg.Bytes())
	send := func(to int) { b.queue = append(b.queue, packet{m.rank, to, ev.Type, raw}) }
	if ev.Type == stack.ECtrl {
		b.ctrls++
		b.kinds[raw[0]]++
	}
	if ev.Peer == stack.AllPeers {
		for _, o := range b.ms {
			if o != m {
				send(o.rank)
			}
		}
	} else {
		send(ev.Peer)
	}
	if ev.Type == stack.ECast {
		m.l.Up(&stack.Event{Type: stack.ECast, Peer: m.rank, Msg: wire.WrapMsg(slices.Clone(raw))})
	}
}

// isCtrl reports whether p is a control message of the given kind.
func (p packet) isCtrl(kind byte) bool {
	return p.typ == stack.ECtrl && len(p.b) > 0 && p.b[0] == kind
}

// run delivers everything in flight (and what that causes), letting each
// member end its batch (Idle) after each message, as the engine does.
func (b *bus) run() {
	for _, m := range b.ms {
		m.l.(stack.Idler).Idle()
	}
	for steps := 0; len(b.queue) > 0; steps++ {
		require.Less(b.t, steps, 1_000_000, "the bus never goes quiet")
		p := b.queue[0]
		b.queue = b.queue[1:]
		if b.cut(p) {
			continue
		}
		to := b.ms[p.to]
		to.l.Up(&stack.Event{Type: p.typ, Peer: p.from, Msg: wire.WrapMsg(p.b)})
		to.l.(stack.Idler).Idle()
	}
}

// tick advances the clock by d, ticks every member and runs the bus.
func (b *bus) tick(d time.Duration) {
	b.now = b.now.Add(d)
	for _, m := range b.ms {
		m.l.Tick(b.now)
	}
	b.run()
}

// cast has member r cast s and runs the bus.
func (b *bus) cast(r int, s string) {
	b.ms[r].l.Down(cast(s))
	b.run()
}

// endView runs a flush in the component comp: every member blocks, the
// bus runs (within the component, so all hold the same casts, as Sync
// ensures), every member annotates, and every member ends the view with
// the merged annotations (lowest rank wins a key). It returns the members'
// EndCasts answers.
func (b *bus) endView(comp []int) []uint64 {
	for _, r := range comp {
		b.ms[r].l.Up(&stack.Event{Type: stack.EBlock})
	}
	b.run()
	anns := stack.Annotations{}
	var ends []uint64
	for _, r := range comp {
		ev := annotate(b.ms[r].l)
		ends = append(ends, ev.EndCasts)
		for k, v := range ev.Ann {
			if _, ok := anns[k]; !ok {
				anns[k] = v
			}
		}
	}
	for _, r := range comp {
		b.ms[r].l.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: anns}})
	}
	return ends
}

// partition cuts every link between members of different groups.
func (b *bus) partition(groups ...[]int) {
	side := map[int]int{}
	for i, g := range groups {
		for _, r := range g {
			side[r] = i
		}
	}
	b.cut = func(p packet) bool { return side[p.from] != side[p.to] }
}

// requireStrongPrefix checks that any two members' deliveries are a prefix
// one of the other, and that nothing is both delivered and aborted.
func (b *bus) requireStrongPrefix() {
	b.t.Helper()
	for _, p := range b.ms {
		for _, q := range b.ms {
			a, c := p.got, q.got
			if len(a) > len(c) {
				a, c = c, a
			}
			require.Equal(b.t, a, c[:len(a)], "members %d and %d diverge", p.rank, q.rank)
		}
		for _, s := range p.aborted {
			require.NotContains(b.t, p.got, s, "member %d delivered and aborted %s", p.rank, s)
		}
	}
}
