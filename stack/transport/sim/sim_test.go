package sim

import (
	"flag"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	seedFlag  = flag.Uint64("sim.seed", 0, "run only this seed (replay), with a trace")
	seedsFlag = flag.Int("sim.seeds", 500, "how many seeds TestSimulation runs")
	firstFlag = flag.Uint64("sim.first", 1, "first seed of the run")
)

// TestSimulation runs many seeded scenarios with loss, duplication,
// reordering, crashes, restarts and partitions, and checks the membership
// and delivery properties after each.
func TestSimulation(t *testing.T) {
	if *seedFlag != 0 {
		sc := RandomScenario(*seedFlag)
		var trace []string
		sc.Trace = func(s string) { trace = append(trace, s) }
		sc.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		res := sc.Run()
		t.Logf("scenario %+v", sc)
		for _, l := range trace {
			t.Log(l)
		}
		for _, v := range res.Violations {
			t.Error(v)
		}
		return
	}
	var (
		next   atomic.Uint64
		failed atomic.Int64
		wg     sync.WaitGroup
		mu     sync.Mutex
		casts  int
		views  int
		leaves int
	)
	next.Store(*firstFlag)
	last := *firstFlag + uint64(*seedsFlag)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seed := next.Add(1) - 1
				if seed >= last || failed.Load() >= 5 {
					return
				}
				res := RandomScenario(seed).Run()
				mu.Lock()
				casts += res.Casts
				views += res.Views
				leaves += res.Leaves
				mu.Unlock()
				if len(res.Violations) > 0 {
					failed.Add(1)
					v := res.Violations
					if len(v) > 5 {
						v = v[:5]
					}
					t.Errorf("seed %d: %d violations:\n  %s\nreplay: go test ./stack/transport/sim -run TestSimulation -sim.seed=%d -v",
						seed, len(res.Violations), strings.Join(v, "\n  "), seed)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d seeds, %d casts, %d view installations, %d leaves", *seedsFlag, casts, views, leaves)
}
