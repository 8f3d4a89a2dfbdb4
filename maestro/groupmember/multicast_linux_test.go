package groupmember

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/netlab"
)

// With a multicast group configured, the casts of members that all hear it
// go once to the group. A member that joins without the group answers no
// probe, so from then on datagrams go to each member again, and it
// delivers every cast of its views in the one order all the same.
func TestCastsTakeTheMulticastGroupWhileEveryMemberHearsIt(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	opts := testOptions(t)
	opts.Multicast = fmt.Sprintf("239.192.%d.%d:%d", rand.IntN(250)+1, rand.IntN(250)+1, 20000+rand.IntN(20000))
	opts.MulticastInterface = "lo"
	ms, rs := join(t, opts, 3)
	waitView(t, ms, 3)
	groupSends := func() (n uint64) {
		for _, m := range ms {
			n += m.Metrics().GroupSends
		}
		return n
	}
	texts := func(tag string) func(i, k int) string {
		return func(i, k int) string { return fmt.Sprintf("%s-m%d-%03d", tag, i, k) }
	}

	castFromEach(t, ms, 100, texts("grouped"))
	waitForCasts(t, rs, 300, 30*time.Second)
	require.Len(t, sameCasts(t, rs), 300)
	require.Positive(t, groupSends(), "casts went to the multicast group")

	unicastOnly := opts
	unicastOnly.Multicast = ""
	newcomer, rn := join(t, unicastOnly, 1)
	all, ras := append(ms, newcomer...), append(rs, rn...)
	waitView(t, all, 4)
	castFromEach(t, all, 100, texts("mixed"))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var counts []int
		done := true
		for _, r := range ras {
			n := len(tagged(r.castList(), "mixed"))
			counts, done = append(counts, n), done && n >= 400
		}
		if done {
			break
		}
		require.True(t, time.Now().Before(deadline), "every member, the newcomer included, delivers every cast: they have %v", counts)
	}
	want := tagged(rn[0].castList(), "mixed")
	for _, r := range rs {
		require.Equal(t, want, tagged(r.castList(), "mixed"), "one order")
	}
}

// tagged returns the casts ("sender:text") whose text starts with tag.
func tagged(casts []string, tag string) []string {
	var out []string
	for _, c := range casts {
		if text := c[strings.LastIndex(c, ":")+1:]; strings.HasPrefix(text, tag+"-") {
			out = append(out, c)
		}
	}
	return out
}
