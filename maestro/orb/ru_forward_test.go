package orb

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// A replica keeps the addresses of the replicas it forwards clients to in
// its state directory. Restarted alone — in a first view of its own,
// where it serves nobody — it forwards a client there, and the client's
// call succeeds at the group; without that file it refuses TRANSIENT.
func TestRURestartedReplicaForwardsToWhereTheGroupServed(t *testing.T) {
	g, rs, ctx, c := servingGroup(t, ReplicatedUpdatesOptions{ProgressInPrimaryOnly: true, Replicas: 3}, 3, iiop.ClientOptions{})
	var want []iiop.Addr
	for _, r := range rs {
		want = append(want, r.orb.ownAddr())
	}
	saved := filepath.Join(rs[0].orb.opts.Group.StateDir, forwardFile)
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(saved)
		got := parseForward(b)
		return err == nil && len(got) == len(want) && !slices.ContainsFunc(want, func(a iiop.Addr) bool { return !slices.Contains(got, a) })
	}, 10*time.Second, 10*time.Millisecond, "the state directory lists the serving replicas")

	// alone starts a replica of a group of its own (so it meets nobody)
	// from a state directory holding file, if any.
	alone := func(file []byte) *iiop.IOR {
		dir := t.TempDir()
		if file != nil {
			require.NoError(t, os.WriteFile(filepath.Join(dir, forwardFile), file, 0o644))
		}
		lone := newRUGroup(t, ReplicatedUpdatesOptions{ProgressInPrimaryOnly: true, Replicas: 3})
		lone.key = g.key
		lone.opts.Group.StateDir = dir
		return lone.ref(lone.start())
	}

	b, err := os.ReadFile(saved)
	require.NoError(t, err)
	require.NoError(t, callSet(ctx, c, alone(b), 7, 77), "forwarded to the group")
	v, err := callLong(ctx, c, g.ref(rs[1]), "get", func(e *iiop.Encoder) { e.WriteShort(7) })
	require.NoError(t, err)
	require.Equal(t, int32(77), v)

	err = callSet(ctx, c, alone(nil), 7, 78)
	require.True(t, isExc(err, iiop.ExcTransient), "with nothing saved it refuses: %v", err)
}

// parseForward keeps the lines that are host:port and skips the rest.
func TestParseForward(t *testing.T) {
	got := parseForward([]byte("127.0.0.1:2809\n\n  10.0.0.2:7000  \nnot an address\n[::1]:2810\nhost:0\nhost:70000\n:99\n127.0.0.1:2809"))
	require.Equal(t, []iiop.Addr{{Host: "127.0.0.1", Port: 2809}, {Host: "10.0.0.2", Port: 7000}, {Host: "::1", Port: 2810}, {Host: "127.0.0.1", Port: 2809}}, got)
	require.Empty(t, parseForward(nil))
}

// FuzzParseForward: any file parses without panicking, into addresses
// with a host and a port.
func FuzzParseForward(f *testing.F) {
	f.Add([]byte("127.0.0.1:2809\n10.0.0.2:7000\n"))
	f.Add([]byte("[::1]:1\nx\n:0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, a := range parseForward(b) {
			if a.Host == "" || a.Port == 0 {
				t.Fatalf("parsed %+v", a)
			}
		}
	})
}
