package groupmember

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// exclusive is a Handler that checks the promises InlineUpcalls keeps:
// callbacks one at a time, each sender's casts in its order, every cast
// once. Every tenth cast it receives from itself makes it cast again from
// inside the callback (an "echo"), which an inline deliverer must neither
// deadlock on nor deliver out of order.
type exclusive struct {
	Callbacks
	m       *Member
	inside  atomic.Int32
	overlap atomic.Int32
	mu      sync.Mutex
	last    map[string]int // "sender/goroutine" → last index seen
	order   []string
	bad     []string
}

func newExclusive() *exclusive { return &exclusive{last: map[string]int{}} }

func (x *exclusive) ReceiveCast(from EndpID, msg *message.Message) {
	if !x.inside.CompareAndSwap(0, 1) {
		x.overlap.Add(1)
	}
	defer x.inside.Store(0)
	body := msg.GetString()
	stream, idx, _ := strings.Cut(body, "#")
	n, err := strconv.Atoi(idx)
	x.mu.Lock()
	key := string(from) + "/" + stream
	if prev, seen := x.last[key]; err != nil || (seen && n != prev+1) || (!seen && n != 0) {
		x.bad = append(x.bad, fmt.Sprintf("%s after %d", body, x.last[key]))
	}
	x.last[key] = n
	x.order = append(x.order, string(from)+":"+body)
	x.mu.Unlock()
	if from == x.m.ID() && !strings.HasPrefix(stream, "echo") && n%10 == 0 {
		// The echo stream of this goroutine's casts: its indices count up
		// too, one per echoed cast.
		if err := x.m.Cast(message.New().PutString(fmt.Sprintf("echo-%s#%d", stream, n/10))); err != nil {
			x.mu.Lock()
			x.bad = append(x.bad, "echo: "+err.Error())
			x.mu.Unlock()
		}
	}
}

func (x *exclusive) count() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.order)
}

// TestInlineUpcallsKeepOrderAndExclusion has goroutines cast concurrently
// in groups of one and of three members whose callbacks run inline
// (Options.InlineUpcalls), some of them casting again from the callback.
// Every member must get every cast once, one callback at a time, each
// stream in order, and — with three members — all in the same order. A
// RequestDriven member, whose every Cast delivers what it can inline,
// keeps them too.
func TestInlineUpcallsKeepOrderAndExclusion(t *testing.T) {
	for _, c := range []struct {
		n             int
		requestDriven bool
	}{{1, false}, {3, false}, {1, true}, {3, true}} {
		name := strconv.Itoa(c.n)
		if c.requestDriven {
			name += "/request-driven"
		}
		n := c.n
		t.Run(name, func(t *testing.T) {
			opts := testOptions(t)
			opts.InlineUpcalls = true
			opts.RequestDriven = c.requestDriven
			var ms []*Member
			var xs []*exclusive
			for range n {
				x := newExclusive()
				m, err := New(opts, x)
				require.NoError(t, err)
				x.m = m
				require.NoError(t, m.Join(context.Background()))
				t.Cleanup(func() { m.Close() })
				ms, xs = append(ms, m), append(xs, x)
			}
			waitView(t, ms, n)
			const goroutines, per = 4, 300
			var wg sync.WaitGroup
			for _, m := range ms {
				for g := range goroutines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := range per {
							if err := m.Cast(message.New().PutString(fmt.Sprintf("g%d#%d", g, k))); err != nil {
								t.Errorf("cast: %v", err)
								return
							}
						}
					}()
				}
			}
			wg.Wait()
			// Each sender's own casts with index divisible by ten are echoed.
			want := n * goroutines * (per + per/10)
			require.Eventually(t, func() bool {
				for _, x := range xs {
					if x.count() < want {
						return false
					}
				}
				return true
			}, 30*time.Second, 10*time.Millisecond, "casts not all delivered")
			time.Sleep(50 * time.Millisecond) // let a duplicate show
			for i, x := range xs {
				x.mu.Lock()
				require.Empty(t, x.bad, "member %d: out of order or failed", i)
				require.Len(t, x.order, want, "member %d: a cast delivered twice", i)
				x.mu.Unlock()
				require.Zero(t, x.overlap.Load(), "member %d: callbacks overlapped", i)
			}
			for _, x := range xs[1:] {
				require.Equal(t, xs[0].order, x.order, "members delivered in different orders")
			}
		})
	}
}

// The stack a member starts gets its InlineUpcalls and RequestDriven.
func TestStackGetsHowCallbacksRun(t *testing.T) {
	for _, want := range []stack.Options{{}, {InlineUpcalls: true}, {InlineUpcalls: true, RequestDriven: true}} {
		opts := testOptions(t)
		opts.InlineUpcalls, opts.RequestDriven = want.InlineUpcalls, want.RequestDriven
		var got stack.Options
		opts.Start = func(so stack.Options) (stack.Driver, error) {
			got = so
			return nil, errors.New("not started")
		}
		m, err := New(opts, &Callbacks{})
		require.NoError(t, err)
		require.Error(t, m.Join(t.Context()))
		require.Equal(t, want.InlineUpcalls, got.InlineUpcalls)
		require.Equal(t, want.RequestDriven, got.RequestDriven)
		require.Equal(t, want.InlineUpcalls && want.RequestDriven, m.udpConfig().BlockingReads,
			"the transport's reader blocks in the kernel when it does all of the member's work")
	}
}
