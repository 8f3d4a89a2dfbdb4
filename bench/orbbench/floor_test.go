package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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
	require.Len(t, targets, 4)
	require.Equal(t, "Simple ORB", targets[0].name)
	require.Len(t, targets[0].pids, 1)
	require.Equal(t, "Simple+UDP 2", targets[1].name)
	require.Len(t, targets[1].pids, 1+floorReaders, "the server and its readers")
	require.Equal(t, "Simple+UDP 2 after", targets[2].name)
	require.Len(t, targets[2].pids, 1+floorReaders)
	require.Equal(t, "Simple+UDP 2 acked", targets[3].name)
	require.Len(t, targets[3].pids, 1+floorReaders, "the server and readers of its own")
	require.NotEqual(t, targets[1].pids[1:], targets[3].pids[1:])
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

// The acknowledged relay sends each value, numbered, to every reader, and
// returns only once a reader acknowledges that number or a later one; a
// stale acknowledgement, or none, ends in an error once ackTimeout passes.
func TestAckedRelayWaitsForItsAcknowledgement(t *testing.T) {
	var readers []*net.UDPConn
	var addrs []string
	for range 2 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		defer c.Close()
		readers = append(readers, c)
		addrs = append(addrs, c.LocalAddr().String())
	}
	r, err := newAckedRelay(strings.Join(addrs, ","))
	require.NoError(t, err)
	defer r.fd.Close()
	// read takes what reader i got and returns its sequence number and
	// sender.
	read := func(i int, want string) (uint64, *net.UDPAddr) {
		buf := make([]byte, 100)
		require.NoError(t, readers[i].SetReadDeadline(time.Now().Add(10*time.Second)))
		n, from, err := readers[i].ReadFromUDP(buf)
		require.NoError(t, err)
		require.GreaterOrEqual(t, n, seqSize)
		require.Equal(t, want, string(buf[seqSize:n]))
		return binary.LittleEndian.Uint64(buf), from
	}
	ack := func(i int, seq uint64, to *net.UDPAddr) {
		_, err := readers[i].WriteToUDP(binary.LittleEndian.AppendUint64(nil, seq), to)
		require.NoError(t, err)
	}
	for _, v := range []string{"one", "two"} {
		done := make(chan error, 1)
		go func() { done <- r.relayValue([]byte(v)) }()
		s0, from := read(0, v)
		s1, _ := read(1, v)
		require.Equal(t, s0, s1, "one number for every reader")
		ack(0, s0-1, from)
		ack(1, s0, from)
		require.NoError(t, <-done)
	}

	old := ackTimeout
	ackTimeout = 200 * time.Millisecond
	defer func() { ackTimeout = old }()
	r2, err := newAckedRelay(strings.Join(addrs, ","))
	require.NoError(t, err)
	defer r2.fd.Close()
	done := make(chan error, 1)
	go func() { done <- r2.relayValue([]byte("three")) }()
	s, from := read(0, "three")
	read(1, "three")
	ack(0, s-1, from)
	require.ErrorContains(t, <-done, "waiting for an acknowledgement", "a stale acknowledgement does not do")
	_, err = newAckedRelay("not an address")
	require.Error(t, err)
}

// An acknowledging reader answers each source once per batch, with the
// highest number it read from it, and ignores runts.
func TestAckerAnswersEachSourceItsHighest(t *testing.T) {
	a := &acker{}
	x := unix.RawSockaddrInet4{Family: unix.AF_INET, Port: 1}
	y := unix.RawSockaddrInet4{Family: unix.AF_INET, Port: 2}
	num := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	a.note(x, num(3))
	a.note(y, num(1))
	a.note(x, num(5))
	a.note(x, num(4))
	a.note(y, []byte{9})
	require.Equal(t, []unix.RawSockaddrInet4{x, y}, a.to)
	require.Equal(t, []uint64{5, 1}, a.seqs)
}
