package seedrun

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// recorder keeps the errors a run reports instead of failing the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// Every seed runs once; a failing one is reported with its violations and
// replay command, and a run stops after three failing seeds.
func TestRunReportsFailingSeeds(t *testing.T) {
	var mu sync.Mutex
	ran := map[uint64]int{}
	rec := &recorder{TB: t}
	Run(rec, Range(1, 20), func(seed uint64) []string {
		mu.Lock()
		ran[seed]++
		mu.Unlock()
		if seed == 7 {
			return []string{"a", "b", "c", "d", "e", "f"}
		}
		return nil
	}, func(seed uint64) string { return fmt.Sprintf("replay %d", seed) })
	if len(ran) != 20 {
		t.Fatalf("ran %d seeds, want 20", len(ran))
	}
	for s, n := range ran {
		if n != 1 {
			t.Errorf("seed %d ran %d times", s, n)
		}
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "seed 7:") || !strings.Contains(rec.errs[0], "replay 7") || strings.Contains(rec.errs[0], "f") {
		t.Fatalf("reported %q", rec.errs)
	}

	rec = &recorder{TB: t}
	n := 0
	Run(rec, Range(1, 1000), func(uint64) []string {
		mu.Lock()
		n++
		mu.Unlock()
		return []string{"bad"}
	}, func(uint64) string { return "" })
	if len(rec.errs) < 3 || n > 3+8 {
		t.Fatalf("%d failures reported after %d scenarios: the run should stop after three", len(rec.errs), n)
	}
}
