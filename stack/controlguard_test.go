package stack_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

// watchedControl is a UDP transport that records what the stack hands it
// for its own datagrams, and whether that came before Serve.
type watchedControl struct {
	*udp.Transport
	guard       stack.ControlGuard
	served      bool
	beforeServe bool
}

func (w *watchedControl) GuardControl(g stack.ControlGuard) {
	w.guard, w.beforeServe = g, !w.served
	w.Transport.GuardControl(g)
}

func (w *watchedControl) Serve(recv func([]stack.Packet)) {
	w.served = true
	w.Transport.Serve(recv)
}

// A stack with a Guard that can seal a transport's own datagrams hands it
// to a transport that has some, before the transport serves; without a
// Guard it hands over nothing.
func TestStackGuardsTheTransportsControlDatagrams(t *testing.T) {
	var key auth.Key
	key[0] = 1
	var made *auth.Guard
	keyed := stack.Options{NewGuard: func(me stack.Endpoint) (stack.Guard, error) {
		g, err := auth.New(auth.Options{Me: me, Keys: auth.Keys{Seal: key}})
		made = g
		return g, err
	}}
	w := &watchedControl{}
	startWith(t, keyed, func(tr *udp.Transport) stack.Transport { w.Transport = tr; return w })
	require.NotNil(t, made)
	require.Same(t, made, w.guard, "the member's own guard, which follows its key ring")
	require.True(t, w.beforeServe)

	plain := &watchedControl{}
	startWith(t, stack.Options{}, func(tr *udp.Transport) stack.Transport { plain.Transport = tr; return plain })
	require.Nil(t, plain.guard)
}
