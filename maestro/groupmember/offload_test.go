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
