package udp

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
)

// Every way the transport sends — batches of more than one system call,
// single datagrams, the same datagram to several members — reaches every
// address it names, from the sender's own address, whether the sockets
// wait in the poller or (Linux) in blocking system calls; and a closed
// transport's sends fail with net.ErrClosed.
func TestSocketsCarryEveryKindOfSend(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		t.Run(fmt.Sprintf("blocking=%v", blocking), func(t *testing.T) {
			cfg := Config{BlockingReads: blocking}
			src, a, b := listenWith(t, cfg), listenWith(t, cfg), listenWith(t, cfg)
			var ra, rb receiver
			a.Serve(ra.recv)
			b.Serve(rb.recv)
			src.Serve(func([]stack.Packet) {})
			var ds []stack.Datagram
			for i := range maxBatch + 2 {
				ds = append(ds, stack.Datagram{To: []string{a.LocalAddr(), b.LocalAddr()}, Data: fmt.Appendf(nil, "m%02d", i)})
			}
			require.NoError(t, src.SendBatch(ds))
			require.NoError(t, src.SendTo(a.LocalAddr(), []byte("to-a")))
			require.NoError(t, src.Multicast([]string{a.LocalAddr(), b.LocalAddr()}, []byte("to-both")))

			gotA, gotB := sorted(ra.wait(t, maxBatch+4)), sorted(rb.wait(t, maxBatch+3))
			require.Len(t, gotA, maxBatch+4)
			require.Len(t, gotB, maxBatch+3)
			require.Equal(t, []string{"m00", "m65", "to-a", "to-both"}, []string{gotA[0], gotA[maxBatch+1], gotA[maxBatch+2], gotA[maxBatch+3]})
			require.Equal(t, "to-both", gotB[maxBatch+2])
			require.Equal(t, []string{src.LocalAddr()}, ra.senders(), "every datagram names its sender")
			require.Equal(t, []string{src.LocalAddr()}, rb.senders())

			require.NoError(t, src.Close())
			require.True(t, errors.Is(src.SendTo(a.LocalAddr(), []byte("late")), net.ErrClosed), "a send after Close")
			require.Error(t, src.SendBatch(ds[:1]), "a batch after Close")
		})
	}
}
