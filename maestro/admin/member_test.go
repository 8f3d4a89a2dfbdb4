package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/admin"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

// testOptions returns options for a group of its own on a port range of
// its own, with short timings and an admin endpoint on a free loopback
// port.
func testOptions(t *testing.T) groupmember.Options {
	base := 30000 + rand.IntN(1500)*16
	return groupmember.Options{
		Group:     fmt.Sprintf("%s-%d", t.Name(), base),
		PortBase:  base,
		PortCount: 8,
		AdminAddr: "127.0.0.1:0",
		Stack: stack.Config{
			Heartbeat: 50 * time.Millisecond, SuspectTimeout: 600 * time.Millisecond,
			Gossip: 100 * time.Millisecond, FlushTimeout: time.Second,
		},
	}
}

// lossy is a UDP transport that, while on, drops every third cast's
// datagram to the last of its destinations, so that retransmissions
// happen.
type lossy struct {
	stack.Transport
	on    *atomic.Bool
	calls atomic.Uint64
}

func (l *lossy) Multicast(addrs []string, pkt []byte) error {
	if l.on.Load() && len(addrs) > 1 && l.calls.Add(1)%3 == 0 {
		addrs = addrs[:len(addrs)-1]
	}
	return l.Transport.Multicast(addrs, pkt)
}

// ReceiveBuffer is the UDP transport's: the status shows it.
func (l *lossy) ReceiveBuffer() int { return l.Transport.(stack.ReceiveBuffered).ReceiveBuffer() }

func lossyUDP(on *atomic.Bool) func(groupmember.Options) (stack.Transport, error) {
	return func(o groupmember.Options) (stack.Transport, error) {
		tr, err := udp.New(udp.Config{Group: o.Group, PortBase: o.PortBase, PortCount: o.PortCount})
		if err != nil {
			return nil, err
		}
		return &lossy{Transport: tr, on: on}, nil
	}
}

// TestThreeMembersWatched runs a group of three members, each with an
// admin endpoint, makes it cast (with loss, so that some casts are
// retransmitted) and sends garbage to one member; then `maestro status`
// and a scrape of /metrics at each member show the view, the casts, the
// retransmissions and the drops by reason.
func TestThreeMembersWatched(t *testing.T) {
	opts := testOptions(t)
	var loss atomic.Bool
	ms := make([]*groupmember.Member, 3)
	for i := range ms {
		o := opts
		if i == 0 {
			o.Transport = lossyUDP(&loss)
		}
		m, err := groupmember.New(o, nil)
		require.NoError(t, err)
		require.NoError(t, m.Join(context.Background()))
		t.Cleanup(func() { m.Close() })
		require.Regexp(t, `^127\.0\.0\.1:\d+$`, m.AdminAddr())
		ms[i] = m
	}
	waitView(t, ms, 3)

	// Cast in rounds, with loss, until some cast was retransmitted (a
	// round's casts may travel in one datagram, so the rounds are paced).
	loss.Store(true)
	retransmitted := func() (n uint64) {
		for _, m := range ms {
			n += m.Metrics().Retransmissions
		}
		return n
	}
	casts := 0
	for round := 0; round < 200 && (casts < 300 || retransmitted() == 0); round++ {
		for k := 0; k < 10; k++ {
			require.NoError(t, ms[0].Cast(message.New().PutString(fmt.Sprintf("c%d", casts))))
			casts++
		}
		time.Sleep(3 * time.Millisecond)
	}
	require.Eventually(t, func() bool {
		for _, m := range ms {
			if m.Metrics().CastsDelivered < uint64(casts) {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "casts were not all delivered")
	loss.Store(false)
	retrans := retransmitted()
	require.NotZero(t, retrans, "the lossy transport caused no retransmission")

	id := string(ms[1].ID())
	conn, err := net.Dial("udp", id[:strings.LastIndexByte(id, '/')])
	require.NoError(t, err)
	defer conn.Close()
	for k := 0; k < 5; k++ {
		_, err = conn.Write([]byte("not a maestro datagram"))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return ms[1].Metrics().Drops["not-maestro"] >= 5 }, 10*time.Second, 10*time.Millisecond)

	view := ms[0].View()
	for i, m := range ms {
		checkStatusTable(t, m, opts.Group, view, i == 1)
		checkStatusJSON(t, m, view)
		checkScrape(t, m, opts.Group, i == 1)
	}
	var total float64
	for _, m := range ms {
		fams := scrape(t, m)
		v, ok := fams["maestro_retransmissions_total"].value(map[string]string{"member": string(m.ID())})
		require.True(t, ok)
		total += v
	}
	require.GreaterOrEqual(t, total, float64(retrans), "scraped retransmissions")
}

// checkStatusTable runs `maestro status ADDR` against m.
func checkStatusTable(t *testing.T, m *groupmember.Member, group string, v *groupmember.ViewData, garbage bool) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, admin.StatusCommand([]string{m.AdminAddr()}, &out))
	table := out.String()
	t.Logf("maestro status %s:\n%s", m.AdminAddr(), table)
	line := func(re string) []string {
		t.Helper()
		got := regexp.MustCompile(`(?m)^` + re + `$`).FindStringSubmatch(table)
		require.NotNil(t, got, "no line %q in\n%s", re, table)
		return got
	}
	line(`group\s+` + regexp.QuoteMeta(group))
	line(`member\s+` + regexp.QuoteMeta(string(m.ID())))
	line(`role\s+member`)
	line(`uptime\s+\S+`)
	line(`receive buffer\s+[1-9]\d* bytes`)
	line(`view\s+` + regexp.QuoteMeta(v.ID))
	line(`coordinator\s+` + regexp.QuoteMeta(string(v.Coordinator)))
	line(`primary\s+yes`)
	line(`members\s+3`)
	for i, id := range v.Members {
		marks := ""
		if i == 0 {
			marks = "coordinator"
		}
		if id == m.ID() {
			marks += map[bool]string{true: ",", false: ""}[marks != ""] + "me"
		}
		if marks != "" {
			marks = `\s+` + marks
		}
		line(fmt.Sprintf(`  %d\s+%s%s`, i, regexp.QuoteMeta(string(id)), marks))
	}
	n := func(name string) uint64 {
		got := line(`  ` + name + `\s+(\d+)`)
		x, err := strconv.ParseUint(got[1], 10, 64)
		require.NoError(t, err)
		return x
	}
	require.NotZero(t, n("views_installed"))
	require.GreaterOrEqual(t, n("casts_delivered"), uint64(300))
	n("retransmissions")
	if garbage {
		require.GreaterOrEqual(t, n("not-maestro"), uint64(5))
		line(`drops\s+[1-9]\d*`)
	}
	// The metrics are sorted by name.
	names := regexp.MustCompile(`(?m)^metrics\n((?:  \S+\s+\d+\n)+)`).FindStringSubmatch(table)
	require.NotNil(t, names, table)
	keys := regexp.MustCompile(`(?m)^  (\S+)`).FindAllStringSubmatch(names[1], -1)
	require.Len(t, keys, 16)
	for i := 1; i < len(keys); i++ {
		require.Less(t, keys[i-1][1], keys[i][1], "metrics not sorted")
	}
}

