package stack_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/props"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

// gate holds a transport's send of a marked datagram until released (a
// transport busy sending it) and counts the datagrams sent after the
// release.
type gate struct {
	mu       sync.Mutex
	held     chan struct{}
	marker   []byte
	waiting  bool // the marked send is held
	counting bool
	sent     int
}

// arm makes the next send whose datagrams hold marker, and every send
// after it, wait for release. Sends before it (heartbeats, say) go.
func (g *gate) arm(marker []byte) {
	g.mu.Lock()
	g.held, g.marker = make(chan struct{}), marker
	g.mu.Unlock()
}

func (g *gate) release() {
	g.mu.Lock()
	close(g.held)
	g.held, g.counting = nil, true
	g.mu.Unlock()
}

func (g *gate) pass(datagrams int, data ...[]byte) {
	g.mu.Lock()
	for _, d := range data {
		if g.held != nil && bytes.Contains(d, g.marker) {
			g.waiting = true
		}
	}
	var held chan struct{}
	if g.waiting {
		held = g.held
	}
	g.mu.Unlock()
	if held != nil {
		<-held
	}
	g.mu.Lock()
	if g.counting {
		g.sent += datagrams
	}
	g.mu.Unlock()
}

func (g *gate) holding() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

func (g *gate) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sent
}

// batching is a UDP transport behind a gate, sending by SendBatch.
type batching struct {
	*udp.Transport
	g *gate
}

func (b batching) SendBatch(ds []stack.Datagram) error {
	n := 0
	var data [][]byte
	for _, d := range ds {
		n += len(d.To)
		data = append(data, d.Data)
	}
	b.g.pass(n, data...)
	return b.Transport.SendBatch(ds)
}

// oneByOne is a UDP transport behind a gate without SendBatch: the Stack
// sends through SendTo and Multicast.
type oneByOne struct {
	stack.Transport
	g *gate
}

func (o oneByOne) SendTo(addr string, pkt []byte) error {
	o.g.pass(1, pkt)
	return o.Transport.SendTo(addr, pkt)
}

func (o oneByOne) Multicast(addrs []string, pkt []byte) error {
	o.g.pass(len(addrs), pkt)
	return o.Transport.Multicast(addrs, pkt)
}

// While the transport is busy sending, the casts of a goroutine are
// packed into the datagrams being filled instead of going out one
// datagram each; they are all delivered, in order, once it is free. With
// and without a transport that sends batches.
func TestCastsArePackedWhileTheTransportIsBusy(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(*udp.Transport, *gate) stack.Transport
	}{
		{"SendBatch", func(tr *udp.Transport, g *gate) stack.Transport { return batching{tr, g} }},
		{"SendTo", func(tr *udp.Transport, g *gate) stack.Transport { return oneByOne{tr, g} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const casts, size = 500, 100
			base := 30000 + rand.IntN(1500)*16
			group := fmt.Sprintf("%s-%d", t.Name(), base)
			pr, err := props.Parse(props.Default)
			require.NoError(t, err)
			start := func(wrap func(*udp.Transport) stack.Transport, onCast func([]byte)) *stack.Stack {
				tr, err := udp.New(udp.Config{Group: group, PortBase: base, PortCount: 4})
				require.NoError(t, err)
				s, err := stack.Start(stack.Options{
					Group: group, Protocols: pr.Protocols(), Transport: wrap(tr),
					Config: stack.Config{Heartbeat: 50 * time.Millisecond, SuspectTimeout: 2 * time.Second, Gossip: 100 * time.Millisecond},
					OnUpcall: func(u stack.Upcall) []byte {
						if u.Kind == stack.UpCast {
							onCast(u.Payload)
						}
						return nil
					},
				})
				require.NoError(t, err)
				t.Cleanup(func() { s.Close() })
				return s
			}
			g := &gate{}
			var mu sync.Mutex
			var got []string
			sender := start(func(tr *udp.Transport) stack.Transport { return tc.wrap(tr, g) }, func([]byte) {})
			start(func(tr *udp.Transport) stack.Transport { return tr }, func(p []byte) {
				mu.Lock()
				got = append(got, string(p))
				mu.Unlock()
			})
			deadline := time.Now().Add(20 * time.Second)
			for v := sender.View(); v == nil || v.N() != 2; v = sender.View() {
				require.True(t, time.Now().Before(deadline), "the two members never formed a view")
				time.Sleep(10 * time.Millisecond)
			}

			// The first cast goes out at once, from the goroutine casting,
			// which the gate then holds: the transport is busy. Until its
			// datagram is held, the first cast may not even be in the
			// stack yet, and the casts below would be concurrent with it,
			// in no set order.
			payload := func(i int) []byte { return fmt.Appendf(make([]byte, 0, size), "%0*d", size, i) }
			g.arm(payload(0))
			first := make(chan error, 1)
			go func() { first <- sender.Cast(context.Background(), payload(0)) }()
			for !g.holding() {
				require.True(t, time.Now().Before(deadline), "the first cast was never sent")
				time.Sleep(time.Millisecond)
			}
			for i := 1; i < casts; i++ {
				require.NoError(t, sender.Cast(context.Background(), payload(i)))
			}
			g.release()
			require.NoError(t, <-first)
			for {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n == casts {
					break
				}
				require.True(t, time.Now().Before(deadline), "delivered %d of %d casts", n, casts)
				time.Sleep(5 * time.Millisecond)
			}
			for i, p := range got {
				require.Equal(t, string(payload(i)), p, "cast %d out of order", i)
			}
			// 500 casts of 100 bytes fill one datagram (MaxPacket is 60000
			// on loopback) and part of a second; the rest is the protocol's
			// own traffic meanwhile (acknowledgements, heartbeats).
			require.Less(t, g.count(), casts/10, "the casts were not packed")
		})
	}
}

