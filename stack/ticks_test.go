package stack_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/props"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

// handClock is a clock whose tickers fire when the test says, and which
// records the period of every ticker made.
type handClock struct {
	mu      sync.Mutex
	periods []time.Duration
	c       chan time.Time
	now     time.Time // the latest tick's time
}

func (h *handClock) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *handClock) NewTicker(d time.Duration) stack.Ticker {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.periods = append(h.periods, d)
	h.c = make(chan time.Time, 1)
	return handTicker{h.c}
}

// tick fires the current ticker at t, once the previous tick was taken
// (the loop may have replaced the ticker meanwhile).
func (h *handClock) tick(tb testing.TB, t time.Time) {
	deadline := time.Now().Add(10 * time.Second)
	h.mu.Lock()
	h.now = t
	h.mu.Unlock()
	for {
		h.mu.Lock()
		c := h.c
		h.mu.Unlock()
		select {
		case c <- t:
			return
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatal("the tick loop took no tick for 10 s")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// last is the period of the latest ticker (0 before the first).
func (h *handClock) last() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.periods) == 0 {
		return 0
	}
	return h.periods[len(h.periods)-1]
}

// startOnHandClock starts opts' member alone in a group of its own on
// UDP loopback, with the default properties and a hand clock.
func startOnHandClock(t *testing.T, opts stack.Options) (*stack.Stack, *handClock) {
	clock := &handClock{now: time.Unix(1_000_000, 0)}
	opts.Clock = clock
	return startWith(t, opts, func(tr *udp.Transport) stack.Transport { return tr }), clock
}

// startWith starts opts' member alone in a group of its own, with the
// default properties, on the transport wrap makes of a UDP one on
// loopback.
func startWith(t *testing.T, opts stack.Options, wrap func(*udp.Transport) stack.Transport) *stack.Stack {
	base := 30000 + rand.IntN(1500)*16
	opts.Group = fmt.Sprintf("%s-%d", t.Name(), base)
	pr, err := props.Parse(props.Default)
	require.NoError(t, err)
	opts.Protocols = pr.Protocols()
	tr, err := udp.New(udp.Config{Group: opts.Group, PortBase: base, PortCount: 4})
	require.NoError(t, err)
	opts.Transport = wrap(tr)
	s, err := stack.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

type handTicker struct{ c chan time.Time }

func (t handTicker) C() <-chan time.Time { return t.c }
func (t handTicker) Stop()               {}

// A member with no application traffic for a second ticks every 50 ms
// instead of every Tick; its next cast brings the fast ticks back at
// once, without waiting for a slow tick.
func TestIdleMemberTicksLessOften(t *testing.T) {
	s, clock := startOnHandClock(t, stack.Options{
		Config:   stack.Config{Tick: 10 * time.Millisecond, Heartbeat: 400 * time.Millisecond},
		OnUpcall: func(stack.Upcall) []byte { return nil },
	})
	deadline := time.Now().Add(10 * time.Second)
	for clock.last() == 0 {
		require.True(t, time.Now().Before(deadline), "no ticker")
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, 10*time.Millisecond, clock.last(), "a member starts busy")

	now := time.Unix(1_000_000, 0)
	for i := 0; clock.last() != 50*time.Millisecond; i++ {
		require.Less(t, i, 1000, "the member never slowed down")
		now = now.Add(10 * time.Millisecond)
		clock.tick(t, now)
	}
	require.NoError(t, s.Cast(context.Background(), []byte("wake up")))
	for clock.last() != 10*time.Millisecond {
		require.True(t, time.Now().Before(deadline), "a cast did not bring the fast ticks back")
		time.Sleep(time.Millisecond)
	}
}
