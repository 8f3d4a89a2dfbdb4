package admin_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/admin"
)

// TestWriteMetricsParses: the writer's output for a status with awkward
// label values parses completely and carries every value.
func TestWriteMetricsParses(t *testing.T) {
	serving := true
	s := admin.Status{
		Group: `we"ird\group` + "\n", Member: "127.0.0.1:7000/3", Role: "server", Serving: &serving,
		View: &admin.View{ID: "4@127.0.0.1:7000/3", Ltime: 4, Members: []string{"127.0.0.1:7000/3", "127.0.0.1:7001/1"},
			Coordinator: "127.0.0.1:7000/3", Primary: true, Counted: 2, Replicas: 3},
		Metrics:       admin.Metrics{CastsSent: 7, Retransmissions: 2, ViewsInstalled: 4, Drops: map[string]uint64{"not-maestro": 5, `a"b`: 1}},
		Started:       time.Now(),
		UptimeSeconds: 1.5,
	}
	var b bytes.Buffer
	require.NoError(t, admin.WriteMetrics(&b, s))
	fams, err := parseProm(&b)
	require.NoError(t, err, b.String())
	me := map[string]string{"group": s.Group, "member": s.Member}
	check := func(name, typ string, want float64, labels ...string) {
		t.Helper()
		require.Equal(t, want, sampleValue(t, fams, name, me, labels...), name)
		require.Equal(t, typ, fams[name].typ, name)
	}
	check("maestro_casts_sent_total", "counter", 7)
	check("maestro_retransmissions_total", "counter", 2)
	check("maestro_views_installed_total", "counter", 4)
	check("maestro_drops_total", "counter", 5, "reason", "not-maestro")
	check("maestro_drops_total", "counter", 1, "reason", `a"b`)
	check("maestro_view_members", "gauge", 2)
	check("maestro_primary", "gauge", 1)
	check("maestro_coordinator", "gauge", 1)
	check("maestro_primary_counted_replicas", "gauge", 2)
	check("maestro_replicas", "gauge", 3)
	check("maestro_role", "gauge", 1, "role", "server")
	check("maestro_serving", "gauge", 1)
	check("maestro_uptime_seconds", "gauge", 1.5)
	for name, f := range fams {
		require.True(t, strings.HasPrefix(name, "maestro_"), name)
		require.Equal(t, f.typ == "counter", strings.HasSuffix(name, "_total"), "%s: counters and only counters end in _total", name)
	}
}

// TestParsePromRejects: the test's parser is strict, so that a parse
// that succeeds means something.
func TestParsePromRejects(t *testing.T) {
	for _, bad := range []string{
		"m 1\n", // no HELP/TYPE
		"# HELP m h\n# TYPE m counter\nm{a=\"x} 1\n",
		"# HELP m h\n# TYPE m counter\nm{a=\"\\x\"} 1\n",
		"# HELP m h\n# TYPE m counter\nm{1a=\"x\"} 1\n",
		"# HELP m h\n# TYPE m counter\nm{a=\"x\"} one\n",
		"# HELP m h\n# TYPE m counter\nm{a=\"x\"}1\n",
		"# HELP m h\n# TYPE m counter\nm 1\n# HELP n h\n# TYPE n gauge\nn 1\nm 2\n",
		"# HELP m h\n# TYPE m counter\nm 1\n# TYPE m counter\n",
		"# HELP m h\n# TYPE m countr\nm 1\n",
	} {
		_, err := parseProm(strings.NewReader(bad))
		require.Error(t, err, "%q", bad)
	}
	fams, err := parseProm(strings.NewReader("# HELP m h\n# TYPE m counter\nm{a=\"x\\\"y\\n\"} 1 1700000000\n"))
	require.NoError(t, err)
	require.Equal(t, "x\"y\n", fams["m"].samples[0].labels["a"])
}
