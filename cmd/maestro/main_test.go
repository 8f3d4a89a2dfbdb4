package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack/auth"
)

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"keygen", "-h"}} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, run(args, &out, &errOut), "%v", args)
		require.Contains(t, out.String(), "keygen", "%v", args)
	}
	var out, errOut bytes.Buffer
	require.Equal(t, 2, run(nil, &out, &errOut))
	require.Equal(t, 2, run([]string{"nonsense"}, &out, &errOut))
	require.Equal(t, 2, run([]string{"keygen"}, &out, &errOut))
}

func TestKeygen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "group.key")
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"keygen", path}, &out, &errOut), errOut.String())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k, err := auth.LoadKeyFile(path)
	require.NoError(t, err)
	b, _ := os.ReadFile(path)
	require.Equal(t, k.Hex()+"\n", string(b))
	require.NotContains(t, out.String(), k.Hex(), "the key was printed")

	errOut.Reset()
	require.Equal(t, 1, run([]string{"keygen", path}, &out, &errOut))
	require.Contains(t, errOut.String(), "exists")
	again, _ := os.ReadFile(path)
	require.Equal(t, b, again)
}
