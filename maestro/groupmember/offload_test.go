package groupmember

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// With datagrams of a network's size (1400 bytes), streams of kilobyte
// casts leave in runs the kernel segments (GSO) and arrive in runs cut
// back into datagrams (GRO): every member still delivers every cast, in
// one total order that keeps each sender's, with offload and without.
func TestStreamsInNetworkSizedDatagramsKeepTheirOrder(t *testing.T) {
	for _, offload := range []bool{true, false} {
		t.Run(fmt.Sprintf("offload=%v", offload), func(t *testing.T) {
			opts := testOptions(t)
			opts.MaxPacket, opts.NoOffload = 1400, !offload
			ms, rs := join(t, opts, 3)
			waitView(t, ms, 3)
			const per = 1500
			pad := strings.Repeat("x", 1000)
			castFromEach(t, ms, per, func(i, k int) string { return fmt.Sprintf("m%d-%05d-%s", i, k, pad) })
			waitForCasts(t, rs, 3*per, 60*time.Second)
			first := sameCasts(t, rs)
			require.Len(t, first, 3*per)
			next := map[string]int{}
			for _, c := range first {
				body := c[strings.Index(c, ":m")+1:]
				parts := strings.SplitN(body, "-", 3)
				require.Len(t, parts, 3)
				sender := parts[0]
				require.Equal(t, fmt.Sprintf("%05d", next[sender]), parts[1], "%s's casts out of order", sender)
				require.Equal(t, pad, parts[2], "a cast arrived cut or damaged")
				next[sender]++
			}
		})
	}
}

// Casts just over one loopback datagram (60,000 bytes) are reassembled in
// the room behind their first fragment's datagram, larger ones partly
// there and partly by copying, and smaller ones not at all: over real
// sockets, every member delivers every cast whole and unchanged, in one
// total order, whoever cast it and whatever its size.
func TestCastsAroundADatagramsSizeArriveWhole(t *testing.T) {
	castsAroundADatagramsSize(t, testOptions(t))
}

// castsAroundADatagramsSize has a group of three, with opts, cast messages
// from just under one datagram to several, and checks that each arrives
// whole, in one order; it returns the members.
func castsAroundADatagramsSize(t *testing.T, opts Options) []*Member {
	t.Helper()
	ms, rs := join(t, opts, 3)
	waitView(t, ms, 3)
	sizes := []int{59000, 60500, 64 << 10, 72 << 10, 80 << 10, 200 << 10}
	const rounds = 5
	body := func(i, k int) string {
		size := sizes[k%len(sizes)]
		head := fmt.Sprintf("m%d-%03d-", i, k)
		var b strings.Builder
		b.WriteString(head)
		for b.Len() < size {
			b.WriteByte(byte('a' + (i*7+k*13+b.Len())%26))
		}
		return b.String()
	}
	per := rounds * len(sizes)
	castFromEach(t, ms, per, body)
	waitForCasts(t, rs, 3*per, 60*time.Second)
	first := sameCasts(t, rs)
	require.Len(t, first, 3*per)
	for _, c := range first {
		got := c[strings.Index(c, ":m")+1:]
		var i, k int
		_, err := fmt.Sscanf(got, "m%d-%03d-", &i, &k)
		require.NoError(t, err)
		require.True(t, got == body(i, k), "cast %d of member %d (%d bytes) arrived damaged", k, i, len(got))
	}
	return ms
}
