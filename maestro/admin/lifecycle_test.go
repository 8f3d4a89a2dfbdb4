package admin_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/admin"
	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
)

// TestBadAdminAddr: an address that is not host:port is refused by New;
// one that cannot be bound is a Join error naming it, and leaves the
// member not joined (and able to join once the address is free).
func TestBadAdminAddr(t *testing.T) {
	o := testOptions(t)
	o.AdminAddr = "nonsense"
	_, err := groupmember.New(o, nil)
	require.ErrorContains(t, err, "AdminAddr")
	require.ErrorContains(t, err, `"nonsense"`)

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o.AdminAddr = taken.Addr().String()
	m, err := groupmember.New(o, nil)
	require.NoError(t, err)
	err = m.Join(context.Background())
	require.ErrorContains(t, err, o.AdminAddr)
	require.ErrorContains(t, err, "join")
	require.Empty(t, m.AdminAddr())
	require.Empty(t, m.ID(), "a failed Join leaves no stack behind")
	require.ErrorIs(t, m.Cast(message.New()), groupmember.ErrNotJoined)

	require.NoError(t, taken.Close())
	require.NoError(t, m.Join(context.Background()))
	t.Cleanup(func() { m.Close() })
	require.Equal(t, o.AdminAddr, m.AdminAddr())
}

// TestAdminStopsWithMember: the endpoint serves while the member is
// joined and its port is free again after Close, and after Leave; a port
// alone (":0") means loopback.
func TestAdminStopsWithMember(t *testing.T) {
	o := testOptions(t)
	o.AdminAddr = ":0"
	m, err := groupmember.New(o, nil)
	require.NoError(t, err)
	require.Empty(t, m.AdminAddr(), "before Join")
	leave := func() error { return m.Leave(context.Background()) }
	for _, stop := range []func() error{m.Close, leave} {
		require.NoError(t, m.Join(context.Background()))
		addr := m.AdminAddr()
		require.Regexp(t, `^127\.0\.0\.1:\d+$`, addr)
		resp, err := http.Get("http://" + addr + admin.StatusPath)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		require.NoError(t, stop())
		require.Empty(t, m.AdminAddr())
		ln, err := net.Listen("tcp", addr)
		require.NoError(t, err, "the admin port is still taken after the member stopped")
		require.NoError(t, ln.Close())
	}
}

// TestClSvRole: a client/server member's status says its role, which
// follows the member from client to server.
func TestClSvRole(t *testing.T) {
	o := testOptions(t)
	m, err := clsv.New(clsv.Options{Options: o, Mode: clsv.Server}, nil)
	require.NoError(t, err)
	require.NoError(t, m.Join(context.Background()))
	t.Cleanup(func() { m.Close() })
	require.Equal(t, "client", m.Status().Role, "a member starts as a client")
	require.Eventually(t, func() bool {
		return statusOf(t, m.AdminAddr()).Role == "server"
	}, 10*time.Second, 20*time.Millisecond)
}

// statusOf GETs and decodes the status served at addr.
func statusOf(t *testing.T, addr string) admin.Status {
	t.Helper()
	resp, err := http.Get("http://" + addr + admin.StatusPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var s admin.Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}
