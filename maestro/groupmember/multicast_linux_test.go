package groupmember

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/stack/auth"
)

// With a multicast group configured, the casts of members that all hear it
// go once to the group. A member that joins without the group answers no
// probe, so from then on datagrams go to each member again, and it
// delivers every cast of its views in the one order all the same.
func TestCastsTakeTheMulticastGroupWhileEveryMemberHearsIt(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	opts := onLoopbackMulticast(testOptions(t))
	ms, rs := join(t, opts, 3)
	waitView(t, ms, 3)
	groupSends := func() uint64 { return groupSendsOf(ms) }

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

// Casts around a datagram's size, reassembled in place or not, arrive
// whole by the multicast data path too, where every member reads the one
// datagram the sender sent to the group.
func TestCastsAroundADatagramsSizeArriveWholeByMulticast(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	ms := castsAroundADatagramsSize(t, onLoopbackMulticast(testOptions(t)))
	require.Positive(t, groupSendsOf(ms), "casts went to the multicast group")
}

// onLoopbackMulticast returns opts with a multicast group of its own on lo.
func onLoopbackMulticast(opts Options) Options {
	opts.Multicast = fmt.Sprintf("239.192.%d.%d:%d", rand.IntN(250)+1, rand.IntN(250)+1, 20000+rand.IntN(20000))
	opts.MulticastInterface = "lo"
	return opts
}

// groupSendsOf sums the datagrams ms sent once to the multicast group.
func groupSendsOf(ms []*Member) (n uint64) {
	for _, m := range ms {
		n += m.Metrics().GroupSends
	}
	return n
}

// texts names the casts of castFromEach after tag, member and number.
func texts(tag string) func(i, k int) string {
	return func(i, k int) string { return fmt.Sprintf("%s-m%d-%03d", tag, i, k) }
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

// With Auth the multicast data path works as without it — the transport's
// probes and answers are sealed with the group key — and goes on working
// through a key roll: once every member seals with the new key, and the
// hearers counted before have expired, casts still go to the group.
func TestKeyedMembersMulticastThroughAKeyRoll(t *testing.T) {
	if !netlab.InMulticastLoopback(t) {
		return
	}
	opts, old := keyedOptions(t)
	opts = onLoopbackMulticast(opts)
	ms, rs := join(t, opts, 3)
	waitView(t, ms, 3)
	groupSends := func() uint64 { return groupSendsOf(ms) }
	castFromEach(t, ms, 50, texts("before"))
	waitForCasts(t, rs, 150, 30*time.Second)
	require.Positive(t, groupSends(), "casts went to the multicast group")

	next, err := auth.GenerateKey()
	require.NoError(t, err)
	for _, step := range []auth.Keys{{Seal: old, Accept: []auth.Key{next}}, {Seal: next, Accept: []auth.Key{old}}, {Seal: next}} {
		for _, m := range ms {
			require.NoError(t, m.SetKeys(step))
		}
	}
	time.Sleep(5 * time.Second) // past hearTTL (3.5 s): only answers under the new key count
	before := groupSends()
	castFromEach(t, ms, 50, texts("after"))
	waitForCasts(t, rs, 300, 30*time.Second)
	require.Greater(t, groupSends(), before, "casts still go to the group after the roll")
	require.Len(t, sameCasts(t, rs), 300)
}
