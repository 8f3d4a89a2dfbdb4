// Package lockstep is a csx.Scheduler for simulations: the goroutines it
// starts run one at a time, only when the simulation hands them the baton
// (after each simulated event), and give it back when they wait or
// finish, so that a run with state-transfer goroutines stays a pure
// function of its seed.
package lockstep

import "context"

// Baton is the scheduler; its zero value is ready. Go and Wait are called
// by the code under test, Run by the simulation after each event (one
// goroutine at a time, never concurrently).
type Baton struct {
	ready   []*task
	waiting []*task
	current *task
}

type task struct {
	wake  chan struct{}
	yield chan struct{}
	cond  <-chan struct{}
	ctx   context.Context
}

// Go starts f, to run when the baton next passes.
func (b *Baton) Go(f func()) {
	t := &task{wake: make(chan struct{}), yield: make(chan struct{})}
	go func() {
		<-t.wake
		f()
		t.yield <- struct{}{}
	}()
	b.ready = append(b.ready, t)
}

// Wait gives the baton back until ready is closed or ctx ends.
func (b *Baton) Wait(ctx context.Context, ready <-chan struct{}) error {
	t := b.current
	t.cond, t.ctx = ready, ctx
	b.waiting = append(b.waiting, t)
	t.yield <- struct{}{}
	<-t.wake
	select {
	case <-ready:
		return nil
	default:
		return ctx.Err()
	}
}

// Run lets every goroutine that can go on run until it waits or ends.
func (b *Baton) Run() {
	for {
		for i := 0; i < len(b.waiting); {
			t := b.waiting[i]
			if closed(t.cond) || closed(t.ctx.Done()) {
				b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
				b.ready = append(b.ready, t)
				continue
			}
			i++
		}
		if len(b.ready) == 0 {
			return
		}
		t := b.ready[0]
		b.ready = b.ready[1:]
		b.current = t
		t.wake <- struct{}{}
		<-t.yield
		b.current = nil
	}
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
