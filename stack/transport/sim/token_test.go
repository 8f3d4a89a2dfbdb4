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
	"time"

	"github.com/maestro-go/maestro/stack"
)

var (
	tokenSeedFlag  = flag.Uint64("token.seed", 0, "run only this seed of TestTokenSimulation (replay), with a trace")
	tokenSeedsFlag = flag.Int("token.seeds", 300, "how many seeds TestTokenSimulation runs")
	tokenFirstFlag = flag.Uint64("token.first", 1, "first seed of TestTokenSimulation")
)

// TokenScenario is the seeded scenario of RandomScenario with the rotating
// token instead of the sequencer: most seeds run the full stack, one in
// four a stack without fragmentation and flow control.
func TokenScenario(seed uint64) Scenario {
	sc := RandomScenario(seed)
	sc.Properties = "Gmp:Sync:Heal:Frag:Suspect:Flow:Token"
	if seed%4 == 0 {
		sc.Properties = "Gmp:Sync:Heal:Suspect:Token"
	}
	return sc
}

// endRecorder is a pass-through layer put right above the total order: it
// records the EndCasts the total order predicts at each EAnnotate, and how
// many casts a member delivered between its last EAnnotate and EViewEnd.
type endRecorder struct {
	rec func(r endRecord)
}

// endRecord is a prediction (at EAnnotate) or an outcome (at EViewEnd) of
// one member in one flush of a view.
type endRecord struct {
	me    stack.Endpoint
	view  stack.ViewID
	flush stack.FlushTag
	end   bool   // an outcome
	n     uint64 // EndCasts predicted, or casts delivered at the view's end
}

func (endRecorder) Name() string { return "EndRecorder" }

func (p endRecorder) NewLayer(env *stack.Env) stack.Layer { return &endLayer{p: p, env: env} }

type endLayer struct {
	p         endRecorder
	env       *stack.Env
	annotated bool
	flush     stack.FlushTag
	delivered uint64
}

func (l *endLayer) Down(ev *stack.Event) { l.env.PassDown(ev) }
func (l *endLayer) Tick(time.Time)       {}

func (l *endLayer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.EAnnotate:
		l.annotated, l.flush, l.delivered = true, ev.Flush, 0
		l.p.rec(endRecord{me: l.env.Me, view: l.env.View.ID, flush: ev.Flush, n: ev.EndCasts})
	case stack.ECast:
		if l.annotated {
			l.delivered++
		}
	case stack.EViewEnd:
		if l.annotated {
			l.p.rec(endRecord{me: l.env.Me, view: l.env.View.ID, flush: l.flush, end: true, n: l.delivered})
		}
	}
	l.env.PassUp(ev)
}

// checkEndCasts verifies the EndCasts contract: in each flush that ended a
// view, the largest prediction of its members is what every member that
// ended the view with that flush delivered at the view's end.
func checkEndCasts(recs []endRecord) []string {
	type flush struct {
		view stack.ViewID
		tag  stack.FlushTag
	}
	most := map[flush]uint64{}
	for _, r := range recs {
		if k := (flush{r.view, r.flush}); !r.end && r.n > most[k] {
			most[k] = r.n
		}
	}
	var errs []string
	for _, r := range recs {
		if k := (flush{r.view, r.flush}); r.end && r.n != most[k] {
			errs = append(errs, fmt.Sprintf("EndCasts: %v delivered %d casts at the end of view %v (flush %v) but the largest prediction was %d", r.me, r.n, r.view, r.flush, most[k]))
		}
	}
	return errs
}

// runAccounted runs a scenario like Scenario.Run and also checks that no
// cast vanished at its sender: every cast of a member that is still running
// at the end (same incarnation, not left) was delivered to it or reported
// to it with AbortCast; and that the total order's EndCasts predictions
// held.
func runAccounted(sc Scenario) (Result, int) {
	rn, err := sc.newRun()
	if err != nil {
		return Result{Violations: []string{err.Error()}}, 0
	}
	var ends []endRecord
	rec := endRecorder{rec: func(r endRecord) { ends = append(ends, r) }}
	cfg := rn.nodeConfig()
	cfg.NewCore = func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error) {
		var ps []stack.Protocol
		for _, p := range rn.pr.Protocols() {
			if p.Name() == "Total" || p.Name() == "Token" {
				ps = append(ps, rec)
			}
			ps = append(ps, p)
		}
		return stack.NewCore(stack.CoreOptions{
			Group: "sim", Me: me, Config: rn.sc.Config, Protocols: ps,
			Out: out, Seed: rn.sc.Seed, Log: rn.sc.Log,
		})
	}
	for i := 0; i < sc.Members; i++ {
		if _, err := rn.net.AddNode(fmt.Sprintf("n%d", i), cfg); err != nil {
			return Result{Violations: []string{err.Error()}}, 0
		}
	}
	rn.chaos()
	rn.quiet()
	rn.res.Violations = append(rn.res.Violations, rn.chk.Check()...)
	rn.res.Violations = append(rn.res.Violations, checkEndCasts(ends)...)
	for _, nd := range rn.net.Nodes() {
		if !nd.Alive() || nd.Core().Exited() || rn.leaving[nd.Me()] {
			continue
		}
		me := nd.Me()
		m := rn.chk.members[me]
		for k := 1; k <= rn.casts[me.String()]; k++ {
			id := MessageID(me, k)
			if m == nil || (!m.seen[id] && !m.aborted[id]) {
				rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("%v: its cast %s was neither delivered nor aborted at it", me, id))
			}
		}
	}
	aborts := 0
	for _, m := range rn.chk.members {
		aborts += len(m.aborted)
	}
	rn.res.Delivered = rn.net.Delivered
	return rn.res, aborts
}

// TestTokenSimulation runs the seeded scenarios of TestSimulation (loss,
// duplication, reordering, crashes, restarts, leaves, partitions) over the
// rotating-token total order, and checks the membership and delivery
// properties — Strong Prefix included — after each, that every cast was
// delivered or aborted at its sender, and that EndCasts predicted what
// each view's end delivered.
func TestTokenSimulation(t *testing.T) {
	if *tokenSeedFlag != 0 {
		sc := TokenScenario(*tokenSeedFlag)
		var trace []string
		sc.Trace = func(s string) { trace = append(trace, s) }
		sc.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		res, aborts := runAccounted(sc)
		t.Logf("%d aborted casts", aborts)
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
		aborts int
	)
	next.Store(*tokenFirstFlag)
	last := *tokenFirstFlag + uint64(*tokenSeedsFlag)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seed := next.Add(1) - 1
				if seed >= last || failed.Load() >= 5 {
					return
				}
				res, ab := runAccounted(TokenScenario(seed))
				mu.Lock()
				aborts += ab
				casts += res.Casts
				views += res.Views
				mu.Unlock()
				if len(res.Violations) > 0 {
					failed.Add(1)
					v := res.Violations
					if len(v) > 5 {
						v = v[:5]
					}
					t.Errorf("seed %d: %d violations:\n  %s\nreplay: go test ./stack/transport/sim -run TestTokenSimulation -token.seed=%d -v",
						seed, len(res.Violations), strings.Join(v, "\n  "), seed)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d seeds, %d casts, %d view installations, %d aborts", *tokenSeedsFlag, casts, views, aborts)
}
