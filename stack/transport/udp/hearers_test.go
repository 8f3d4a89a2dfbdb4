package udp

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A member counts as a hearer from its first answer until hearTTL passes
// without another; all needs every address.
func TestHearersCountAnswersUntilTheyStop(t *testing.T) {
	h := newHearers()
	t0 := time.Unix(1000, 0)
	b, c := "10.0.0.2:7400", "10.0.0.3:7400"
	require.True(t, h.all(nil))
	require.False(t, h.all([]string{b}))

	h.heard(b, t0)
	require.True(t, h.all([]string{b}))
	require.False(t, h.all([]string{b, c}), "c has not answered")

	h.heard(c, t0.Add(2*probeEvery))
	h.expire(t0.Add(hearTTL))
	require.True(t, h.all([]string{b, c}), "an answer is good for hearTTL")

	h.expire(t0.Add(hearTTL + time.Millisecond))
	require.False(t, h.all([]string{b}), "b went quiet for longer than hearTTL")
	require.True(t, h.all([]string{c}))

	h.heard(b, t0.Add(3*probeEvery))
	require.True(t, h.all([]string{b, c}), "b is back at its next answer")
}

// Probes and answers are the transport's own datagrams (never the
// stack's, which start 'M' 'S'), and an answer is never longer than the
// probe it answers.
func TestControlDatagrams(t *testing.T) {
	p := probe()
	require.True(t, isControl(p))
	require.Len(t, p, probeLen)
	require.False(t, isControl([]byte("MS\x01")), "a stack packet")
	require.False(t, isControl([]byte("MU")), "too short")

	a := answer("192.168.100.200:65535")
	require.True(t, isControl(a))
	require.Equal(t, byte(ctlHear), a[2])
	require.Equal(t, "192.168.100.200:65535", string(a[ctlHeaderLen:]))
	require.Nil(t, answer(""))
	require.Nil(t, answer(strings.Repeat("x", probeLen)), "longer than a probe: no answer")
	require.LessOrEqual(t, len(answer(strings.Repeat("1", probeLen-ctlHeaderLen))), probeLen)
}

// Whatever a control datagram holds, handling it neither panics nor makes
// a hearer of anything but an ip:port that came in an answer by unicast.
func FuzzControl(f *testing.F) {
	f.Add(probe(), true)
	f.Add(answer("127.0.0.1:9"), false)
	f.Add(answer("127.0.0.1:9"), true)
	f.Add([]byte("MU\x02not an address"), false)
	f.Add([]byte("MU\x07"), false)
	tr := listen(f)
	src := tr.local
	f.Fuzz(func(t *testing.T, b []byte, fromGroup bool) {
		if !isControl(b) {
			return
		}
		tr.hear = newHearers()
		tr.control(src, b, fromGroup)
		for addr := range *tr.hear.now.Load() {
			require.False(t, fromGroup)
			require.Equal(t, byte(ctlHear), b[2])
			require.Equal(t, string(b[ctlHeaderLen:]), addr)
			_, err := netip.ParseAddrPort(addr)
			require.NoError(t, err)
		}
	})
}
