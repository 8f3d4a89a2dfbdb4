package groupmember

import (
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
)

// TestGarbageOverUDP sends random and truncated datagrams to a live
// member's socket: they are dropped and counted and the group still works.
func TestGarbageOverUDP(t *testing.T) {
	ms, rs := join(t, testOptions(t), 2)
	waitView(t, ms, 2)
	conn, err := net.Dial("udp", string(ms[0].ID()[:indexSlash(ms[0].ID())]))
	require.NoError(t, err)
	defer conn.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		b := make([]byte, r.IntN(1500))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if i%2 == 0 && len(b) >= 8 {
			copy(b, "MS\x01\x01") // our magic, version and kind: reaches the decoders
		}
		_, _ = conn.Write(b)
	}
	require.Eventually(t, func() bool { return ms[0].Metrics().TotalDrops() >= 2000 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, ms[1].Cast(message.New().PutString("still here")))
	require.Eventually(t, func() bool { return rs[0].castCount() == 1 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 2, len(ms[0].View().Members))
}

func indexSlash(id EndpID) int {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return i
		}
	}
	return len(id)
}
