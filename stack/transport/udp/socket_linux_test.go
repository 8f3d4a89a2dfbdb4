package udp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/stack"
)

// blockingOf returns tr's unicast socket, which BlockingReads made a
// blockingSocket.
func blockingOf(t *testing.T, tr *Transport) *blockingSocket {
	t.Helper()
	s, ok := tr.sock.(*blockingSocket)
	require.True(t, ok, "BlockingReads took the socket over (got %T)", tr.sock)
	return s
}

// Close wakes a reader asleep in recvmmsg, so that it returns (Close
// waits for the readers) with nothing having arrived; the descriptor is
// closed once nothing uses it, and the socket refuses every call after.
func TestCloseWakesTheBlockedReader(t *testing.T) {
	tr := listenWith(t, Config{BlockingReads: true})
	s := blockingOf(t, tr)
	tr.Serve(func([]stack.Packet) { t.Error("nothing was sent") })
	waitInRecvmmsg(t, s.f.Sysfd())
	require.NoError(t, tr.Close())
	require.Zero(t, s.f.Refs(), "no system call holds the descriptor")
	ms := []ipv4.Message{{Buffers: [][]byte{make([]byte, 64)}}}
	_, err := s.readBatch(ms)
	require.True(t, errors.Is(err, net.ErrClosed), "a read after close: %v", err)
	require.True(t, errors.Is(s.control(func(uintptr) {}), net.ErrClosed))
	require.True(t, errors.Is(s.close(), net.ErrClosed), "a second close")
}

// waitInRecvmmsg returns once a thread of this process sleeps in recvmmsg
// on fd (/proc/self/task/*/syscall names the call a thread is blocked in
// and its arguments), failing the test after 10 s.
func waitInRecvmmsg(t *testing.T, fd int) {
	t.Helper()
	want := fmt.Sprintf("%d 0x%x ", unix.SYS_RECVMMSG, fd)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		tasks, _ := filepath.Glob("/proc/self/task/*/syscall")
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && strings.HasPrefix(string(b), want) {
				return
			}
		}
	}
	t.Fatal("the reader never blocked in recvmmsg")
}

// With a single P the reader never blocks in the kernel, where it would
// hold the only P that every other goroutine needs.
func TestASingleProcessorReadsThroughThePoller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	tr := listenWith(t, Config{BlockingReads: true})
	_, ok := tr.sock.(*pollSocket)
	require.True(t, ok, "with GOMAXPROCS=1 the socket stays in the poller (got %T)", tr.sock)
}

// The socket is IPv4: a destination it cannot reach fails alone; the
// messages of a batch before it go, and the error says which stopped it.
func TestBlockingSocketSendsOnlyToIPv4(t *testing.T) {
	src, dst := listenWith(t, Config{BlockingReads: true}), listen(t)
	var r receiver
	dst.Serve(r.recv)
	s := blockingOf(t, src)
	v6 := netip.MustParseAddrPort("[2001:db8::1]:9")
	require.ErrorIs(t, s.writeTo([]byte("x"), v6), errNotIPv4)

	to := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst.LocalAddr()))
	n, err := s.writeBatch([]ipv4.Message{
		{Buffers: [][]byte{[]byte("first")}, Addr: to},
		{Buffers: [][]byte{[]byte("second")}, Addr: net.UDPAddrFromAddrPort(v6)},
		{Buffers: [][]byte{[]byte("third")}, Addr: to},
	})
	require.Equal(t, 1, n, "the message before the bad one went")
	require.ErrorIs(t, err, errNotIPv4)
	n, err = s.writeBatch([]ipv4.Message{{Buffers: [][]byte{[]byte("fourth")}, Addr: &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}}})
	require.Zero(t, n)
	require.ErrorIs(t, err, errNotIPv4, "not a UDP address")
	require.Equal(t, [][]byte{[]byte("first")}, r.wait(t, 1))
}
