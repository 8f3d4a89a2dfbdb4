package netlab

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/internal/proctest"
)

// MulticastLoopback creates a network namespace whose loopback carries IP
// multicast (a host's loopback usually does not), removed when the test
// ends, and returns its name: `ip netns exec NAME cmd` runs cmd in it. It
// fails the test unless run as root with iproute2 installed (`make test`
// installs it and runs as root in CI).
func MulticastLoopback(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates a network namespace and must run as root (make test runs as root in CI)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("the ip command (iproute2) is missing: run ./scripts/install-test-deps.sh or make test")
	}
	name, remove, err := NewMulticastNamespace("maestro-mc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	return name
}

// NewMulticastNamespace creates a network namespace named after prefix
// whose loopback carries IP multicast, and returns its name and the
// function that removes it. It needs root and the ip command (iproute2);
// on failure nothing is left behind.
func NewMulticastNamespace(prefix string) (name string, remove func(), err error) {
	name = fmt.Sprintf("%s-%d", prefix, rand.IntN(1_000_000))
	remove = func() { _ = exec.Command("ip", "netns", "del", name).Run() }
	for i, args := range [][]string{
		{"netns", "add", name},
		{"-n", name, "link", "set", "lo", "up"},
		{"-n", name, "link", "set", "lo", "multicast", "on"},
		{"-n", name, "route", "add", "224.0.0.0/4", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			if i > 0 {
				remove()
			}
			return "", nil, fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return name, remove, nil
}

// inMulticastLoopback is set in a test binary re-run by
// InMulticastLoopback inside the namespace.
const inMulticastLoopback = "MAESTRO_TEST_IN_MULTICAST_NETNS"

// InMulticastLoopback runs the calling test again, alone, in a namespace
// from MulticastLoopback, and fails if it fails there. It reports whether
// the caller is that run: a test starts with
//
//	if !netlab.InMulticastLoopback(t) {
//		return
//	}
//
// and its body then runs only inside the namespace.
func InMulticastLoopback(t *testing.T) bool {
	t.Helper()
	if os.Getenv(inMulticastLoopback) != "" {
		return true
	}
	proctest.Rerun(t, "in the namespace", inMulticastLoopback, "", os.Args[0], "ip", "netns", "exec", MulticastLoopback(t))
	return false
}
