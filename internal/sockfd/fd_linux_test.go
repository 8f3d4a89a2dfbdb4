package sockfd

import (
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func listen(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	return c
}

// A detached socket is in blocking mode and still bound where the
// connection was; the connection itself is closed.
func TestDetachTakesTheSocketOver(t *testing.T) {
	c := listen(t)
	addr := c.LocalAddr().(*net.UDPAddr)
	f, err := Detach(c, nil)
	require.NoError(t, err)
	defer f.Close()
	_, err = c.Write([]byte("x"))
	require.True(t, errors.Is(err, net.ErrClosed), "the connection is closed")

	fd, ok := f.Acquire()
	require.True(t, ok)
	defer f.Release()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	require.NoError(t, err)
	require.Zero(t, flags&unix.O_NONBLOCK, "blocking mode")
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	require.Equal(t, addr.Port, sa.(*unix.SockaddrInet4).Port)
}

// When setup fails, the connection is left open and working.
func TestDetachLeavesTheConnectionOnError(t *testing.T) {
	c := listen(t)
	defer c.Close()
	boom := errors.New("boom")
	_, err := Detach(c, func(int) error { return boom })
	require.ErrorIs(t, err, boom)
	_, err = c.WriteToUDP([]byte("x"), c.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err, "the connection still sends")
}

// Close refuses new calls at once, but the descriptor stays open until
// the last call holding it lets go; a second Close reports false.
func TestCloseWaitsForTheLastReference(t *testing.T) {
	f, err := Detach(listen(t), nil)
	require.NoError(t, err)
	fd, ok := f.Acquire()
	require.True(t, ok)
	require.True(t, f.Close())
	require.True(t, f.Closed())
	_, ok = f.Acquire()
	require.False(t, ok, "no new call after Close")
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err, "still open while a call holds it")
	require.Equal(t, 1, f.Refs())
	f.Release()
	require.Zero(t, f.Refs())
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.ErrorIs(t, err, unix.EBADF, "closed by the last release")
	require.False(t, f.Close(), "a second Close")
	_, err = f.Dup()
	require.ErrorIs(t, err, net.ErrClosed)
}

// Forget lets go of the descriptor without shutting the socket down: a
// duplicate taken before still sends.
func TestForgetKeepsTheSocketUp(t *testing.T) {
	c := listen(t)
	to := c.LocalAddr().(*net.UDPAddr)
	f, err := Detach(c, nil)
	require.NoError(t, err)
	dup, err := f.Dup()
	require.NoError(t, err)
	defer unix.Close(dup)
	f.Forget()
	require.True(t, f.Closed())
	require.NoError(t, unix.Sendto(dup, []byte("x"), 0, &unix.SockaddrInet4{Port: to.Port, Addr: [4]byte{127, 0, 0, 1}}))
	buf := make([]byte, 8)
	n, _, err := unix.Recvfrom(dup, buf, 0)
	require.NoError(t, err)
	require.Equal(t, "x", string(buf[:n]), "not shut down")
}
