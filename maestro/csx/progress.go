package csx

import (
	"sync/atomic"
	"time"
)

// progressInterval is how often a wait a person may be watching (a state
// transfer) is reported at Info level.
const progressInterval = time.Second

// progress calls report(waited) every progressInterval, through the
// member's AfterFunc (virtual time in simulations), until the returned
// stop is called.
func (m *Member) progress(report func(waited time.Duration)) (stop func()) {
	var stopped atomic.Bool
	var waited time.Duration
	var tick func()
	tick = func() {
		if stopped.Load() {
			return
		}
		waited += progressInterval
		report(waited)
		m.after(progressInterval, tick)
	}
	m.after(progressInterval, tick)
	return func() { stopped.Store(true) }
}
