package udp

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
)

// A member counts as a hearer from its first answer to one of the last two
// probes until hearTTL passes without another; all needs every address.
func TestHearersCountAnswersUntilTheyStop(t *testing.T) {
	h := newHearers()
	t0 := time.Unix(1000, 0)
	b, c := "10.0.0.2:7400", "10.0.0.3:7400"
	require.True(t, h.all(nil))
	require.False(t, h.all([]string{b}))

	h.heard(b, 7, t0)
	require.False(t, h.all([]string{b}), "an answer to no probe of ours")
	h.probed(7)
	h.heard(b, 0, t0)
	require.False(t, h.all([]string{b}), "nonce 0 is never a probe's")
	h.heard(b, 7, t0)
	require.True(t, h.all([]string{b}))
	require.False(t, h.all([]string{b, c}), "c has not answered")

	h.probed(8)
	h.heard(c, 7, t0.Add(2*probeEvery))
	require.True(t, h.all([]string{b, c}), "an answer to the probe before the last counts")
	h.expire(t0.Add(hearTTL))
	require.True(t, h.all([]string{b, c}), "an answer is good for hearTTL")

	h.expire(t0.Add(hearTTL + time.Millisecond))
	require.False(t, h.all([]string{b}), "b went quiet for longer than hearTTL")
	require.True(t, h.all([]string{c}))

	h.probed(9)
	h.heard(b, 7, t0.Add(3*probeEvery))
	require.False(t, h.all([]string{b}), "7 is two probes old")
	h.heard(b, 9, t0.Add(3*probeEvery))
	require.True(t, h.all([]string{b, c}), "b is back at its next answer")
}

// Probes and answers are the transport's own datagrams (never the
// stack's, which start 'M' 'S'); a probe names its prober; an answer
// echoes its probe's nonce and is never longer than the probe.
func TestControlDatagrams(t *testing.T) {
	p := probe(0x0102030405060708, "10.0.0.1:7400")
	require.True(t, isControl(p))
	require.Len(t, p, probeLen)
	require.Equal(t, byte(ctlProbe), p[2])
	require.Equal(t, uint64(0x0102030405060708), nonceOf(p))
	require.Equal(t, "10.0.0.1:7400", proberOf(p))
	require.Nil(t, probe(1, strings.Repeat("x", probeLen-ctlHeaderLen)), "an address too long to name")
	require.Len(t, probe(1, strings.Repeat("x", probeLen-ctlHeaderLen-1)), probeLen)
	require.Equal(t, "", proberOf(p[:ctlHeaderLen]), "no address")
	require.Equal(t, "", proberOf(p[:ctlHeaderLen+5]), "cut short")
	require.False(t, isControl([]byte("MS\x01")), "a stack packet")
	require.False(t, isControl([]byte("MU\x01")), "too short")

	a := answer(p, "192.168.100.200:65535")
	require.True(t, isControl(a))
	require.Equal(t, byte(ctlHear), a[2])
	require.Equal(t, nonceOf(p), nonceOf(a))
	require.Equal(t, "192.168.100.200:65535", string(a[ctlHeaderLen:]))
	require.Nil(t, answer(p, ""))
	require.Nil(t, answer(p, strings.Repeat("x", probeLen)), "longer than a probe: no answer")
	require.Nil(t, answer(p[:ctlHeaderLen-1], "10.0.0.1:1"), "no nonce to echo")
	require.Len(t, answer(p, strings.Repeat("1", probeLen-ctlHeaderLen)), probeLen)
}

// answersTo returns a socket standing for a prober, and what the
// transport under test sends it, read for up to wait.
func answersTo(t *testing.T) (netip.AddrPort, func(wait time.Duration) [][]byte) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	read := func(wait time.Duration) [][]byte {
		var got [][]byte
		buf := make([]byte, 2048)
		for {
			_ = c.SetReadDeadline(time.Now().Add(wait))
			n, err := c.Read(buf)
			if err != nil {
				return got
			}
			got = append(got, append([]byte(nil), buf[:n]...))
		}
	}
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), read
}

// A probe is answered, to its source, only when it came by the group.
func TestProbesAreAnsweredFromTheGroup(t *testing.T) {
	tr := listen(t)
	prober, read := answersTo(t)
	tr.control(prober, probe(7, prober.String()), true)
	got := read(time.Second)
	require.Len(t, got, 1)
	require.Equal(t, answer(probe(7, prober.String()), tr.LocalAddr()), got[0])

	tr.control(prober, probe(8, prober.String()), false)
	require.Empty(t, read(200*time.Millisecond), "a probe by unicast")
}

