package udp

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
)

// multicastGroup is a random group address for one test.
func multicastGroup() string {
	return fmt.Sprintf("239.192.%d.%d:%d", rand.IntN(250)+1, rand.IntN(250)+1, 20000+rand.IntN(20000))
}

// joinGroup binds a transport on loopback in group (none if empty).
func joinGroup(t *testing.T, group string, noMulticastData bool) *Transport {
	t.Helper()
	tr, err := New(Config{Listen: "127.0.0.1:0", NoLocalDiscovery: true, Multicast: group, MulticastInterface: "lo", NoMulticastData: noMulticastData})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	require.Equal(t, group != "", tr.msock != nil, "joined the group")
	return tr
}

// serve starts tr delivering to a receiver of its own, and returns it.
func serve(tr *Transport) *receiver {
	r := &receiver{}
	tr.Serve(r.recv)
	return r
}

// waitHearers waits (10 s at most) until every one of others has answered
// tr's probes.
func waitHearers(t *testing.T, tr *Transport, others ...*Transport) {
	t.Helper()
	var addrs []string
	for _, o := range others {
		addrs = append(addrs, o.LocalAddr())
	}
	for deadline := time.Now().Add(10 * time.Second); !tr.byGroup(addrs); time.Sleep(5 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "%s hears from none of %v", tr.LocalAddr(), addrs)
	}
}

// sentTo records the destinations of a transport's sends (one entry per
// message handed to sendmmsg) and lets them go.
func sentTo(tr *Transport) *[]string {
	var to []string
	tr.writeBatch = func(ms []ipv4.Message) (int, error) {
		for _, m := range ms {
			to = append(to, m.Addr.String())
		}
		return tr.sock.writeBatch(ms)
	}
	return &to
}

// A datagram for several members goes once to the multicast group when all
// of them answer the sender's probes, and one by one as soon as one of them
// does not (a member outside the group); a member told not to use the
// group never does, though it hears the others' multicast.
func TestMulticastDataGoesByGroupOnlyToHearers(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	group := multicastGroup()
	a, b, c := joinGroup(t, group, false), joinGroup(t, group, false), joinGroup(t, group, false)
	uni := joinGroup(t, group, true)
	outside := joinGroup(t, "", false)
	fromA, atB, atC, atUni, atOutside := serve(a), serve(b), serve(c), serve(uni), serve(outside)
	waitHearers(t, a, b, c, uni)
	require.False(t, a.byGroup([]string{b.LocalAddr(), outside.LocalAddr()}), "a member outside the group never answers")
	require.False(t, a.byGroup([]string{b.LocalAddr(), a.LocalAddr()}), "we are not our own hearer")
	require.False(t, a.byGroup([]string{b.LocalAddr()}), "one member: unicast")

	sent := sentTo(a)
	require.NoError(t, a.SendBatch([]stack.Datagram{{To: []string{b.LocalAddr(), c.LocalAddr(), uni.LocalAddr()}, Data: []byte("by the group")}}))
	require.Equal(t, []string{a.mcastUDP.String()}, *sent)
	for _, r := range []*receiver{atB, atC, atUni} {
		require.Equal(t, [][]byte{[]byte("by the group")}, r.wait(t, 1))
	}

	*sent = nil
	to := []string{b.LocalAddr(), c.LocalAddr(), outside.LocalAddr()}
	require.NoError(t, a.SendBatch([]stack.Datagram{{To: to, Data: []byte("one by one")}}))
	require.ElementsMatch(t, to, *sent)
	require.Equal(t, [][]byte{[]byte("one by one")}, atOutside.wait(t, 1))
	for _, r := range []*receiver{atB, atC} {
		require.Equal(t, []string{"by the group", "one by one"}, sorted(r.wait(t, 2)))
	}
	// Multicast (the datagram-at-a-time path) chooses the same way.
	require.NoError(t, a.Multicast([]string{b.LocalAddr(), c.LocalAddr()}, []byte("single")))
	require.Equal(t, []string{"by the group", "one by one", "single"}, sorted(atB.wait(t, 3)))

	// uni hears the group (it answered a's probes) but sends one by one.
	require.Nil(t, uni.hear)
	uniSent := sentTo(uni)
	require.NoError(t, uni.SendBatch([]stack.Datagram{{To: []string{b.LocalAddr(), c.LocalAddr()}, Data: []byte("from uni")}}))
	require.ElementsMatch(t, []string{b.LocalAddr(), c.LocalAddr()}, *uniSent)
	require.Equal(t, []string{"by the group", "from uni", "one by one", "single"}, sorted(atC.wait(t, 4)))
	require.Empty(t, fromA.wait(t, 0), "no probe or answer reaches the stack")
}

