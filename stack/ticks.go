package stack

import (
	"sync/atomic"
	"time"
)

// A member gives its layers the time every Config.Tick while it has work
// in hand, and less often once its group is idle: every wake-up costs CPU
// (tens of µs on a virtual machine, where an idle member woken 100 times a
// second spent 2% of a CPU), and an idle group needs only its heartbeats,
// failure detection and discovery, which run on the Heartbeat's scale and
// above. Application messages and upcalls count as work; the first one in
// an idle period brings the fast ticks back at once.
const (
	// idleTick is the idle period's tick, at most Heartbeat/4.
	idleTick = 50 * time.Millisecond
	// idleAfter is how long a member must have seen no work to be idle.
	idleAfter = time.Second
)

// ticks tracks whether the stack is busy, for the tick loop.
type ticks struct {
	worked atomic.Bool   // work seen since the tick loop last looked
	slow   atomic.Bool   // the tick loop runs idle ticks
	wake   chan struct{} // makes a slow tick loop speed up
}

// work notes application messages or upcalls (any goroutine). Cheap when
// the loop is fast: one atomic store.
func (t *ticks) work() {
	if !t.worked.Load() {
		t.worked.Store(true)
	}
	if t.slow.Load() {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// tickPeriods returns the busy and idle tick periods of a configuration.
func tickPeriods(cfg Config) (busy, idle time.Duration) {
	busy = cfg.Tick
	idle = max(busy, min(idleTick, cfg.Heartbeat/4))
	return busy, idle
}

func (s *Stack) tickLoop() {
	defer close(s.tickDone)
	busy, idle := tickPeriods(s.core.Config())
	period := busy
	t := s.clock.NewTicker(period)
	defer func() { t.Stop() }()
	var lastWork time.Time
	for {
		var now time.Time
		select {
		case <-s.stopped:
			return
		case now = <-t.C():
			s.submit(func() { s.core.Tick(now) }, byStack)
		case <-s.ticks.wake:
			now = s.clock.Now()
		}
		if s.ticks.worked.Swap(false) || lastWork.IsZero() {
			lastWork = now
		}
		want := busy
		if now.Sub(lastWork) >= idleAfter {
			want = idle
		}
		if want == idle && period != idle {
			// From here on work wakes the loop; work that came after the
			// Swap above but before this is seen now.
			s.ticks.slow.Store(true)
			if s.ticks.worked.Load() {
				want = busy
			}
		}
		if want != period {
			t.Stop()
			period = want
			t = s.clock.NewTicker(period)
		}
		s.ticks.slow.Store(period == idle && idle != busy)
	}
}
