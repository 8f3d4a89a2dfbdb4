package udp

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
// stack's, which start 'M' 'S'); an answer echoes its probe's nonce and is
// never longer than the probe.
func TestControlDatagrams(t *testing.T) {
	p := probe(0x0102030405060708)
	require.True(t, isControl(p))
	require.Len(t, p, probeLen)
	require.Equal(t, byte(ctlProbe), p[2])
	require.Equal(t, uint64(0x0102030405060708), nonceOf(p))
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

// Whatever a control datagram holds, handling it neither panics nor makes
// a hearer of anything but the address an answer came from, naming itself,
// by unicast, to our last probe.
func FuzzControl(f *testing.F) {
	const nonce = 0x1122334455667788
	tr := listen(f)
	src := tr.local
	f.Add(probe(nonce), true)
	f.Add(answer(probe(nonce), src.String()), false)
	f.Add(answer(probe(nonce), src.String()), true)
	f.Add(answer(probe(nonce), "10.9.8.7:6"), false)
	f.Add(answer(probe(nonce+1), src.String()), false)
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
