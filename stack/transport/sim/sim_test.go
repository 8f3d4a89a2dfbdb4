package sim

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	seedFlag   = flag.Uint64("sim.seed", 0, "run only this seed (replay), with a trace")
	seedsFlag  = flag.Int("sim.seeds", 500, "how many seeds TestSimulation runs")
	firstFlag  = flag.Uint64("sim.first", 1, "first seed of the run")
	faultsFlag = flag.String("sim.faults", "all", "fault kinds the chaos injects: all, legacy, or a list such as crash,partition,pause (-kind removes one)")
	harshFlag  = flag.Bool("sim.harsh", false, "harsher scenarios (HarshScenario): more members, faults and delay")
)

// regression is a seed that once found a bug.
type regression struct {
	seed  uint64
	harsh bool // found by HarshScenario
}

// regressions are seeds that once found a bug; TestSimulationRegressions
// always runs them, with every fault kind.
var regressions = []regression{
	// A merge request from an incarnation that had exited, held back 2 s
	// by a slow link, put two incarnations of one address in a view; the
	// live one delivered point-to-point messages meant for the dead one.
	{seed: 401095}, {seed: 403754}, {seed: 301293, harsh: true},
}

// scenario returns the seed's scenario with the fault kinds of -sim.faults
// (harsh with -sim.harsh).
func scenario(t testing.TB, seed uint64) Scenario {
	return makeScenario(t, regression{seed: seed, harsh: *harshFlag})
}

func makeScenario(t testing.TB, r regression) Scenario {
	kinds, err := ParseFaultKinds(*faultsFlag)
	if err != nil {
		t.Fatal(err)
	}
	sc := RandomScenario(r.seed)
	if r.harsh {
		sc = HarshScenario(r.seed)
	}
	sc.Kinds = kinds
	return sc
}

// replay is the command that replays a seed.
func replay(r regression) string {
	cmd := fmt.Sprintf("go test ./stack/transport/sim -run 'TestSimulation$' -sim.seed=%d -v", r.seed)
	if *faultsFlag != "all" {
		cmd += fmt.Sprintf(" -sim.faults=%s", *faultsFlag)
	}
	if r.harsh {
		cmd += " -sim.harsh"
	}
	return cmd
}

// TestSimulation runs many seeded scenarios with loss (bursty or not),
// duplication, reordering, late datagrams, slow links, crashes, restarts,
// leaves, pauses, one-way cuts and partitions into several components, and
// checks the membership and delivery properties after each.
func TestSimulation(t *testing.T) {
	if *seedFlag != 0 {
		sc := scenario(t, *seedFlag)
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
	seeds := make([]regression, *seedsFlag)
	for i := range seeds {
		seeds[i] = regression{seed: *firstFlag + uint64(i), harsh: *harshFlag}
	}
	runSeeds(t, seeds)
}

// TestSimulationRegressions replays the seeds that found bugs.
func TestSimulationRegressions(t *testing.T) {
	if *seedFlag != 0 {
		t.Skip("replaying one seed")
	}
	runSeeds(t, regressions)
}

// runSeeds runs the scenarios of seeds on every core and reports the
// failures (stopping after five), each with its replay command.
func runSeeds(t *testing.T, seeds []regression) {
	var (
		next   atomic.Int64
		failed atomic.Int64
		wg     sync.WaitGroup
		mu     sync.Mutex
		total  Result
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(seeds)) || failed.Load() >= 5 {
					return
				}
				seed := seeds[i]
				res := makeScenario(t, seed).Run()
				mu.Lock()
				total.Casts += res.Casts
				total.Views += res.Views
				total.Leaves += res.Leaves
				total.Crashes += res.Crashes
				total.Partitions += res.Partitions
				total.Pauses += res.Pauses
				total.OneWays += res.OneWays
				total.SlowLinks += res.SlowLinks
				mu.Unlock()
				if len(res.Violations) > 0 {
					failed.Add(1)
					v := res.Violations
					if len(v) > 5 {
						v = v[:5]
					}
					t.Errorf("seed %d: %d violations:\n  %s\nreplay: %s",
						seed.seed, len(res.Violations), strings.Join(v, "\n  "), replay(seed))
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d seeds, %d casts, %d view installations, %d crashes, %d leaves, %d partitions, %d one-way cuts, %d pauses, %d slow-link episodes",
		len(seeds), total.Casts, total.Views, total.Crashes, total.Leaves, total.Partitions, total.OneWays, total.Pauses, total.SlowLinks)
}
