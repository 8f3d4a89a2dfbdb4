package orb

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/admin"
)

// TestRUAdminStatus: a replica's admin endpoint (Group.AdminAddr) says it
// is a server and serving once it is, and stops with the ORB.
func TestRUAdminStatus(t *testing.T) {
	g := newRUGroup(t, ReplicatedUpdatesOptions{})
	g.opts.Group.AdminAddr = "127.0.0.1:0"
	r := g.start()
	g.waitServing(r)
	addr := r.orb.AdminAddr()
	require.NotEmpty(t, addr)
	resp, err := http.Get("http://" + addr + admin.StatusPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	var s admin.Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	require.Equal(t, "server", s.Role)
	require.NotNil(t, s.Serving)
	require.True(t, *s.Serving)
	require.Equal(t, g.name, s.Group)
	require.NoError(t, r.orb.Close())
	_, err = http.Get("http://" + addr + admin.StatusPath)
	require.Error(t, err, "the endpoint outlived the ORB")
}
