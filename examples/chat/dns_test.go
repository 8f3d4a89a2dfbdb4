package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/dnstest"
	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/internal/proctest"
)

// TestGroupsFoundThroughDNSSeedsMerge: six chat members in six network
// namespaces, each with only a DNS name as its seed, served by a DNS
// server the test runs. Members 0-2 seed with a.grid.test and 3-5 with
// b.grid.test, each naming its own three: two groups of three form. Then
// a.grid.test is made to name all six: once the members resolve their
// seed again (every half second here, from the -config file), the two
// groups find each other and merge into one view.
func TestGroupsFoundThroughDNSSeedsMerge(t *testing.T) {
	lab := netlab.New(t, 6)
	conn, err := lab.ListenUDPPort(0, 53)
	require.NoError(t, err)
	dns := dnstest.Serve(conn)
	t.Cleanup(func() { dns.Close() })
	lab.Nameserver(lab.Addr(0))
	var addrs []netip.Addr
	for i := range 6 {
		addrs = append(addrs, netip.MustParseAddr(lab.Addr(i)))
	}
	dns.Set("a.grid.test", addrs[:3]...)
	dns.Set("b.grid.test", addrs[3:]...)

	config := filepath.Join(t.TempDir(), "member.yaml")
	require.NoError(t, os.WriteFile(config, []byte("seed_refresh: 500ms\nstack:\n  suspect_timeout: 1s\n  heartbeat: 125ms\n"), 0o644))
	bin := proctest.Build(t, "./examples/chat")
	var ps []*proctest.Proc
	for i := range 6 {
		seed := "a.grid.test:7400"
		if i >= 3 {
			seed = "b.grid.test:7400"
		}
		name, args := lab.Command(i, bin, "-group", t.Name(), "-listen", lab.Addr(i)+":7400", "-seeds", seed,
			"-config", config, "-name", fmt.Sprintf("n%d", i))
		ps = append(ps, proctest.Start(t, fmt.Sprintf("chat%d", i), name, args...))
	}
	waitViews(t, ps[:3], 3)
	waitViews(t, ps[3:], 3)
	_, left := lastView(ps[0].Lines())
	require.ElementsMatch(t, []string{"n0", "n1", "n2"}, left)

	dns.Set("a.grid.test", addrs...)
	waitViews(t, ps, 6)
	_, all := lastView(ps[5].Lines())
	require.ElementsMatch(t, []string{"n0", "n1", "n2", "n3", "n4", "n5"}, all)
}
