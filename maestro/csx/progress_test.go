package csx

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProgressReportsEverySecondUntilStopped: a wait is reported once per
// second of (here virtual) time, with the time waited, and never after
// stop.
func TestProgressReportsEverySecondUntilStopped(t *testing.T) {
	var pending []func()
	var delays []time.Duration
	m := &Member{after: func(d time.Duration, f func()) {
		delays = append(delays, d)
		pending = append(pending, f)
	}}
	var reports []time.Duration
	stop := m.progress(func(w time.Duration) { reports = append(reports, w) })
	for range 3 {
		f := pending[0]
		pending = pending[1:]
		f()
	}
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, reports)
	require.Equal(t, []time.Duration{time.Second, time.Second, time.Second, time.Second}, delays)
	stop()
	pending[0]()
	require.Len(t, reports, 3, "reported after stop")
	require.Len(t, pending, 1, "re-armed after stop")
}
