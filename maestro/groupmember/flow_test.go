package groupmember

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
)

// slow is a receiver whose application takes its time over each cast.
type slow struct {
	Callbacks
	n     atomic.Int64
	pause time.Duration
}

func (s *slow) ReceiveCast(EndpID, *message.Message) {
	time.Sleep(s.pause)
	s.n.Add(1)
}

// TestSlowReceiverBoundsTheSender shows flow control at work: a sender
// facing a slow receiver is held back, so what is in flight (and in memory)
// stays bounded by the window and the backlog, and nothing is lost.
func TestSlowReceiverBoundsTheSender(t *testing.T) {
	opts := testOptions(t)
	opts.Stack.FlowWindow = 32
	fast := &counter{}
	sender, err := New(opts, fast)
	require.NoError(t, err)
	require.NoError(t, sender.Join(context.Background()))
	t.Cleanup(func() { sender.Close() })
	recv := &slow{pause: 300 * time.Microsecond}
	receiver, err := New(opts, recv)
	require.NoError(t, err)
	require.NoError(t, receiver.Join(context.Background()))
	t.Cleanup(func() { receiver.Close() })
	waitView(t, []*Member{sender, receiver}, 2)

	const total = 3000
	var accepted atomic.Int64
	go func() {
		for i := 0; i < total; i++ {
			if sender.Cast(message.New().PutInt(i)) != nil {
				return
			}
			accepted.Add(1)
		}
	}()
	// The stack's backlog (1024 messages) plus the flow window is all the
	// sender may run ahead of the slow receiver.
	const bound = 32 + 1024 + 64
	maxAhead := int64(0)
	deadline := time.Now().Add(60 * time.Second)
	for recv.n.Load() < total {
		require.True(t, time.Now().Before(deadline), "slow receiver got %d of %d", recv.n.Load(), total)
		ahead := accepted.Load() - recv.n.Load()
		maxAhead = max(maxAhead, ahead)
		require.LessOrEqual(t, ahead, int64(bound), "sender ran %d casts ahead of a slow receiver", ahead)
		time.Sleep(5 * time.Millisecond)
	}
	require.Greater(t, maxAhead, int64(32), "the sender was never ahead: the test did not load the window")
	require.Equal(t, int64(total), fast.n.Load())
	t.Logf("sender ran at most %d casts ahead (bound %d)", maxAhead, bound)
}

// TestSmallReceiverBudgetBoundsTheSender: a receiver whose FlowBytes is
// far below the sender's (a smaller socket buffer on its host) holds the
// sender to its figure, which it reports from its first tick in the view:
// facing it stuck, the sender has about that in flight and fills its
// backlog, where its own window would have let a thousand casts go.
func TestSmallReceiverBudgetBoundsTheSender(t *testing.T) {
	opts := testOptions(t)
	opts.Stack.FlowBytes = 4 << 20
	small := opts
	small.Stack.FlowBytes = 32 << 10
	sender := facingAStuckReceiver(t, opts, small)
	time.Sleep(200 * time.Millisecond) // the receiver's first ticks in the view: its figure is out

	// 32 KiB is about 31 of these casts, and the backlog holds 1024; the
	// sender's own window is 1024 casts (4 MiB would allow 4000).
	payload := make([]byte, 1000)
	accepted, gaveUp := castUntilRefused(t, sender, 2*1024+64, func(int) *message.Message { return message.New().PutBytes(payload) })
	t.Logf("the sender accepted %d casts", accepted)
	require.ErrorIs(t, gaveUp, context.DeadlineExceeded)
	require.LessOrEqual(t, accepted, 32+1024+64, "the sender had more in flight than the receiver's 32 KiB")
	require.Greater(t, accepted, 1024, "the backlog never filled")
}

// blocked is a Handler whose ReceiveCast waits until release is closed.
type blocked struct {
	Callbacks
	release chan struct{}
}

func (b *blocked) ReceiveCast(EndpID, *message.Message) { <-b.release }

// facingAStuckReceiver starts a sender (with opts) and a receiver (with
// receiverOpts) whose callback blocks until the test ends, and returns the
// sender once both are in one view.
func facingAStuckReceiver(t *testing.T, opts, receiverOpts Options) *Member {
	t.Helper()
	sender, err := New(opts, &counter{})
	require.NoError(t, err)
	require.NoError(t, sender.Join(t.Context()))
	t.Cleanup(func() { sender.Close() })
	stuck := &blocked{release: make(chan struct{})}
	receiver, err := New(receiverOpts, stuck)
	require.NoError(t, err)
	require.NoError(t, receiver.Join(t.Context()))
	t.Cleanup(func() { close(stuck.release); receiver.Close() })
	waitView(t, []*Member{sender, receiver}, 2)
	return sender
}

// castUntilRefused casts msg(i) by CastWait, giving each cast 200 ms,
// until one is refused or max were accepted; it returns how many were and
// the refusal.
func castUntilRefused(t *testing.T, m *Member, max int, msg func(i int) *message.Message) (accepted int, err error) {
	for accepted < max {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		err = m.CastWait(ctx, msg(accepted))
		cancel()
		if err != nil {
			return accepted, err
		}
		accepted++
	}
	return accepted, nil
}

// TestCastWaitGivesUpWhenTheBacklogStaysFull: with a receiver that stops
// consuming, the flow window and then the stack's backlog fill; Cast would
// block from then on, and CastWait returns once its context ends, with
// the context's error.
func TestCastWaitGivesUpWhenTheBacklogStaysFull(t *testing.T) {
	opts := testOptions(t)
	opts.Stack.FlowWindow = 8
	sender := facingAStuckReceiver(t, opts, opts)
	_, gaveUp := castUntilRefused(t, sender, 8+1024+64, func(i int) *message.Message { return message.New().PutInt(i) })
	require.ErrorIs(t, gaveUp, context.DeadlineExceeded, "CastWait never gave up on a full backlog")
}
