package udp

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/proctest"
	"github.com/maestro-go/maestro/stack"
)

// receiver collects what a transport receives, in order, and who sent it.
type receiver struct {
	mu   sync.Mutex
	got  [][]byte
	from []string
}

func (r *receiver) recv(batch []stack.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range batch {
		r.got = append(r.got, p.Data)
		r.from = append(r.from, p.From)
	}
}

// senders returns the distinct addresses r received from.
func (r *receiver) senders() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, f := range r.from {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// wait returns what r received once it has n datagrams, or after 10 s
// whatever it has.
func (r *receiver) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := r.got
		r.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sorted returns the datagrams as strings, sorted.
func sorted(ds [][]byte) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d))
	}
	sort.Strings(out)
	return out
}

func listen(t testing.TB) *Transport { return listenWith(t, Config{}) }

// listenWith starts a transport on an ephemeral loopback port, without
// local discovery, configured otherwise by cfg.
func listenWith(t testing.TB, cfg Config) *Transport {
	t.Helper()
	cfg.Listen, cfg.NoLocalDiscovery = "127.0.0.1:0", true
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// SendBatch delivers every datagram to every address it names — more than
// one system call's worth — and goes on past one it cannot send.
func TestSendBatchSendsEveryDatagramAndSkipsFailures(t *testing.T) {
	src, a, b := listen(t), listen(t), listen(t)
	var ra, rb receiver
	a.Serve(ra.recv)
	b.Serve(rb.recv)
	var ds []stack.Datagram
	for i := 0; i < maxBatch; i++ {
		ds = append(ds, stack.Datagram{To: []string{a.LocalAddr(), b.LocalAddr()}, Data: []byte{'m', byte('0' + i/10), byte('0' + i%10)}})
	}
	ds = append(ds, stack.Datagram{To: []string{"not an address"}, Data: []byte("lost")})
	ds = append(ds, stack.Datagram{To: []string{a.LocalAddr()}, Data: []byte("only-a")})
	if err := src.SendBatch(ds); err == nil {
		t.Fatal("an unresolvable address was not reported")
	}
	gotA, gotB := sorted(ra.wait(t, maxBatch+1)), sorted(rb.wait(t, maxBatch))
	if len(gotA) != maxBatch+1 || gotA[maxBatch] != "only-a" {
		t.Fatalf("a received %d datagrams: %v", len(gotA), gotA)
	}
	if len(gotB) != maxBatch || gotB[0] != "m00" || gotB[maxBatch-1] != "m63" {
		t.Fatalf("b received %v", gotB)
	}
}

// A second batch reuses the first one's messages: SendBatch allocates
// nothing of its own per datagram once warm.
func TestSendBatchReusesItsMessages(t *testing.T) {
	src, a, b := listen(t), listen(t), listen(t)
	var ra, rb receiver
	a.Serve(ra.recv)
	b.Serve(rb.recv)
	ds := []stack.Datagram{{To: []string{a.LocalAddr(), b.LocalAddr()}, Data: []byte("one")}, {To: []string{a.LocalAddr()}, Data: []byte("two")}}
	if err := src.SendBatch(ds); err != nil {
		t.Fatal(err)
	}
	before := &src.plan.ms[:1][0]
	if err := src.SendBatch(ds[1:]); err != nil {
		t.Fatal(err)
	}
	if after := &src.plan.ms[:1][0]; after != before || after.Buffers[:1][0] != nil || after.Addr != nil {
		t.Fatal("the batch's messages were not kept, or still hold the last datagram")
	}
	if got := sorted(ra.wait(t, 3)); len(got) != 3 || got[0] != "one" || got[2] != "two" {
		t.Fatalf("a received %v", got)
	}
}

// A transport gets the receive buffer it asks for, past the system's cap
// (net.core.rmem_max: 212,992 bytes on a stock Debian, 4 MiB on some
// machines) when it may (CAP_NET_ADMIN, as the tests run), and reports it.
func TestReceiveBufferIsWhatWasGranted(t *testing.T) {
	const want = 8 << 20
	tr, err := New(Config{Listen: "127.0.0.1:0", NoLocalDiscovery: true, ReadBuffer: want})
	require.NoError(t, err)
	defer tr.Close()
	require.Equal(t, want, tr.ReceiveBuffer())
}

// A process that may not pass the system's cap (here nobody, with no
// capabilities, asking for more than net.core.rmem_max) gets less, says
// so with the line to run, and reports what it got.
func TestCappedReceiveBufferWarnsAndIsReported(t *testing.T) {
	if !proctest.Unprivileged(t) {
		return
	}
	require.Equal(t, 65534, os.Geteuid(), "runs as nobody")
	const asked = 64 << 20 // beyond any cap a host sets
	var logs bytes.Buffer
	tr, err := New(Config{Listen: "127.0.0.1:0", NoLocalDiscovery: true, ReadBuffer: asked,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	defer tr.Close()
	got := tr.ReceiveBuffer()
	require.Positive(t, got)
	require.Less(t, got, asked)
	require.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
	require.Contains(t, logs.String(), "UDP receive buffer is smaller than asked for")
	require.Contains(t, logs.String(), fmt.Sprintf("granted=%d asked=%d", got, asked))
	require.Contains(t, logs.String(), fmt.Sprintf("sysctl -w net.core.rmem_max=%d", asked))
}
