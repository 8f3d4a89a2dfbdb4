package main

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/internal/proctest"
)

// TestChatsFindEachOtherByIPMulticast runs two chats on ephemeral ports
// outside any shared port range, so the only way they can meet is the
// multicast group. (Two members' casts have one destination: unicast.
// maestro/groupmember and stack/transport/udp test the multicast data path.)
func TestChatsFindEachOtherByIPMulticast(t *testing.T) {
	ns := netlab.MulticastLoopback(t)
	bin := proctest.Build(t, "./examples/chat")
	group := fmt.Sprintf("239.192.%d.%d:7446", rand.IntN(250)+1, rand.IntN(250)+1)
	args := []string{"netns", "exec", ns, bin, "-group", "mc", "-listen", "127.0.0.1:0", "-portbase", "1024", "-multicast", group, "-suspect", "1s"}
	a := proctest.Start(t, "a", "ip", append(args, "-name", "a")...)
	b := proctest.Start(t, "b", "ip", append(args, "-name", "b")...)
	waitViews(t, []*proctest.Proc{a, b}, 2)
	require.NoError(t, a.Send("over multicast"))
	require.NoError(t, b.Send("and back"))
	for _, p := range []*proctest.Proc{a, b} {
		require.NoError(t, p.WaitFor(10*time.Second, "both lines", func(l []string) bool {
			return contains(l, "a: over multicast") && contains(l, "b: and back")
		}))
	}
}
