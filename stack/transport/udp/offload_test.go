package udp

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"

	"github.com/maestro-go/maestro/stack"
)

// The planner joins each address's consecutive datagrams into runs of
// the first one's size, ended by a shorter datagram or by the limits of
// one offloaded send, and keeps each address's order.
func TestPlannerJoinsEachAddressRuns(t *testing.T) {
	a, b := &net.UDPAddr{Port: 1}, &net.UDPAddr{Port: 2}
	dg := func(tag byte, n int) []byte { return bytes.Repeat([]byte{tag}, n) }
	p := planner{gso: true}
	p.add(dg('1', 100), a)
	p.add(dg('x', 100), b)
	p.add(dg('2', 100), a)
	p.add(dg('y', 40), b) // short: ends b's run
	p.add(dg('3', 60), a) // short: ends a's run
	p.add(dg('z', 40), b)
	p.add(dg('4', 100), a) // larger than the run's segments: a new run
	ms := p.finish(func(size int) []byte { return []byte(fmt.Sprint(size)) })
	type msg struct {
		to   net.Addr
		tags string
		oob  string
	}
	var got []msg
	for _, m := range ms {
		var tags []byte
		for _, d := range m.Buffers {
			tags = append(tags, d[0])
		}
		got = append(got, msg{m.Addr, string(tags), string(m.OOB)})
	}
	require.Equal(t, []msg{
		{a, "123", "100"},
		{b, "xy", "100"},
		{b, "z", ""},
		{a, "4", ""},
	}, got)

	p.reset()
	require.Empty(t, p.ms)
	for i := 0; i < maxSegments+1; i++ {
		p.add(dg('s', 10), a)
	}
	ms = p.finish(segmentControl)
	require.Len(t, ms, 2, "at most maxSegments datagrams a run")
	require.Len(t, ms[0].Buffers, maxSegments)

	p.reset()
	for i := 0; i < 3; i++ {
		p.add(dg('b', 30000), a)
	}
	require.Len(t, p.finish(segmentControl), 2, "at most maxRun bytes a run")

	p.reset()
	p.gso = false
	for i := 0; i < 3; i++ {
		p.add(dg('n', 10), a)
	}
	for _, m := range p.finish(segmentControl) {
		require.Len(t, m.Buffers, 1, "without offload, a message a datagram")
		require.Nil(t, m.OOB)
	}
}

// numbered returns n datagrams of size bytes (the last one short),
// numbered so that their order shows.
func numbered(n, size int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		d := bytes.Repeat([]byte{byte(i)}, size)
		if i == n-1 {
			d = d[:size/2]
		}
		copy(d, fmt.Sprintf("%04d", i))
		out = append(out, d)
	}
	return out
}

// sendAll sends ds to dest in batches of 100, as the Stack's sender does.
func sendAll(t *testing.T, src *Transport, dest string, ds [][]byte) {
	t.Helper()
	for len(ds) > 0 {
		k := min(100, len(ds))
		var batch []stack.Datagram
		for _, d := range ds[:k] {
			batch = append(batch, stack.Datagram{To: []string{dest}, Data: d})
		}
		require.NoError(t, src.SendBatch(batch))
		ds = ds[k:]
	}
}

// On Linux, runs of datagrams go offloaded and come back cut into the
// datagrams they were, intact and in order, whether the sockets wait in the
// poller or in blocking system calls.
func TestOffloadedRunsArriveAsTheirDatagrams(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		t.Run(fmt.Sprintf("blocking=%v", blocking), func(t *testing.T) {
			src, dst := listenWith(t, Config{BlockingReads: blocking}), listenWith(t, Config{BlockingReads: blocking})
			if runtime.GOOS == "linux" {
				require.True(t, src.gso.Load(), "the kernel offers UDP GSO")
			}
			var r receiver
			dst.Serve(r.recv)
			want := numbered(300, 1200)
			sent := 0
			src.writeBatch = func(ms []ipv4.Message) (int, error) {
				for _, m := range ms {
					if len(m.Buffers) > 1 {
						sent++
					}
				}
				return src.sock.writeBatch(ms)
			}
			sendAll(t, src, dst.LocalAddr(), want)
			got := r.wait(t, len(want))
			require.Equal(t, want, got)
			if runtime.GOOS == "linux" {
				require.Positive(t, sent, "runs were offloaded")
				require.Positive(t, dst.runsRead.Load(), "runs were received whole (GRO) and cut")
			}
		})
	}
}

