package stack_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

// smallBuffer is a UDP transport that reports a receive buffer of its own.
type smallBuffer struct {
	*udp.Transport
	size int
}

func (s smallBuffer) ReceiveBuffer() int { return s.size }

// A sender's bytes in flight stay within the transport's receive buffer
// when the configuration leaves FlowBytes unset, and never exceed the
// default; a FlowBytes given is kept.
func TestFlowBytesFitTheReceiveBuffer(t *testing.T) {
	for _, c := range []struct {
		buffer, configured, want int
	}{
		{buffer: 212_992, want: 212_992},
		{buffer: 64 << 20, want: stack.DefaultFlowBytes},
		{buffer: 0, want: stack.DefaultFlowBytes},
		{buffer: 212_992, configured: 1 << 20, want: 1 << 20},
	} {
		opts := stack.Options{Config: stack.Config{FlowBytes: c.configured}}
		started := startWith(t, opts, func(tr *udp.Transport) stack.Transport { return smallBuffer{tr, c.buffer} })
		require.Equal(t, c.want, started.Config().FlowBytes, "buffer %d, configured %d", c.buffer, c.configured)
	}
}
