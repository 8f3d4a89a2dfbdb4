package csx

import "context"

// Scheduler runs the StateTransfer goroutines and their waits. The default
// uses plain goroutines; the simulator supplies one that runs them in
// lockstep with its virtual network so that a run stays deterministic.
type Scheduler interface {
	// Go runs f concurrently.
	Go(f func())
	// Wait blocks until ready is closed or ctx is done; it returns
	// ctx.Err() in the latter case. Only code started by Go calls it.
	Wait(ctx context.Context, ready <-chan struct{}) error
}

// goroutines is the default Scheduler.
type goroutines struct{}

func (goroutines) Go(f func()) { go f() }

func (goroutines) Wait(ctx context.Context, ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
