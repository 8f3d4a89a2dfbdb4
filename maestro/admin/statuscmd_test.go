package admin_test

import (
	"bytes"
	"errors"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/maestro/admin"
)

// TestStatusCommandLine: -h prints the help and exits 0; every kind of bad
// command line is a usage error naming what is wrong (exit 2); an
// unreachable or foreign endpoint is a plain error (exit 1).
func TestStatusCommandLine(t *testing.T) {
	var out bytes.Buffer
	err := admin.StatusCommand([]string{"-h"}, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Equal(t, 0, cli.Status("maestro status", err, &bytes.Buffer{}))
	help := out.String()
	require.True(t, strings.HasPrefix(help, "maestro status: print a running member's view"), help)
	require.Contains(t, help, "usage:\n  maestro status [-json] [-timeout D] ADDR\n")
	require.Contains(t, help, "-json")
	require.Contains(t, help, "-timeout")

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "missing ADDR"},
		{[]string{"-bogus", ":1"}, "-bogus"},
		{[]string{"-timeout", "soon", ":1"}, `invalid value "soon" for flag -timeout`},
		{[]string{"-timeout", "0s", ":1"}, "-timeout 0s: must be positive"},
		{[]string{":1", ":2"}, `unexpected argument ":2"`},
		{[]string{"nonsense"}, `ADDR "nonsense"`},
		{[]string{"http://"}, `ADDR "http://"`},
	} {
		out.Reset()
		err := admin.StatusCommand(c.args, &out)
		require.ErrorContains(t, err, c.want, "%q", c.args)
		var stderr bytes.Buffer
		require.Equal(t, 2, cli.Status("maestro status", err, &stderr), "%q: %v", c.args, err)
		require.True(t, strings.HasPrefix(stderr.String(), "maestro status: "), stderr.String())
		require.Empty(t, out.String())
	}

	// Nothing listens on a port just released.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := ln.Addr().String()
	require.NoError(t, ln.Close())
	err = admin.StatusCommand([]string{"-timeout", "2s", free}, &out)
	require.ErrorContains(t, err, free)
	require.Equal(t, 1, cli.Status("maestro status", err, &bytes.Buffer{}))

	// Something else answers: a plain error naming the URL.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }))
	defer other.Close()
	err = admin.StatusCommand([]string{other.URL}, &out)
	require.ErrorContains(t, err, other.URL+admin.StatusPath+": not a member's status")
	require.False(t, errors.As(err, new(cli.UsageError)))
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	err = admin.StatusCommand([]string{missing.URL}, &out)
	require.ErrorContains(t, err, "404")

	// A member that never answers: only -timeout ends the call (the
	// handler waits until the test is over).
	never := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-never:
		}
	}))
	defer slow.Close()
	defer close(never)
	err = admin.StatusCommand([]string{"-timeout", "100ms", slow.URL}, &out)
	require.ErrorContains(t, err, "deadline exceeded")
}

// TestHandlerRoutes: the server answers its two paths and an index, and
// refuses other methods and paths.
func TestHandlerRoutes(t *testing.T) {
	started := time.Now().Add(-time.Minute)
	srv, err := admin.Listen(":0", admin.SourceFunc(func() admin.Status {
		return admin.Status{Group: "g", Member: "127.0.0.1:7000/1", Started: started}
	}))
	require.NoError(t, err)
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.Addr(), "127.0.0.1:"), "a port alone means loopback: %s", srv.Addr())
	base := "http://" + srv.Addr()
	code := func(method, path string) int {
		req, err := http.NewRequest(method, base+path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, code("GET", "/"))
	require.Equal(t, http.StatusOK, code("GET", admin.MetricsPath))
	require.Equal(t, http.StatusOK, code("HEAD", admin.StatusPath))
	require.Equal(t, http.StatusMethodNotAllowed, code("POST", admin.StatusPath))
	require.Equal(t, http.StatusNotFound, code("GET", "/nothing"))

	var out bytes.Buffer
	require.NoError(t, admin.StatusCommand([]string{srv.Addr()}, &out))
	require.Regexp(t, `(?m)^view\s+\(none yet\)$`, out.String())
	require.Regexp(t, `(?m)^uptime\s+1m0`, out.String())
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "Close twice")
}

// TestListenAddr: the forms an admin address takes.
func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		":0": "127.0.0.1:0", ":9464": "127.0.0.1:9464", "0.0.0.0:9464": "0.0.0.0:9464",
		"[::1]:80": "[::1]:80", "localhost:1": "localhost:1",
	} {
		got, err := admin.ListenAddr(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "9464", "host", "1.2.3.4:", ":port", ":99999"} {
		_, err := admin.ListenAddr(bad)
		require.ErrorContains(t, err, `"`+bad+`"`, bad)
	}
}