// With the multicast data path, runs of casts go to the group offloaded:
// another member reads them (as runs, cut here) intact and in order, and
// the sender skips its own, looped back.
func TestOffloadedMulticastRuns(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	group := multicastGroup()
	src, dst, third := joinGroup(t, group, false), joinGroup(t, group, false), joinGroup(t, group, false)
	fromSelf, got := serve(src), serve(dst)
	serve(third)
	waitHearers(t, src, dst, third)
	waitHearers(t, dst, src, third)
	runs := 0
	src.writeBatch = func(ms []ipv4.Message) (int, error) {
		for _, m := range ms {
			require.Equal(t, src.mcastUDP, m.Addr, "a cast goes once, to the group")
			if len(m.Buffers) > 1 {
				runs++
			}
		}
		return src.sock.writeBatch(ms)
	}
	want := numbered(200, 1200)
	for len(want) > 0 {
		var batch []stack.Datagram
		for _, d := range want[:min(100, len(want))] {
			batch = append(batch, stack.Datagram{To: []string{dst.LocalAddr(), third.LocalAddr()}, Data: d})
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
	require.NoError(t, dst.SendBatch([]stack.Datagram{{To: []string{src.LocalAddr(), third.LocalAddr()}, Data: []byte("marker")}}))
	require.Equal(t, [][]byte{[]byte("marker")}, fromSelf.wait(t, 1), "the sender skips its own datagrams")
}

// A member that stops hearing the group (here it leaves it) stops
// answering probes, and within hearTTL datagrams for it go one by one
// again: it misses the group's datagrams of that while at most, which the
// stack's retransmissions recover.
func TestAMemberThatStopsHearingGetsUnicastAgain(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	group := multicastGroup()
	a, b, c := joinGroup(t, group, false), joinGroup(t, group, false), joinGroup(t, group, false)
	serve(a)
	atB := serve(b)
	serve(c)
	waitHearers(t, a, b, c)
	lo, err := net.InterfaceByName("lo")
	require.NoError(t, err)
	var leaveErr error
	require.NoError(t, b.msock.control(func(fd uintptr) {
		leaveErr = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_DROP_MEMBERSHIP,
			&unix.IPMreqn{Multiaddr: b.mcastAddr.Addr().As4(), Ifindex: int32(lo.Index)})
	}))
	require.NoError(t, leaveErr, "b leaves the group")
	to := []string{b.LocalAddr(), c.LocalAddr()}
	for deadline := time.Now().Add(3 * hearTTL); a.byGroup(to); time.Sleep(10 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "b is still counted as a hearer")
	}
	require.True(t, a.byGroup([]string{c.LocalAddr(), c.LocalAddr()}), "c still answers")
	require.NoError(t, a.SendBatch([]stack.Datagram{{To: to, Data: []byte("to b and c")}}))
	require.Equal(t, [][]byte{[]byte("to b and c")}, atB.wait(t, 1))
}

// With Auth, probes and answers are sealed with the group key: members
// holding it hear each other, and a member with another key, or with
// none, is never counted a hearer (nor counts one), so nobody outside
// the group steers where its datagrams go.
func TestGuardedMembersHearOnlyKeyHolders(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	group := multicastGroup()
	a, b, c := joinGroup(t, group, false), joinGroup(t, group, false), joinGroup(t, group, false)
	other, plain := joinGroup(t, group, false), joinGroup(t, group, false)
	for _, tr := range []*Transport{a, b, c} {
		guarded(t, tr, testKey)
	}
	guarded(t, other, auth.Key{9})
	for _, tr := range []*Transport{a, b, c, other, plain} {
		serve(tr)
	}
	waitHearers(t, a, b, c)
	time.Sleep(2 * probeEvery) // two more probes of everybody's to answer

	require.True(t, a.byGroup([]string{b.LocalAddr(), c.LocalAddr()}))
	require.False(t, a.byGroup([]string{b.LocalAddr(), other.LocalAddr()}), "another key's member counts")
	require.False(t, a.byGroup([]string{b.LocalAddr(), plain.LocalAddr()}), "a member without a key counts")
	require.False(t, other.byGroup([]string{a.LocalAddr(), b.LocalAddr()}), "a member with another key counts the group")
	require.False(t, plain.byGroup([]string{a.LocalAddr(), b.LocalAddr()}), "a member without a key counts the group")
}
