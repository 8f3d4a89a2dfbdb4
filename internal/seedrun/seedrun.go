// Package seedrun runs the seeded simulation scenarios of the tests: many
// seeds on every core, each failure reported with the command that replays
// it, and one seed replayed with its trace.
package seedrun

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// maxFailures is how many failing seeds end a run early: more rarely say
// anything new, and each costs a full scenario.
const maxFailures = 3

// Range returns the n seeds from first on.
func Range(first uint64, n int) []uint64 {
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = first + uint64(i)
	}
	return seeds
}

// Run runs scenario for every seed, on GOMAXPROCS goroutines, and reports
// each seed whose scenario returns violations (its first five) with the
// command replay gives for it. scenario must be safe to call concurrently;
// a run stops after three failing seeds.
func Run(t testing.TB, seeds []uint64, scenario func(seed uint64) []string, replay func(seed uint64) string) {
	t.Helper()
	var (
		next   atomic.Int64
		failed atomic.Int64
		wg     sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(seeds)) || failed.Load() >= maxFailures {
					return
				}
				seed := seeds[i]
				if errs := scenario(seed); len(errs) > 0 {
					failed.Add(1)
					t.Errorf("seed %d:\n  %s\nreplay: %s", seed, strings.Join(errs[:min(len(errs), 5)], "\n  "), replay(seed))
				}
			}
		}()
	}
	wg.Wait()
}

// Replay runs one scenario with a trace, logs the trace and reports the
// violations as errors.
func Replay(t testing.TB, scenario func(trace func(string)) []string) {
	t.Helper()
	var lines []string
	errs := scenario(func(s string) { lines = append(lines, s) })
	for _, l := range lines {
		t.Log(l)
	}
	for _, e := range errs {
		t.Error(e)
	}
}
