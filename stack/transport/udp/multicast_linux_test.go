package udp

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/stack"
)

// inNetns is set in the test binary re-run inside a network namespace.
const inNetns = "MAESTRO_UDP_TEST_NETNS"

// runInNetns runs the calling test again, alone, in a network namespace
// whose loopback carries IP multicast (the host's often does not), and
// fails if it fails there. It reports whether the caller is that run.
func runInNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(inNetns) != "" {
		return true
	}
	name := netlab.MulticastLoopback(t)
	cmd := exec.Command("ip", "netns", "exec", name, os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNetns+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "in the namespace:\n%s", out)
	require.Contains(t, string(out), "--- PASS: "+t.Name(), "in the namespace:\n%s", out)
	return false
}

// With the multicast data path, runs of casts go to the group offloaded:
// another member reads them (as runs, cut here) intact and in order, and
// the sender skips its own, looped back.
func TestOffloadedMulticastRuns(t *testing.T) {
	if !runInNetns(t) {
		return
	}
	group := fmt.Sprintf("239.192.%d.%d:%d", rand.IntN(250)+1, rand.IntN(250)+1, 20000+rand.IntN(20000))
	join := func() *Transport {
		tr, err := New(Config{Listen: "127.0.0.1:0", NoLocalDiscovery: true, Multicast: group, MulticastInterface: "lo", MulticastData: true})
		require.NoError(t, err)
		t.Cleanup(func() { tr.Close() })
		require.NotNil(t, tr.mcast, "joined the group")
		return tr
	}
	src, dst := join(), join()
	var fromSelf, got receiver
	src.Serve(fromSelf.recv)
	dst.Serve(got.recv)
	runs := 0
	src.writeBatch = func(ms []ipv4.Message) (int, error) {
		for _, m := range ms {
			require.Equal(t, src.mcastUDP, m.Addr, "a cast goes once, to the group")
			if len(m.Buffers) > 1 {
				runs++
			}
		}
		return src.wconn.WriteBatch(ms, 0)
	}
	want := numbered(200, 1200)
	for len(want) > 0 {
		var batch []stack.Datagram
		for _, d := range want[:min(100, len(want))] {
			batch = append(batch, stack.Datagram{To: []string{dst.LocalAddr(), src.LocalAddr()}, Data: d})
		}
		require.NoError(t, src.SendBatch(batch))
		want = want[len(batch):]
	}
	require.Equal(t, numbered(200, 1200), got.wait(t, 200))
	require.Positive(t, runs, "runs were offloaded")
	require.Positive(t, dst.runsRead.Load(), "the group's socket read runs whole (GRO)")
	// A cast from the other member reaches the sender's group socket
	// after its own looped-back ones: once the sender has it, it has read
	// (and skipped) all of those.
	require.NoError(t, dst.SendBatch([]stack.Datagram{{To: []string{dst.LocalAddr(), src.LocalAddr()}, Data: []byte("marker")}}))
	require.Equal(t, [][]byte{[]byte("marker")}, fromSelf.wait(t, 1), "the sender skips its own datagrams")
}
