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
	waitIOR(t, filepath.Join(etc, "Grid.ior"), 1, s)
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
	waitIOR(t, filepath.Join(etc, "Store.ior"), 1, s)
	out := runClient(t, client, filepath.Join(etc, "Store.ior"))
	require.Contains(t, out, "PASS: user exception NotFound with its members")
	require.Contains(t, out, "PASS: stats: return 2, out count 5, inout total 18.5")
	require.Contains(t, out, "PASS: list returns the sequence of structs")
}

// TestShopReplicatedOmniORB: the richer IDL through the Replicated
// Updates ORB, three replica processes; the omniORB client goes through
// the compound IOR, and a second run of it on a replica that joined
// later sees the state transferred to it.
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
	waitIOR(t, filepath.Join(etc, "Store.ior"), 3, servers...)
	out := runClient(t, client, filepath.Join(etc, "Store.ior"))
	require.Contains(t, out, "PASS: user exception NotFound with its members")
	require.Contains(t, out, "PASS: stats: return 2, out count 5, inout total 18.5")
	require.Contains(t, out, "PASS: list returns the sequence of structs")
}
