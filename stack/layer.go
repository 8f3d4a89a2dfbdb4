package stack

import (
	"log/slog"
	"time"
)

// Layer is one protocol serving one view. All methods are called on the
// stack goroutine, one at a time; a layer holds no locks and does no I/O of
// its own: it passes events on with its Env.
type Layer interface {
	// Down handles an event coming from the layer above (or the application).
	Down(ev *Event)
	// Up handles an event coming from the layer below (or the network).
	Up(ev *Event)
	// Tick lets the layer act on time: retransmit, time out, gossip. It is
	// called every Config.Tick with the current time.
	Tick(now time.Time)
}

// Idler is implemented by layers that batch work until the stack has no
// more input queued (for example, the sequencer sends its orderings then).
type Idler interface{ Idle() }

// Protocol makes a layer's per-view instances and keeps whatever must
// survive a view change. It is created once per stack from the properties
// string.
type Protocol interface {
	// Name is the property that selects the protocol (e.g. "Total").
	Name() string
	// NewLayer returns the protocol's layer for a newly installed view.
	NewLayer(env *Env) Layer
}

// Env is what a layer instance sees of the stack: the view it serves, the
// configuration, the time, the metrics, and the functions that hand events
// to its neighbours.
type Env struct {
	View    *View
	ViewMsg []byte // the view message the view was installed with
	// ViewAnn holds what the layers of the coordinator that proposed the
	// view attached to it (EViewAnn); nil for a member's first view.
	ViewAnn Annotations
	Me      Endpoint
	Config  *Config
	Metrics *Metrics
	Log     *slog.Logger
	Group   string

	now      func() time.Time
	rand     func() uint64
	down, up func(*Event)
}

// EnvOptions build an Env outside a running Core: layer unit tests use it
// to drive one layer with scripted events (see package stack/layertest).
type EnvOptions struct {
	View    *View
	ViewMsg []byte
	ViewAnn Annotations
	Me      Endpoint
	Config  Config // zero fields take defaults
	Metrics *Metrics
	Log     *slog.Logger
	Group   string
	Now     func() time.Time // the time layers see
	Rand    func() uint64    // the layers' pseudo-random source
	Down    func(*Event)     // receives what the layer passes down
	Up      func(*Event)     // receives what the layer passes up
}

// NewEnv returns an Env whose neighbours are the functions in o.
func NewEnv(o EnvOptions) *Env {
	cfg := o.Config.Defaults()
	if o.Metrics == nil {
		o.Metrics = new(Metrics)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Env{
		View: o.View, ViewMsg: o.ViewMsg, ViewAnn: o.ViewAnn, Me: o.Me, Config: &cfg,
		Metrics: o.Metrics, Log: o.Log, Group: o.Group,
		now: o.Now, rand: o.Rand, down: o.Down, up: o.Up,
	}
}

// Now returns the stack's current time (the time of the event being handled).
func (e *Env) Now() time.Time { return e.now() }

// PassDown hands ev to the layer below (or to the network).
func (e *Env) PassDown(ev *Event) { e.down(ev) }

// PassUp hands ev to the layer above (or to the application).
func (e *Env) PassUp(ev *Event) { e.up(ev) }

// Rand returns a deterministic pseudo-random value from the stack's source
// (seeded by the simulator in tests).
func (e *Env) Rand() uint64 { return e.rand() }

// Fragmenter is implemented by a protocol that splits messages larger than
// a datagram. Without one, the stack refuses messages that would not fit in
// Config.MaxPacket.
type Fragmenter interface{ Fragments() bool }

// unfragmentedOverhead is what the layers and the envelope may add to a
// message that travels in a single datagram.
const unfragmentedOverhead = 160
