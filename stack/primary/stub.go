package primary

import (
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Options configure the Primary protocol.
type Options struct {
	Replicas int
	Zombie   bool
	Observer bool
}

// Protocol is the primary-views protocol.
type Protocol struct{ opts Options }

// New returns the protocol.
func New(o Options) *Protocol { return &Protocol{opts: o} }

// Name returns "Primary".
func (*Protocol) Name() string { return "Primary" }

// NewLayer returns the layer for a view.
func (p *Protocol) NewLayer(env *stack.Env) stack.Layer { return &layer{env: env} }

type layer struct{ env *stack.Env }

func (l *layer) Down(ev *stack.Event) { l.env.PassDown(ev) }
func (l *layer) Up(ev *stack.Event)   { l.env.PassUp(ev) }
func (l *layer) Tick(time.Time)       {}
