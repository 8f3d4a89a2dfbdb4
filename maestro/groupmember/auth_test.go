package groupmember

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

func TestKeyOptions(t *testing.T) {
	t.Setenv(auth.EnvVar, "")
	opts := testOptions(t)
	opts.Properties = "Gmp:Sync:Heal:Frag:Suspect:Flow:Total:Auth"
	_, err := New(opts, nil)
	require.ErrorIs(t, err, ErrNoKey)
	opts.Properties = "Gmp:Sync:Heal:Frag:Suspect:Flow:Total:Privacy"
	_, err = New(opts, nil)
	require.ErrorIs(t, err, ErrNoKey)

	path := filepath.Join(t.TempDir(), "group.key")
	_, err = auth.WriteKeyFile(path)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o640))
	opts.KeyFile = path
	_, err = New(opts, nil)
	require.ErrorIs(t, err, auth.ErrKeyFileMode)
	require.Contains(t, err.Error(), "chmod 600 "+path)
	require.NoError(t, os.Chmod(path, 0o600))
	m, err := New(opts, nil)
	require.NoError(t, err)
	require.True(t, m.pr.Has("Auth") && m.pr.Has("Privacy"))

	// A key in the environment turns Auth on, for members that name none.
	k, err := auth.GenerateKey()
	require.NoError(t, err)
	t.Setenv(auth.EnvVar, k.Hex())
	env := testOptions(t)
	ms, _ := join(t, env, 2)
	waitView(t, ms, 2)
	require.True(t, ms[0].pr.Has("Auth"))
	plain, err := New(env, nil)
	require.NoError(t, err)
	require.NoError(t, plain.SetKeys(auth.Keys{Seal: k}))
}

// keyedOptions are test options with a fresh key.
func keyedOptions(t *testing.T) (Options, auth.Key) {
	t.Setenv(auth.EnvVar, "")
	k, err := auth.GenerateKey()
	require.NoError(t, err)
	opts := testOptions(t)
	opts.Key = k
	return opts, k
}

// The group rolls to a new key in three steps while every member casts:
// no view changes, every cast is delivered everywhere, and afterwards a
// member holding only the old key cannot join.
func TestKeyRollWhileCasting(t *testing.T) {
	opts, old := keyedOptions(t)
	ms, rs := join(t, opts, 3)
	waitView(t, ms, 3)
	view := ms[0].View().ID
	next, err := auth.GenerateKey()
	require.NoError(t, err)

	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 2000; k++ {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				require.NoError(t, m.Cast(message.New().PutString(fmt.Sprintf("m%d-%d", i, k))))
				sent.Add(1)
			}
		}()
	}
	for _, step := range []auth.Keys{{Seal: old, Accept: []auth.Key{next}}, {Seal: next, Accept: []auth.Key{old}}, {Seal: next}} {
		for _, m := range ms {
			require.NoError(t, m.SetKeys(step))
			time.Sleep(100 * time.Millisecond) // members move one at a time
		}
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	waitForCasts(t, rs, int(sent.Load()), 20*time.Second, "casts lost during the roll")
	for i, m := range ms {
		require.Equal(t, view, m.View().ID, "member %d changed view during the roll", i)
		require.Equal(t, int(sent.Load()), rs[i].castCount())
	}

	stale := opts
	stale.Key = old
	sm, err := New(stale, nil)
	require.NoError(t, err)
	require.NoError(t, sm.Join(context.Background()))
	t.Cleanup(func() { sm.Close() })
	time.Sleep(time.Second) // several gossip rounds and suspect timeouts
	require.Len(t, sm.View().Members, 1, "a member with the dropped key joined")
	require.Len(t, ms[0].View().Members, 3)
	require.Positive(t, ms[0].Metrics().Drops["auth"])
}

// tap records every datagram a transport sends.
type tap struct {
	stack.Transport
	mu   sync.Mutex
	sent []sentDatagram
}

type sentDatagram struct {
	to  string
	pkt []byte
}

func (t *tap) record(to string, pkt []byte) {
	t.mu.Lock()
	t.sent = append(t.sent, sentDatagram{to, append([]byte(nil), pkt...)})
	t.mu.Unlock()
}

func (t *tap) SendTo(addr string, pkt []byte) error {
	t.record(addr, pkt)
	return t.Transport.SendTo(addr, pkt)
}

