// Package netlab builds small networks of Linux network namespaces for
// multi-process tests: each node is a namespace with one address on a
// shared subnet, linked by a veth pair to a bridge in a hub namespace.
// Partitioning moves nodes' links to separate bridges (separate broadcast
// domains), so the nodes of one component reach each other and nobody
// else; healing moves them back. It needs root and iproute2 (ip), which
// `make test` installs.
package netlab

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Lab is a set of node namespaces joined by a hub.
type Lab struct {
	t      testing.TB
	prefix string
	hub    string
	nodes  []string
	bridge int // bridges created in the hub
}

// New creates n node namespaces (and their hub), removed when the test
// ends.
func New(t testing.TB, n int) *Lab {
	t.Helper()
	l := &Lab{t: t, prefix: fmt.Sprintf("mlab%05d", rand.IntN(100000))}
	l.hub = l.prefix + "hub"
	t.Cleanup(l.remove)
	l.ip("netns", "add", l.hub)
	l.ip("-n", l.hub, "link", "set", "lo", "up")
	l.addBridge()
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("%sn%d", l.prefix, i)
		l.nodes = append(l.nodes, ns)
		l.ip("netns", "add", ns)
		l.ip("-n", ns, "link", "set", "lo", "up")
		// The pair is created in the node and its outer end moved to the hub.
		l.ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", l.port(i))
		l.ip("-n", ns, "link", "set", l.port(i), "netns", l.hub)
		l.ip("-n", ns, "addr", "add", l.Addr(i)+"/24", "dev", "eth0")
		l.ip("-n", ns, "link", "set", "eth0", "up")
		l.ip("-n", l.hub, "link", "set", l.port(i), "master", "br0")
		l.ip("-n", l.hub, "link", "set", l.port(i), "up")
	}
	l.settle()
	return l
}

// settle waits until every bridge port forwards and every node's address
// is usable (a port that joins a bridge forwards only after a moment).
func (l *Lab) settle() {
	l.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("bridge", "-n", l.hub, "link", "show").CombinedOutput()
		ready := err == nil && strings.Count(string(out), "state forwarding") == len(l.nodes)
		for i := 0; ready && i < len(l.nodes); i++ {
			a, err := exec.Command("ip", "-n", l.nodes[i], "addr", "show", "dev", "eth0").CombinedOutput()
			ready = err == nil && !strings.Contains(string(a), "tentative")
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("netlab: links not ready after 10s:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *Lab) port(i int) string { return fmt.Sprintf("p%d", i) }

func (l *Lab) addBridge() string {
	name := fmt.Sprintf("br%d", l.bridge)
	l.bridge++
	l.ip("-n", l.hub, "link", "add", name, "type", "bridge")
	l.ip("-n", l.hub, "link", "set", name, "up")
	return name
}

// Addr returns node i's IPv4 address.
func (l *Lab) Addr(i int) string { return fmt.Sprintf("10.99.0.%d", i+1) }

// Command returns the command line that runs name with args in node i.
func (l *Lab) Command(i int, name string, args ...string) (string, []string) {
	return "ip", append([]string{"netns", "exec", l.nodes[i], name}, args...)
}

// Partition splits the nodes into the given components (node indexes);
// nodes not listed form one more component.
func (l *Lab) Partition(components ...[]int) {
	l.t.Helper()
	for l.bridge < len(components)+1 {
		l.addBridge()
	}
	where := make([]int, len(l.nodes))
	for i := range where {
		where[i] = len(components)
	}
	for c, nodes := range components {
		for _, i := range nodes {
			where[i] = c
		}
	}
	for i, c := range where {
		l.ip("-n", l.hub, "link", "set", l.port(i), "master", fmt.Sprintf("br%d", c))
	}
	l.settle()
}

// Heal joins every node again.
func (l *Lab) Heal() {
	l.t.Helper()
	for i := range l.nodes {
		l.ip("-n", l.hub, "link", "set", l.port(i), "master", "br0")
	}
	l.settle()
}

func (l *Lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (l *Lab) remove() {
	for _, ns := range append(l.nodes, l.hub) {
		_ = exec.Command("ip", "netns", "del", ns).Run()
		_ = os.RemoveAll(filepath.Join("/etc/netns", ns))
	}
}

// Nameserver makes programs run by Command resolve names through the DNS
// server at addr (port 53): `ip netns exec` shows each node
// /etc/netns/<node>/resolv.conf as its /etc/resolv.conf.
func (l *Lab) Nameserver(addr string) {
	l.t.Helper()
	conf := fmt.Sprintf("nameserver %s\noptions timeout:1 attempts:2\n", addr)
	for _, ns := range l.nodes {
		dir := filepath.Join("/etc/netns", ns)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			l.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(conf), 0o644); err != nil {
			l.t.Fatal(err)
		}
	}
}
