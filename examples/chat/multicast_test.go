package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/proctest"
)

// netns creates a network namespace whose loopback carries IP multicast
// (the host's loopback usually does not) and removes it when the test ends.
func netns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates a network namespace and must run as root (make test runs as root in CI)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("the ip command (iproute2) is missing: run ./scripts/install-test-deps.sh or make test")
	}
	name := fmt.Sprintf("maestro-mc-%d", rand.IntN(1_000_000))
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	run("-n", name, "link", "set", "lo", "up")
	run("-n", name, "link", "set", "lo", "multicast", "on")
	run("-n", name, "route", "add", "224.0.0.0/4", "dev", "lo")
	return name
}

// TestChatsFindEachOtherByIPMulticast runs two chats on ephemeral ports
// outside any shared port range, so the only way they can meet is the
// multicast group; with -multicast-data their casts travel by multicast too.
func TestChatsFindEachOtherByIPMulticast(t *testing.T) {
	ns := netns(t)
	bin := proctest.Build(t, "./examples/chat")
	group := fmt.Sprintf("239.192.%d.%d:7446", rand.IntN(250)+1, rand.IntN(250)+1)
	args := []string{"netns", "exec", ns, bin, "-group", "mc", "-listen", "127.0.0.1:0", "-portbase", "1024", "-multicast", group, "-multicast-data", "-suspect", "1s"}
	a := proctest.Start(t, "a", "ip", append(args, "-name", "a")...)
	b := proctest.Start(t, "b", "ip", append(args, "-name", "b")...)
	waitViews(t, []*proctest.Proc{a, b}, 2)
	require.NoError(t, a.Send("over multicast"))
	require.NoError(t, b.Send("and back"))
	for _, p := range []*proctest.Proc{a, b} {
		require.NoError(t, p.WaitFor(10*time.Second, "both lines", func(l []string) bool {
			return contains(l, "a: over multicast") && contains(l, "b: and back")
		}))
	}
}