func (t *tap) Multicast(addrs []string, pkt []byte) error {
	for _, a := range addrs {
		t.record(a, pkt)
	}
	return t.Transport.Multicast(addrs, pkt)
}

// Every datagram a keyed group sent over UDP, captured and replayed to
// every member from another socket, changes nothing: no delivery, no view
// change; the replays are counted.
func TestReplayOverUDPChangesNothing(t *testing.T) {
	opts, _ := keyedOptions(t)
	var mu sync.Mutex
	var taps []*tap
	opts.Transport = func(o Options) (stack.Transport, error) {
		tr, err := udp.New(udp.Config{Group: o.Group, PortBase: o.PortBase, PortCount: o.PortCount})
		if err != nil {
			return nil, err
		}
		tp := &tap{Transport: tr}
		mu.Lock()
		taps = append(taps, tp)
		mu.Unlock()
		return tp, nil
	}
	ms, rs := join(t, opts, 3)
	waitView(t, ms, 3)
	for i, m := range ms {
		for k := 0; k < 20; k++ {
			require.NoError(t, m.Cast(message.New().PutString(fmt.Sprintf("m%d-%d", i, k))))
		}
		require.NoError(t, m.Send(ms[(i+1)%3].View().Me, message.New().PutString(fmt.Sprintf("s%d", i))))
	}
	waitForCasts(t, rs, 60, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	view := ms[0].View().ID
	counts := func() (out []string) {
		for _, r := range rs {
			r.mu.Lock()
			out = append(out, fmt.Sprint(len(r.casts), len(r.sends), len(r.views)))
			r.mu.Unlock()
		}
		return out
	}
	before := counts()

	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer conn.Close()
	var captured []sentDatagram
	mu.Lock()
	for _, tp := range taps {
		tp.mu.Lock()
		captured = append(captured, tp.sent...)
		tp.mu.Unlock()
	}
	mu.Unlock()
	require.NotEmpty(t, captured)
	var addrs []*net.UDPAddr
	for _, m := range ms {
		ep, err := stack.ParseEndpID(m.View().Me)
		require.NoError(t, err)
		a, err := net.ResolveUDPAddr("udp4", ep.Addr)
		require.NoError(t, err)
		addrs = append(addrs, a)
	}
	for i, d := range captured {
		_, err := conn.WriteToUDP(d.pkt, addrs[i%len(addrs)]) // to its recipient or another
		require.NoError(t, err)
		if i%64 == 63 {
			time.Sleep(time.Millisecond) // within the sockets' buffers
		}
	}
	time.Sleep(time.Second)
	require.Equal(t, before, counts(), "replayed datagrams were delivered")
	var drops uint64
	for _, m := range ms {
		require.Equal(t, view, m.View().ID)
		d := m.Metrics().Drops
		drops += d["auth-replay"] + d["auth"]
	}
	require.Positive(t, drops)
	t.Logf("replayed %d datagrams; drops %v", len(captured), ms[0].Metrics().Drops)
}

// A member without Auth says once, in one warning, that it can be reached
// beyond loopback (or by IP multicast) unauthenticated; on loopback, or
// with a key, it says nothing.
func TestWarnsWhenReachableWithoutAuth(t *testing.T) {
	warnings := func(opts Options, local string) []string {
		t.Helper()
		var mu sync.Mutex
		var got []string
		opts.Logger = slog.New(&recordHandler{record: func(r slog.Record) {
			mu.Lock()
			got = append(got, r.Level.String()+" "+r.Message)
			mu.Unlock()
		}})
		m, err := New(opts, nil)
		require.NoError(t, err)
		m.warnUnauthenticated(local)
		return got
	}
	opts := testOptions(t)
	t.Setenv(auth.EnvVar, "")
	require.Empty(t, warnings(opts, "127.0.0.1:7400"))
	w := warnings(opts, "10.1.2.3:7400")
	require.Len(t, w, 1)
	require.Contains(t, w[0], "WARN group runs WITHOUT authentication on a non-loopback address")
	mc := opts
	mc.Multicast = "239.192.0.1:7446"
	w = warnings(mc, "127.0.0.1:7400")
	require.Len(t, w, 1)
	require.Contains(t, w[0], "WITHOUT authentication with IP multicast")
	keyed, _ := keyedOptions(t)
	require.Empty(t, warnings(keyed, "10.1.2.3:7400"))
}

// recordHandler is a slog.Handler that hands every record to a function.
type recordHandler struct{ record func(slog.Record) }

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.record(r)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }
