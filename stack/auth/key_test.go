package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "group.key")
	k, err := WriteKeyFile(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := LoadKeyFile(path)
	require.NoError(t, err)
	require.Equal(t, k, got)
	require.NotContains(t, k.String(), k.Hex()[:8], "String must not reveal the key")

	_, err = WriteKeyFile(path)
	require.ErrorIs(t, err, ErrKeyFileExists)
	again, err := LoadKeyFile(path)
	require.NoError(t, err)
	require.Equal(t, k, again, "refused overwrite changed the file")

	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		require.NoError(t, os.Chmod(path, mode))
		_, err = LoadKeyFile(path)
		require.ErrorIs(t, err, ErrKeyFileMode, "mode %o", mode)
		require.Contains(t, err.Error(), path)
		require.Contains(t, err.Error(), "chmod 600")
	}
	require.NoError(t, os.Chmod(path, 0o400))
	_, err = LoadKeyFile(path)
	require.NoError(t, err)

	bad := map[string]string{
		"short":      "abcd\n",
		"two lines":  k.Hex() + "\n" + k.Hex() + "\n",
		"not hex":    strings.Repeat("zz", 32) + "\n",
		"empty":      "",
		"with space": k.Hex()[:10] + " " + k.Hex()[11:] + "\n",
	}
	for name, text := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		_, err := LoadKeyFile(p)
		require.ErrorIs(t, err, ErrBadKey, name)
	}
	_, err = LoadKeyFile(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestKeyFromEnv(t *testing.T) {
	t.Setenv(EnvVar, "")
	_, ok, err := KeyFromEnv()
	require.NoError(t, err)
	require.False(t, ok)
	t.Setenv(EnvVar, keyA.Hex())
	k, ok, err := KeyFromEnv()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, keyA, k)
	t.Setenv(EnvVar, "nope")
	_, _, err = KeyFromEnv()
	require.ErrorIs(t, err, ErrBadKey)
}
