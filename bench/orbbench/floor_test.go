package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// The relay sends each datagram once to every reader.
func TestRelaySendsToEveryReader(t *testing.T) {
	var readers []*net.UDPConn
	var addrs string
	for range 2 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		defer c.Close()
		readers = append(readers, c)
		if addrs != "" {
			addrs += ","
		}
		addrs += c.LocalAddr().String()
	}
	for _, async := range []bool{false, true} {
		r, err := newRelay(addrs, async)
		require.NoError(t, err)
		want := []string{"one", "two"}
		for i := range 100 {
			want = append(want, fmt.Sprint(i))
		}
		for _, v := range want {
			require.NoError(t, r.relayValue([]byte(v)))
		}
		buf := make([]byte, 100)
		for _, c := range readers {
			for _, w := range want {
				require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
				n, err := c.Read(buf)
				require.NoError(t, err)
				require.Equal(t, w, string(buf[:n]), "async %v", async)
			}
		}
	}
	_, err := newRelay("not an address", false)
	require.Error(t, err)
}

// The floor servers run as processes the way -ru starts them, answer
// set_value and get_value, and count their readers' CPU.
func TestFloorServersAnswer(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cfg := &config{giop: "1.2", readMode: "default", serveEnv: append(os.Environ(), "ORBBENCH_TEST_SERVE=1")}
	targets, stop, err := floorTargets(ctx, cfg, exe, t.TempDir())
	defer stop()
	require.NoError(t, err)
	require.Len(t, targets, 3)
	require.Equal(t, "Simple ORB", targets[0].name)
	require.Len(t, targets[0].pids, 1)
	require.Equal(t, "Simple+UDP 2", targets[1].name)
	require.Len(t, targets[1].pids, 1+floorReaders, "the server and its readers")
	require.Equal(t, "Simple+UDP 2 after", targets[2].name)
	require.Len(t, targets[2].pids, 1+floorReaders)
	c := iiop.NewClient(iiop.ClientOptions{})
	defer c.Close()
	for _, tg := range targets {
		b, err := os.ReadFile(tg.iors[0])
		require.NoError(t, err)
		ref, err := iiop.ParseIOR(string(b))
		require.NoError(t, err)
		_, err = c.Invoke(ctx, ref, "_set_value", func(e *iiop.Encoder) { e.WriteString(tg.name) })
		require.NoError(t, err, tg.name)
		rep, err := c.Invoke(ctx, ref, "_get_value", nil)
		require.NoError(t, err, tg.name)
		d := rep.Body.Decoder()
		require.Equal(t, tg.name, d.ReadString())
		require.NoError(t, d.Err())
	}
}
