package netlab

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

// ListenUDP opens a UDP socket in node i's namespace (the socket stays
// there after the call returns), for tests that check reachability.
func (l *Lab) ListenUDP(i int) (*net.UDPConn, error) { return l.ListenUDPPort(i, 0) }

// ListenUDPPort is ListenUDP on a given port (0: any), for servers the
// nodes must find at a well-known port (a DNS server on 53).
func (l *Lab) ListenUDPPort(i, port int) (*net.UDPConn, error) {
	var conn *net.UDPConn
	err := l.in(i, func() error {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(l.Addr(i)), Port: port})
		conn = c
		return err
	})
	return conn, err
}

// in runs f on a thread switched into node i's network namespace.
func (l *Lab) in(i int, f func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	if err := EnterNamespace(l.nodes[i]); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := f()
	if err := setns(self); err != nil {
		// The thread is left in the node's namespace: keep it locked so
		// that it ends with this goroutine instead of serving others.
		return fmt.Errorf("netlab: return to the test's namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// EnterNamespace switches the calling goroutine's thread, which the
// caller has locked to it (runtime.LockOSThread), into the named network
// namespace (/var/run/netns/ns): the sockets the thread makes from then on
// are there.
func EnterNamespace(ns string) error {
	f, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return err
	}
	defer f.Close()
	return setns(f)
}

func setns(f *os.File) error {
	if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		return fmt.Errorf("netlab: setns: %w", e)
	}
	return nil
}
