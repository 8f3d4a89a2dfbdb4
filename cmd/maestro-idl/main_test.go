package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGenerateIntoPackage: the files land in -out with the package name
// asked for; the servant file is kept on a second run, the generated
// ones are rewritten; errors name the problem.
func TestGenerateIntoPackage(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	args := []string{"-pkg", "shop", "-interface", "Shop::Store", "-orb", "replicated-updates", "-readonly", "list", "-state", "-out", dir, "../../maestro/idl/testdata/Shop.idl"}
	require.NoError(t, run(args, &stderr))
	for _, f := range []string{"store.go", "store_server.go", "store_client.go", "store_types.go", "store_test.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		require.Contains(t, string(b), "package shop\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "store.go"), []byte("package shop // mine\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "store_server.go"), []byte("stale"), 0o644))
	require.NoError(t, run(args, &stderr))
	b, _ := os.ReadFile(filepath.Join(dir, "store.go"))
	require.Equal(t, "package shop // mine\n", string(b))
	b, _ = os.ReadFile(filepath.Join(dir, "store_server.go"))
	require.Contains(t, string(b), "func (a *StoreAdaptor) ReadOnly(operation string) bool")

	require.ErrorContains(t, run([]string{"-out", dir, "../../maestro/idl/testdata/Shop.idl"}, &stderr), "has 2 interfaces (Shop::Base, Shop::Store); name one")
	require.ErrorContains(t, run([]string{"-interface", "Nope", "-out", dir, "../../maestro/idl/testdata/Shop.idl"}, &stderr), `"Nope" is not an interface`)
	bad := filepath.Join(dir, "bad.idl")
	require.NoError(t, os.WriteFile(bad, []byte("interface A { void f( };"), 0o644))
	require.ErrorContains(t, run([]string{"-out", dir, bad}, &stderr), bad+":1:23: ")
}
