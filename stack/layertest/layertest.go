// Package layertest drives one protocol layer with scripted events, as
// etcd's raft tests drive its core: no network, no clock, no goroutines.
// A test builds a Harness around a layer of a view, feeds it events from
// above (Down) or below (Up) and ticks, and inspects what the layer passed
// on in each direction.
package layertest

import (
	"fmt"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Harness runs one layer instance for one view.
type Harness struct {
	Layer stack.Layer
	Env   *stack.Env
	// Downs and Ups are the events the layer passed on, in order.
	Downs, Ups []*stack.Event
	now        time.Time
	rng        uint64
}

// Options describe the view the layer serves.
type Options struct {
	// Members are the view's members in rank order (default: n0..n2).
	Members []stack.Endpoint
	// Rank is this member's rank.
	Rank int
	// Config is the stack configuration (zero fields take defaults).
	Config stack.Config
	// ViewAnn and ViewMsg are what the view was installed with.
	ViewAnn stack.Annotations
	ViewMsg []byte
	// Ltime is the view's logical time.
	Ltime uint64
}

// Members returns n endpoints named n0, n1, ... with incarnation 1.
func Members(n int) []stack.Endpoint {
	es := make([]stack.Endpoint, n)
	for i := range es {
		es[i] = stack.Endpoint{Addr: fmt.Sprintf("n%d", i), Inc: 1}
	}
	return es
}

// New builds the protocol's layer for the view described by o.
func New(p stack.Protocol, o Options) *Harness {
	if o.Members == nil {
		o.Members = Members(3)
	}
	h := &Harness{now: time.Unix(1_000_000, 0)}
	v := stack.NewView(stack.ViewID{Ltime: o.Ltime, Coord: o.Members[0]}, o.Members, o.Members[o.Rank])
	h.Env = stack.NewEnv(stack.EnvOptions{
		View: v, ViewMsg: o.ViewMsg, ViewAnn: o.ViewAnn, Me: o.Members[o.Rank], Config: o.Config, Group: "test",
		Now:  func() time.Time { return h.now },
		Rand: func() uint64 { h.rng += 0x9e3779b97f4a7c15; return h.rng },
		Down: func(ev *stack.Event) { h.Downs = append(h.Downs, ev) },
		Up:   func(ev *stack.Event) { h.Ups = append(h.Ups, ev) },
	})
	h.Layer = p.NewLayer(h.Env)
	return h
}

// Start runs the layer's Start hook, if it has one.
func (h *Harness) Start() {
	if s, ok := h.Layer.(stack.Starter); ok {
		s.Start()
	}
}

// Down hands ev to the layer from above.
func (h *Harness) Down(ev *stack.Event) { h.Layer.Down(ev) }

// Up hands ev to the layer from below.
func (h *Harness) Up(ev *stack.Event) { h.Layer.Up(ev) }

// Advance moves the clock forward by d and ticks the layer.
func (h *Harness) Advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.Layer.Tick(h.now)
}

// Now returns the harness clock.
func (h *Harness) Now() time.Time { return h.now }

// Reset forgets the events recorded so far.
func (h *Harness) Reset() { h.Downs, h.Ups = nil, nil }

// TakeDowns returns and forgets the events passed down.
func (h *Harness) TakeDowns() []*stack.Event { d := h.Downs; h.Downs = nil; return d }

// TakeUps returns and forgets the events passed up.
func (h *Harness) TakeUps() []*stack.Event { u := h.Ups; h.Ups = nil; return u }

// Of returns the recorded events of type t.
func Of(evs []*stack.Event, t stack.EventType) []*stack.Event {
	var out []*stack.Event
	for _, ev := range evs {
		if ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

// Msg returns a message whose content is b (headers are pushed in front).
func Msg(b []byte) *wire.Msg { return wire.NewMsg(b) }

// Wire returns a copy of an event's message as it would arrive at a peer
// (its bytes, wrapped for popping).
func Wire(ev *stack.Event) *wire.Msg { return wire.WrapMsg(append([]byte(nil), ev.Msg.Bytes()...)) }