// testKey is the group key of the sealed-control tests.
var testKey = auth.Key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}

// guarded returns tr guarded by an Auth guard of key, as the stack would
// hand it over.
func guarded(t *testing.T, tr *Transport, key auth.Key) *auth.Guard {
	t.Helper()
	g, err := auth.New(auth.Options{Me: stack.Endpoint{Addr: tr.LocalAddr(), Inc: 1}, Keys: auth.Keys{Seal: key}})
	require.NoError(t, err)
	tr.GuardControl(g)
	return g
}

// With a guard, a transport answers only probes sealed with the group
// key, seals its answers, and counts only sealed answers: nobody without
// the key makes it answer or makes it a hearer of anyone.
func TestGuardedControlNeedsTheKey(t *testing.T) {
	tr := listen(t)
	guarded(t, tr, testKey)
	prober, read := answersTo(t)
	member, err := auth.New(auth.Options{Me: stack.Endpoint{Addr: prober.String(), Inc: 2}, Keys: auth.Keys{Seal: testKey}})
	require.NoError(t, err)
	stranger, err := auth.New(auth.Options{Me: stack.Endpoint{Addr: prober.String(), Inc: 3}, Keys: auth.Keys{Seal: auth.Key{9}}})
	require.NoError(t, err)

	tr.control(prober, probe(7, prober.String()), true)
	tr.control(prober, stranger.SealControl(probe(8, prober.String())), true)
	require.Empty(t, read(200*time.Millisecond), "an unsealed probe, or one sealed with another key")
	tr.control(prober, member.SealControl(probe(9, prober.String())), true)
	got := read(time.Second)
	require.Len(t, got, 1)
	inner, ok := member.OpenControl(got[0])
	require.True(t, ok, "the answer is sealed")
	require.Equal(t, answer(probe(9, prober.String()), tr.LocalAddr()), inner)
	// A sealed probe replayed from another source (asking for answers
	// there), or naming no prober, gets none.
	tr.control(prober, member.SealControl(probe(10, "127.0.0.1:1")), true)
	tr.control(prober, member.SealControl(probe(11, "")), true)
	require.Empty(t, read(200*time.Millisecond), "a probe from another address than it names")

	tr.hear = newHearers()
	tr.hear.probed(11)
	heard := answer(probe(11, tr.LocalAddr()), prober.String())
	tr.control(prober, heard, false)
	tr.control(prober, stranger.SealControl(append([]byte(nil), heard...)), false)
	require.False(t, tr.hear.all([]string{prober.String()}), "an unsealed answer, or one sealed with another key")
	tr.control(prober, member.SealControl(append([]byte(nil), heard...)), false)
	require.True(t, tr.hear.all([]string{prober.String()}))
}

// Whatever a control datagram holds, handling it neither panics nor makes
// a hearer of anything but the address an answer came from, naming itself,
// by unicast, to our last probe.
func FuzzControl(f *testing.F) {
	const nonce = 0x1122334455667788
	tr := listen(f)
	src := tr.local
	f.Add(probe(nonce, src.String()), true)
	f.Add(answer(probe(nonce, "10.9.8.7:6"), src.String()), false)
	f.Add(answer(probe(nonce, "10.9.8.7:6"), src.String()), true)
	f.Add(answer(probe(nonce, "10.9.8.7:6"), "10.9.8.7:6"), false)
	f.Add(answer(probe(nonce+1, "10.9.8.7:6"), src.String()), false)
	f.Add([]byte("MU\x02\x11\x22\x33\x44\x55\x66\x77\x88not an address"), false)
	f.Add([]byte("MU\x07"), false)
	f.Fuzz(func(t *testing.T, b []byte, fromGroup bool) {
		if !isControl(b) {
			return
		}
		tr.hear = newHearers()
		tr.hear.probed(nonce)
		tr.control(src, b, fromGroup)
		for addr := range *tr.hear.now.Load() {
			require.False(t, fromGroup)
			require.Equal(t, byte(ctlHear), b[2])
			require.Equal(t, uint64(nonce), nonceOf(b))
			require.Equal(t, src.String(), addr, "only the sender's own address")
		}
	})
}
