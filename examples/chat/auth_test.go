package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/proctest"
	"github.com/maestro-go/maestro/stack/auth"
)

// keygen writes a key file with the operator's command.
func keygen(t *testing.T, path string) {
	t.Helper()
	bin := proctest.Build(t, "./cmd/maestro")
	out, err := exec.Command(bin, "keygen", path).CombinedOutput()
	require.NoError(t, err, "maestro keygen: %s", out)
}

// Three chats share a key; a fourth with another key and a fifth with no
// key start in the same group (same discovery ports). Neither joins, the
// keyed group's view never changes because of them, nothing they cast is
// printed by a keyed member, and each says why in one line.
func TestKeyedChatsKeepStrangersOut(t *testing.T) {
	t.Setenv(auth.EnvVar, "")
	dir := t.TempDir()
	good, other := filepath.Join(dir, "group.key"), filepath.Join(dir, "other.key")
	keygen(t, good)
	keygen(t, other)

	bin := proctest.Build(t, "./examples/chat")
	args := chatArgs(t)
	var ps []*proctest.Proc
	for i := 0; i < 3; i++ {
		ps = append(ps, proctest.Start(t, fmt.Sprintf("chat%d", i), bin, append(args, "-name", fmt.Sprintf("p%d", i), "-key-file", good)...))
	}
	view := waitViews(t, ps, 3)

	wrong := proctest.Start(t, "wrongkey", bin, append(args, "-name", "intruder", "-key-file", other)...)
	nokey := proctest.Start(t, "nokey", bin, append(args, "-name", "stranger")...)
	for _, p := range []*proctest.Proc{wrong, nokey} {
		require.NoError(t, p.WaitFor(10*time.Second, "its singleton view", func(lines []string) bool { return len(lines) > 0 }))
	}
	require.NoError(t, wrong.Send("intruder line 1", "intruder line 2"))
	require.NoError(t, nokey.Send("stranger line 1", "stranger line 2"))
	require.NoError(t, ps[0].Send("member line"))
	for _, p := range ps {
		require.NoError(t, p.WaitFor(10*time.Second, "the member's line", func(lines []string) bool {
			return len(casts(lines)) >= 1
		}))
	}
	// Several suspect timeouts and gossip rounds.
	time.Sleep(4 * time.Second)

	for _, p := range ps {
		id, members := lastView(p.Lines())
		require.Equal(t, view, id, "%s: the keyed group's view changed", p.Name)
		require.Len(t, members, 3)
		require.Equal(t, []string{"p0: member line"}, casts(p.Lines()), "%s printed a stranger's line", p.Name)
	}
	for _, p := range []*proctest.Proc{wrong, nokey} {
		_, members := lastView(p.Lines())
		require.Len(t, members, 1, "%s joined the keyed group", p.Name)
		for _, l := range p.Lines() {
			require.NotContains(t, l, "member line", "%s heard the keyed group", p.Name)
		}
	}
	why := func(p *proctest.Proc, want string) {
		t.Helper()
		var hits []string
		for _, l := range p.Stderr() {
			if strings.Contains(l, want) {
				hits = append(hits, l)
			}
		}
		require.Len(t, hits, 1, "%s should say once why it is alone (%q); stderr:\n%s", p.Name, want, strings.Join(p.Stderr(), "\n"))
	}
	why(nokey, "this member has no group key")
	why(wrong, "fail authentication")
}

// A key file that others may read is refused, naming the file and the fix.
func TestChatRefusesReadableKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "group.key")
	_, err := auth.WriteKeyFile(path)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o644))
	var out, errOut strings.Builder
	err = run(append(chatArgs(t), "-key-file", path), strings.NewReader(""), &out, &errOut)
	require.ErrorIs(t, err, auth.ErrKeyFileMode)
	require.Contains(t, err.Error(), path)
	require.Contains(t, err.Error(), "chmod 600")
}
