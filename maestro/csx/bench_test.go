package csx

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/message"
)

// portion is how much state one GetState fetches.
const portion = 1 << 20

// bigState serves and fetches a state of a given size in portions.
type bigState struct {
	Callbacks
	m     *Member
	state []byte // the state served (servers) or received (joiners)
	want  int    // joiners: the size to fetch
	done  chan time.Duration
}

func (s *bigState) AskState(origin EndpID, id XferID, req *message.Message) {
	off, n := req.GetInt64(), req.GetInt64()
	if req.Err() != nil || off < 0 || n < 0 || off+n > int64(len(s.state)) {
		return
	}
	_ = s.m.SendState(origin, id, message.New().PutBytes(s.state[off:off+n]))
}

func (s *bigState) StateTransfer(id XferID) {
	start := time.Now()
	size := int64(s.want)
	got := make([]byte, 0, size)
	for off := int64(0); off < size; off += portion {
		n := min(portion, size-off)
		st, err := s.m.GetState(context.Background(), id, message.New().PutInt64(off).PutInt64(n))
		if err != nil {
			return
		}
		got = append(got, st.GetBytes()...)
	}
	if int64(len(got)) != size || s.m.XferDone(id) != nil {
		return
	}
	s.state = got
	s.done <- time.Since(start)
}

// BenchmarkStateTransfer measures how long a joining server takes to pull
// a state of 1 KiB, 1 MiB and 64 MiB, in 1 MiB portions, from a server over
// UDP loopback (both members in this process), and how much the heap grows
// while it does (both sides together).
func BenchmarkStateTransfer(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}, {"64MiB", 64 << 20}} {
		b.Run(size.name, func(b *testing.B) { benchTransfer(b, size.n) })
	}
}

func benchTransfer(b *testing.B, size int) {
	t := &testing.T{}
	o := udpOptions(t)
	o.Group = b.Name()
	o.Xfer = clsv.Atomic
	server := &bigState{state: make([]byte, size), done: make(chan time.Duration, 1)}
	for i := range server.state {
		server.state[i] = byte(i * 7)
	}
	m, err := New(o, server)
	if err != nil {
		b.Fatal(err)
	}
	server.m = m
	if err := m.Join(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	waitRole(b, m, clsv.StateServer, 1)

	var total time.Duration
	var peak uint64
	for i := 0; i < b.N; i++ {
		j := &bigState{want: size, done: make(chan time.Duration, 1)}
		jm, err := New(o, j)
		if err != nil {
			b.Fatal(err)
		}
		j.m = jm
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var maxHeap atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > maxHeap.Load() {
					maxHeap.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		if err := jm.Join(context.Background()); err != nil {
			b.Fatal(err)
		}
		select {
		case d := <-j.done:
			total += d
		case <-time.After(2 * time.Minute):
			b.Fatal("transfer did not finish")
		}
		close(stop)
		wg.Wait()
		if g := maxHeap.Load() - min(maxHeap.Load(), base.HeapInuse); g > peak {
			peak = g
		}
		_ = jm.Leave(context.Background())
		waitRole(b, m, clsv.StateServer, 1)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/transfer")
	b.ReportMetric(float64(size)*float64(b.N)/total.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-growth-MiB")
	b.ReportMetric(0, "ns/op")
}

// waitRole waits until m has the role in a view of n servers.
func waitRole(b *testing.B, m *Member, st clsv.State, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := m.View()
		if v != nil && v.MyState == st && len(v.Servers) == n && len(v.Members) == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("no view with %d servers", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