// checkStatusJSON runs `maestro status -json ADDR` against m.
func checkStatusJSON(t *testing.T, m *groupmember.Member, v *groupmember.ViewData) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, admin.StatusCommand([]string{"-json", "-timeout", "3s", m.AdminAddr()}, &out))
	var s admin.Status
	require.NoError(t, json.Unmarshal(out.Bytes(), &s), out.String())
	require.Equal(t, string(m.ID()), s.Member)
	require.Equal(t, "member", s.Role)
	require.NotNil(t, s.View)
	require.Equal(t, v.ID, s.View.ID)
	require.Len(t, s.View.Members, 3)
	require.True(t, s.View.Primary)
	require.Positive(t, s.UptimeSeconds)
	require.NotZero(t, s.Metrics.ViewsInstalled)
	require.Positive(t, s.Metrics.ReceiveBuffer, "the UDP receive buffer granted")
}

// scrape GETs and parses m's /metrics.
func scrape(t *testing.T, m *groupmember.Member) map[string]*family {
	t.Helper()
	resp, err := http.Get("http://" + m.AdminAddr() + admin.MetricsPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, admin.ContentType, resp.Header.Get("Content-Type"))
	fams, err := parseProm(resp.Body)
	require.NoError(t, err)
	return fams
}

// checkScrape checks the families an operator relies on.
func checkScrape(t *testing.T, m *groupmember.Member, group string, garbage bool) {
	t.Helper()
	fams := scrape(t, m)
	me := map[string]string{"group": group, "member": string(m.ID())}
	get := func(name string, extra ...string) float64 {
		t.Helper()
		return sampleValue(t, fams, name, me, extra...)
	}
	require.Positive(t, get("maestro_views_installed_total"))
	require.GreaterOrEqual(t, get("maestro_casts_delivered_total"), 300.0)
	get("maestro_casts_sent_total")
	get("maestro_retransmissions_total")
	require.Zero(t, get("maestro_multicast_sends_total"), "no multicast group configured")
	require.Positive(t, get("maestro_receive_buffer_bytes"))
	require.Equal(t, 3.0, get("maestro_view_members"))
	require.Equal(t, 1.0, get("maestro_primary"))
	require.Equal(t, 1.0, get("maestro_up"))
	require.Equal(t, 1.0, get("maestro_role", "role", "member"))
	require.Equal(t, map[bool]float64{true: 1}[m.View().Coordinator == m.ID()], get("maestro_coordinator"))
	require.NotNil(t, fams["maestro_drops_total"])
	require.Equal(t, "counter", fams["maestro_drops_total"].typ)
	if garbage {
		require.GreaterOrEqual(t, get("maestro_drops_total", "reason", "not-maestro"), 5.0)
	}
}

// waitView waits until every member's view has exactly want members.
func waitView(t *testing.T, ms []*groupmember.Member, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var id string
		for _, m := range ms {
			v := m.View()
			if v == nil || len(v.Members) != want || (id != "" && v.ID != id) {
				return false
			}
			id = v.ID
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "members did not converge to one %d-member view", want)
}
