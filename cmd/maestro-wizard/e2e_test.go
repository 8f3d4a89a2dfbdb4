package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// shopAnswers serves Shop::Store of maestro/idl/testdata/Shop.idl (an
// absolute path, since the answers file lives in a temp directory).
func shopAnswers(t *testing.T, wizardName string) string {
	idl, err := filepath.Abs("../../maestro/idl/testdata/Shop.idl")
	require.NoError(t, err)
	a := fmt.Sprintf("wizard: %s\nname: Store\nidl: %s\ninterface: Shop::Store\nmodule: example.com/shop\nkey: MAE:00112233445566778899:Store\n", wizardName, idl)
	if wizardName == "replicated-updates" {
		a += "partitions: majority\nreplicas: 3\nstate_transfer: transfer\nordering: same\nreinstall_ior: true\nreadonly: [list, find, ping]\n"
	}
	return a
}

// withStore replaces the generated servant file with a filled-in one.
func withStore(t *testing.T, dir string) {
	b, err := os.ReadFile("testdata/store.go.txt")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "store.go"), b, 0o644))
}

// TestGridSimpleOmniORB: the default answers of the Simple wizard give
// the Grid of §3.5.1, filled in; the project builds, its generated test
// passes, and the dissertation's omniORB client gets its results.
func TestGridSimpleOmniORB(t *testing.T) {
	t.Parallel()
	bins, err := omnibuild.Cached(context.Background())
	require.NoError(t, err)
	dir := generate(t, "wizard: simple\nkey: MAE:0123456789abcdef:Grid\n")
	bin := buildProject(t, dir)
	etc := t.TempDir()
	s := start(t, bin, "-etc", etc)
	waitIOR(t, filepath.Join(etc, "Grid.ior"), 1, []*server{s})
	out := runClient(t, bins.Client, "grid", filepath.Join(etc, "Grid.ior"))
	require.Contains(t, out, "PASS: grid[2,4] is 123")
}

// TestShopSimpleOmniORB: the richer IDL through the Simple ORB, called by
// an omniORB C++ client built from the same IDL.
func TestShopSimpleOmniORB(t *testing.T) {
	t.Parallel()
	client := buildShopClient(t)
	dir := generate(t, shopAnswers(t, "simple"))
	withStore(t, dir)
	bin := buildProject(t, dir)
	etc := t.TempDir()
	s := start(t, bin, "-etc", etc)
	waitIOR(t, filepath.Join(etc, "Store.ior"), 1, []*server{s})
	out := runClient(t, client, filepath.Join(etc, "Store.ior"))
	require.Contains(t, out, "PASS: user exception NotFound with its members")
	require.Contains(t, out, "PASS: stats: return 2, out count 5, inout total 18.5")
	require.Contains(t, out, "PASS: list returns the sequence of structs")
}

// TestShopReplicatedOmniORB: the richer IDL through the Replicated
// Updates ORB, three replica processes; the omniORB client goes through
// the compound IOR.
func TestShopReplicatedOmniORB(t *testing.T) {
	t.Parallel()
	client := buildShopClient(t)
	dir := generate(t, shopAnswers(t, "replicated-updates"))
	withStore(t, dir)
	bin := buildProject(t, dir)
	etc := t.TempDir()
	base := strconv.Itoa(32000 + rand.IntN(1000)*16)
	group := fmt.Sprintf("shop-%s", base)
	var servers []*server
	for range 3 {
		servers = append(servers, start(t, bin, "-etc", etc, "-group", group, "-portbase", base))
	}
	waitIOR(t, filepath.Join(etc, "Store.ior"), 3, servers)
	out := runClient(t, client, filepath.Join(etc, "Store.ior"))
	require.Contains(t, out, "PASS: user exception NotFound with its members")
	require.Contains(t, out, "PASS: stats: return 2, out count 5, inout total 18.5")
	require.Contains(t, out, "PASS: list returns the sequence of structs")
}

// TestGridReplicatedStateTransfer: the default Replicated Updates answers
// give a Grid of 3 replicas; the dissertation's omniORB client calls it
// through the compound IOR, a cell outside the grid raises the BAD_PARAM
// the servant chose, and after one replica leaves (SIGINT) a new one
// joins, gets the state through the generated PushState/GetState, and
// answers a client that reaches it alone with the cells set before it
// existed.
func TestGridReplicatedStateTransfer(t *testing.T) {
	t.Parallel()
	bins, err := omnibuild.Cached(context.Background())
	require.NoError(t, err)
	dir := generate(t, "wizard: replicated-updates\nkey: MAE:0123456789abcdef:Grid\n")
	bin := buildProject(t, dir)
	etc := t.TempDir()
	ior := filepath.Join(etc, "Grid.ior")
	base := strconv.Itoa(33000 + rand.IntN(1000)*16)
	args := []string{"-etc", etc, "-group", "grid-" + base, "-portbase", base}
	var servers []*server
	for range 3 {
		servers = append(servers, start(t, bin, args...))
	}
	waitIOR(t, ior, 3, servers)
	require.Contains(t, runClient(t, bins.Client, "grid", ior), "PASS: grid[2,4] is 123")
	out := runClientInput(t, "set 7 7 77\nget 7 7\nget 10 0\n", bins.Client, "lines", ior)
	require.Equal(t, "OK\nOK 77\nEXC BAD_PARAM minor 4f4d0001 completed 1\n", out, "completed 1 is COMPLETED_NO")

	servers[0].stop(t)
	joiner := start(t, bin, args...)
	addr := joiner.addr(t)
	waitIOR(t, ior, 3, append(servers[1:], joiner), addr)
	a, err := iiop.ParseAddr(addr)
	require.NoError(t, err)
	alone := filepath.Join(etc, "joiner.ior")
	require.NoError(t, os.WriteFile(alone, []byte(iiop.NewIOR("IDL:Grid:1.0", []byte("MAE:0123456789abcdef:Grid"), a, iiop.GIOP12).String()), 0o644))
	out = runClientInput(t, "get 2 4\nget 7 7\n", bins.Client, "lines", alone)
	require.Equal(t, "OK 123\nOK 77\n", out)
}