// marks numbers, on one counter, the deliveries of marked casts and the
// sending of the datagrams holding them.
type marks struct {
	mu          sync.Mutex
	next        int
	sentAt      map[string]int
	deliveredAt map[string]int
	inline      map[string]bool // delivered by the goroutine casting it
}

// insideCast reports whether its caller runs inside Stack.Cast: an upcall
// delivered inline by the goroutine casting.
func insideCast() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "stack.(*Stack).Cast") {
			return true
		}
		if !more {
			return false
		}
	}
}

// recording is a UDP transport that numbers the sending of marked
// payloads once on.
type recording struct {
	*udp.Transport
	m  *marks
	on atomic.Bool
}

func (r *recording) SendBatch(ds []stack.Datagram) error {
	if r.on.Load() {
		r.m.mu.Lock()
		for _, d := range ds {
			for mark, at := range r.m.sentAt {
				if at == 0 && bytes.Contains(d.Data, []byte(mark)) {
					r.m.next++
					r.m.sentAt[mark] = r.m.next
				}
			}
		}
		r.m.mu.Unlock()
	}
	return r.Transport.SendBatch(ds)
}

// With InlineUpcalls, a cast the sequencer delivers to itself while
// casting reaches the application before its datagram is sent: a reply
// the application sends from the upcall waits for no fan-out.
func TestInlineDeliveryComesBeforeTheSend(t *testing.T) {
	base := 30000 + rand.IntN(1500)*16
	group := fmt.Sprintf("%s-%d", t.Name(), base)
	pr, err := props.Parse(props.Default)
	require.NoError(t, err)
	m := &marks{sentAt: map[string]int{}, deliveredAt: map[string]int{}, inline: map[string]bool{}}
	start := func() (*stack.Stack, *recording) {
		tr, err := udp.New(udp.Config{Group: group, PortBase: base, PortCount: 4})
		require.NoError(t, err)
		rec := &recording{Transport: tr, m: m}
		s, err := stack.Start(stack.Options{
			Group: group, Protocols: pr.Protocols(), Transport: rec, InlineUpcalls: true,
			Config: stack.Config{Heartbeat: 50 * time.Millisecond, SuspectTimeout: 2 * time.Second, Gossip: 100 * time.Millisecond},
			OnUpcall: func(u stack.Upcall) []byte {
				if u.Kind == stack.UpCast && rec.on.Load() {
					m.mu.Lock()
					m.next++
					m.deliveredAt[string(u.Payload)] = m.next
					m.inline[string(u.Payload)] = insideCast()
					m.mu.Unlock()
				}
				return nil
			},
		})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s, rec
	}
	a, recA := start()
	b, recB := start()
	deadline := time.Now().Add(20 * time.Second)
	for v := a.View(); v == nil || v.N() != 2 || b.View() == nil || b.View().N() != 2; v = a.View() {
		require.True(t, time.Now().Before(deadline), "the two members never formed a view")
		time.Sleep(10 * time.Millisecond)
	}
	seq, rec := a, recA
	if a.View().Members[0] != a.Me() {
		seq, rec = b, recB
	}
	rec.on.Store(true)
	inline := 0
	for i := range 20 {
		mark := fmt.Sprintf("mark-%02d-%d", i, base)
		m.mu.Lock()
		m.sentAt[mark] = 0
		m.mu.Unlock()
		require.NoError(t, seq.Cast(context.Background(), []byte(mark)))
		m.mu.Lock()
		delivered, inlined := m.deliveredAt[mark], m.inline[mark]
		m.mu.Unlock()
		if !inlined {
			// Another goroutine delivered it (it was driving or
			// delivering). Pause, so that the next cast is a lone one,
			// not the next of a stream (streamGap).
			time.Sleep(time.Millisecond)
			continue
		}
		inline++
		for m.mu.Lock(); m.sentAt[mark] == 0; m.mu.Lock() {
			m.mu.Unlock()
			require.True(t, time.Now().Before(deadline), "%s was never sent", mark)
			time.Sleep(time.Millisecond)
		}
		sent := m.sentAt[mark]
		m.mu.Unlock()
		require.Less(t, delivered, sent, "%s was sent before it was delivered", mark)
	}
	require.Positive(t, inline, "no cast was delivered by the goroutine casting")
}

