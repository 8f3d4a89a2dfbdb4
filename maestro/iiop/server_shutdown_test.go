package iiop

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Clients that never close their end after CloseConnection hold Shutdown
// up for one short linger, shared by every connection — not until its
// context ends, which used to happen from the second such connection on:
// with a context that never ends, Shutdown never returned.
func TestShutdownLingersOnceForAllConnections(t *testing.T) {
	forEachReadMode(t, func(t *testing.T, mode ReadMode) {
		s, _ := startServer(t, mode, ServerOptions{})
		for range 3 {
			nc, err := net.Dial("tcp", s.Addr().String())
			require.NoError(t, err)
			t.Cleanup(func() { nc.Close() })
		}
		require.Eventually(t, func() bool { return s.Stats().Open == 3 }, 10*time.Second, 5*time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- s.Shutdown(context.Background()) }()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(time.Minute): // a liveness bound, not a measure
			t.Fatal("Shutdown waited for its context, which never ends")
		}
	})
}
