// Package token is the rotating-token total order (§4.3.3, §4.5). It is
// being written; until then the protocol passes events through unchanged.
package token

import (
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Protocol is the rotating-token total order.
type Protocol struct{}

// Name returns "Token".
func (Protocol) Name() string { return "Token" }

// NewLayer returns the layer for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer { return &layer{env: env} }

type layer struct{ env *stack.Env }

func (l *layer) Down(ev *stack.Event) { l.env.PassDown(ev) }
func (l *layer) Up(ev *stack.Event)   { l.env.PassUp(ev) }
func (l *layer) Tick(time.Time)       {}