// A kernel or device that refuses offloaded sends (EIO without checksum
// offload) turns offload off: the refused run and every datagram after it
// go one by one, and none is lost.
func TestRefusedOffloadFallsBackToSingleDatagrams(t *testing.T) {
	src, dst := listen(t), listen(t)
	src.gso.Store(true)
	var r receiver
	dst.Serve(r.recv)
	refused := 0
	src.writeBatch = func(ms []ipv4.Message) (int, error) {
		for i, m := range ms {
			if len(m.Buffers) > 1 {
				refused++
				n, err := src.sock.writeBatch(ms[:i])
				if err != nil {
					return n, err
				}
				return i, fmt.Errorf("sendmmsg: %w", syscall.EIO)
			}
		}
		return src.sock.writeBatch(ms)
	}
	want := numbered(250, 1000)
	sendAll(t, src, dst.LocalAddr(), want)
	require.Equal(t, want, r.wait(t, len(want)))
	require.Equal(t, 1, refused, "offload was tried once, then not again")
	require.False(t, src.gso.Load())
}

// NoOffload sends a message a datagram.
func TestNoOffloadSendsDatagramsOneByOne(t *testing.T) {
	src, err := New(Config{Listen: "127.0.0.1:0", NoLocalDiscovery: true, NoOffload: true})
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })
	dst := listen(t)
	require.False(t, src.gso.Load())
	var r receiver
	dst.Serve(r.recv)
	src.writeBatch = func(ms []ipv4.Message) (int, error) {
		for _, m := range ms {
			require.Len(t, m.Buffers, 1)
		}
		return src.sock.writeBatch(ms)
	}
	want := numbered(120, 800)
	sendAll(t, src, dst.LocalAddr(), want)
	require.Equal(t, want, r.wait(t, len(want)))
}

// Cutting a run gives back every byte, in datagrams of at most the
// segment size, only the last one shorter.
func FuzzSegments(f *testing.F) {
	f.Add([]byte("abcdefghij"), 3)
	f.Add([]byte{}, 0)
	f.Add([]byte("x"), -1)
	f.Fuzz(func(t *testing.T, b []byte, seg int) {
		var parts [][]byte
		segments(b, seg, func(d []byte) { parts = append(parts, d) })
		require.True(t, bytes.Equal(b, bytes.Join(parts, nil)), "every byte, in order")
		for i, d := range parts {
			if seg > 0 && seg < len(b) {
				require.LessOrEqual(t, len(d), seg)
				if i < len(parts)-1 {
					require.Len(t, d, seg)
				}
			}
		}
	})
}

// A send the kernel fails as a whole (sendmmsg returns -1 with an error
// other than a refused offload: an unreachable network, say) skips the
// message that failed and sends the rest, whether it was a run or not.
func TestFailedSendSkipsOnlyTheMessageThatFailed(t *testing.T) {
	src, dst := listen(t), listen(t)
	var r receiver
	dst.Serve(r.recv)
	for _, gso := range []bool{true, false} {
		src.gso.Store(gso)
		failed := false
		src.writeBatch = func(ms []ipv4.Message) (int, error) {
			if !failed {
				failed = true
				return -1, fmt.Errorf("sendmmsg: %w", syscall.ENETUNREACH)
			}
			return src.sock.writeBatch(ms)
		}
		var batch []stack.Datagram
		batch = append(batch, stack.Datagram{To: []string{dst.LocalAddr()}, Data: []byte("lost")})
		batch = append(batch, stack.Datagram{To: []string{"127.0.0.1:1"}, Data: []byte("elsewhere, and longer")})
		batch = append(batch, stack.Datagram{To: []string{dst.LocalAddr()}, Data: []byte("kept, as it is longer")})
		require.ErrorIs(t, src.SendBatch(batch), syscall.ENETUNREACH)
		require.True(t, failed)
	}
	got := r.wait(t, 2)
	require.Len(t, got, 2)
	for _, d := range got {
		require.Equal(t, "kept, as it is longer", string(d))
	}
}
