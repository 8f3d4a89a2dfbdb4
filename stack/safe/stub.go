package safe

import (
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Protocol is the globally-safe delivery protocol.
type Protocol struct{}

// Name returns "Safe".
func (*Protocol) Name() string { return "Safe" }

// NewLayer returns the layer for a view.
func (p *Protocol) NewLayer(env *stack.Env) stack.Layer { return &layer{env: env} }

type layer struct{ env *stack.Env }

func (l *layer) Down(ev *stack.Event) { l.env.PassDown(ev) }
func (l *layer) Up(ev *stack.Event)   { l.env.PassUp(ev) }
func (l *layer) Tick(time.Time)       {}