// With InlineUpcalls, a lone cast is delivered by the goroutine casting
// it, but the casts of an application streaming them (each within
// streamGap of the last, here on a clock that stands still) go to the
// delivery goroutine, as their datagrams go to the sender goroutine:
// delivering inline, a streaming application would cast at half the pace
// and its datagrams would leave half empty.
func TestStreamingCastsAreDeliveredByTheDeliveryGoroutine(t *testing.T) {
	s, clock, inlineOf := startRecordingInline(t, false)
	require.True(t, someInline(t, s, clock, "lone", time.Millisecond, inlineOf), "no lone cast was delivered by the goroutine casting it")
	// The clock stands still: the next cast follows the last at once.
	require.False(t, deliveredInline(t, s, "streamed", inlineOf), "a cast in a stream was delivered by the goroutine casting it")
	require.True(t, someInline(t, s, clock, "after a pause", time.Millisecond, inlineOf), "no cast after a pause was delivered by the goroutine casting it")
}

// A request-driven application's casts are never a stream, however close
// together: on a clock that stands still, the goroutine casting still
// delivers them.
func TestRequestDrivenCastsAreNeverAStream(t *testing.T) {
	s, clock, inlineOf := startRecordingInline(t, true)
	deliveredInline(t, s, "first", inlineOf)
	// The clock stands still: each cast follows the last at once.
	require.True(t, someInline(t, s, clock, "request", 0, inlineOf), "no request-driven cast was delivered by the goroutine casting it")
}

// startRecordingInline starts a member with InlineUpcalls (and
// RequestDriven if asked) on a hand clock; inlineOf reports, once a
// payload is delivered, whether the goroutine casting it delivered it.
func startRecordingInline(t *testing.T, requestDriven bool) (s *stack.Stack, clock *handClock, inlineOf func(payload string) (inline, delivered bool)) {
	var mu sync.Mutex
	inline := map[string]bool{}
	s, clock = startOnHandClock(t, stack.Options{
		InlineUpcalls: true,
		RequestDriven: requestDriven,
		OnUpcall: func(u stack.Upcall) []byte {
			if u.Kind == stack.UpCast {
				mu.Lock()
				inline[string(u.Payload)] = insideCast()
				mu.Unlock()
			}
			return nil
		},
	})
	return s, clock, func(payload string) (bool, bool) {
		mu.Lock()
		defer mu.Unlock()
		in, ok := inline[payload]
		return in, ok
	}
}

// deliveredInline casts payload and reports whether the goroutine casting
// it delivered it.
func deliveredInline(t *testing.T, s *stack.Stack, payload string, inlineOf func(payload string) (inline, delivered bool)) bool {
	t.Helper()
	require.NoError(t, s.Cast(context.Background(), []byte(payload)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if in, ok := inlineOf(payload); ok {
			return in
		}
		require.True(t, time.Now().Before(deadline), "%s was never delivered", payload)
		time.Sleep(time.Millisecond)
	}
}

// someInline casts up to 10 payloads named after name, moving the clock
// on by step before each, and reports whether the goroutine casting one
// of them delivered it: a lone cast is delivered inline unless another
// goroutine happens to be driving the stack or delivering (its own
// datagrams coming back), so some of a few, not each, is.
func someInline(t *testing.T, s *stack.Stack, clock *handClock, name string, step time.Duration, inlineOf func(payload string) (inline, delivered bool)) bool {
	t.Helper()
	for i := range 10 {
		clock.mu.Lock()
		clock.now = clock.now.Add(step)
		clock.mu.Unlock()
		if deliveredInline(t, s, fmt.Sprintf("%s-%d", name, i), inlineOf) {
			return true
		}
	}
	return false
}
