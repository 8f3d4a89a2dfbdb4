package orb

import (
	"sync/atomic"
	"time"
)

// progressInterval is how often a wait a person may be watching (a
// replica's state transfer) is reported at Info level.
const progressInterval = time.Second

// progress calls report(elapsed) every progressInterval, through the
// ORB's AfterFunc (virtual time in simulations), until the returned stop
// is called.
func (o *ReplicatedUpdates) progress(report func(elapsed time.Duration)) (stop func()) {
	after := o.opts.AfterFunc
	if after == nil {
		after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	var stopped atomic.Bool
	var elapsed time.Duration
	var tick func()
	tick = func() {
		if stopped.Load() {
			return
		}
		elapsed += progressInterval
		report(elapsed)
		after(progressInterval, tick)
	}
	after(progressInterval, tick)
	return func() { stopped.Store(true) }
}
