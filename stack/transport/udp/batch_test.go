package udp

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/stack"
)

// receiver collects what a transport receives.
type receiver struct {
	mu  sync.Mutex
	got []string
}

func (r *receiver) recv(batch []stack.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range batch {
		r.got = append(r.got, string(p.Data))
	}
}

func (r *receiver) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := append([]string(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			sort.Strings(got)
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %v, want %d datagrams", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listen(t *testing.T) *Transport {
	t.Helper()
	tr, err := New(Config{Listen: "127.0.0.1:0", NoLocalDiscovery: true})
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
	gotA, gotB := ra.wait(t, maxBatch+1), rb.wait(t, maxBatch)
	if len(gotA) != maxBatch+1 || gotA[maxBatch] != "only-a" {
		t.Fatalf("a received %d datagrams, last %q", len(gotA), gotA[len(gotA)-1])
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
	if got := ra.wait(t, 3); got[0] != "one" || got[2] != "two" {
		t.Fatalf("a received %v", got)
	}
}
