package csx

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/lockstep"
	"github.com/maestro-go/maestro/internal/seedrun"
	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/transport/sim"
)

var (
	csxSeed  = flag.Uint64("csx.seed", 0, "run only this seed, with a trace")
	csxSeeds = flag.Int("csx.seeds", 150, "how many seeds TestSimulatedStateTransfer runs")
	csxFirst = flag.Uint64("csx.first", 1, "first seed of the run")
	csxNew   = flag.Bool("csx.newfaults", true, "also inject one-way cuts, pauses, slow links, late datagrams and burst loss")
)

// csxRegressions are seeds that once found a bug; they always run.
var csxRegressions = []uint64{6543}

// update is one set(x, y, v) cast.
type update struct {
	x, y int
	v    int32
}

// csxRun is one seeded scenario of grid servers doing state transfer while
// members join, crash, partition and merge.
type csxRun struct {
	seed     uint64
	net      *sim.Network
	rng      *rand.Rand
	bat      *lockstep.Baton
	xfer     clsv.XferType
	updates  map[string]update
	snaps    map[int]snapshot
	grids    []*simGrid
	errs     []string
	trace    func(string)
	joins    int
	stats    csxStats
	noCrash  bool                // the quiet period of a run that must not lose replicas
	mayCrash func(*simGrid) bool // if set, says whether a replica may crash now
}

// csxStats counts what a run exercised.
type csxStats struct {
	transfers, terminated, sourceCrashes, partitions, discarded int
	oneWays, pauses                                             int
}

func (a *csxStats) add(b csxStats) {
	a.transfers += b.transfers
	a.terminated += b.terminated
	a.sourceCrashes += b.sourceCrashes
	a.partitions += b.partitions
	a.discarded += b.discarded
	a.oneWays += b.oneWays
	a.pauses += b.pauses
}

// snapshot is what a source sent: its history when it answered, and the
// transaction it answered.
type snapshot struct {
	history []string
	xfer    string
}

// simGrid is a grid replica recording everything the checks need.
type simGrid struct {
	Callbacks
	r          *csxRun
	m          *Member
	addr       string
	me         EndpID
	cells      [100]int32
	history    []string
	view       *ViewData
	seen       map[string]bool
	aborted    map[string]bool
	mine       []string
	k          int
	dead       bool
	xferDone   int
	ending     bool // the view is ending (Block seen, next view not yet)
	primary    bool // over Primary and Safe: no delivery outside a primary view, no rollback
	wasPrimary bool // has been in a primary view since it started
	replaced   bool // crashed and restarted as a new replica object
}

func (g *simGrid) Block() { g.ending = true }

// normal reports whether the replica counts toward a majority: it was in a
// primary view since it started, without being a zombie in it.
func (g *simGrid) normal() bool { return g.wasPrimary }

func (r *csxRun) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *csxRun) logf(format string, args ...any) {
	if r.trace != nil {
		r.trace(fmt.Sprintf("%8.3fs ", r.net.Now().Sub(time.Unix(1_000_000, 0)).Seconds()) + fmt.Sprintf(format, args...))
	}
}

func (g *simGrid) AcceptedView(v *ViewData, _ *message.Message) {
	g.view, g.ending = v, false
	g.wasPrimary = g.wasPrimary || v.Primary
	g.r.logf("%s view %s servers=%v xfer=%v clients=%d me=%v history=%d", g.addr, v.ID, v.Servers, v.XferServers, len(v.Clients), v.MyState, len(g.history))
}

func (g *simGrid) deliver(from EndpID, msg *message.Message, aborted bool) {
	id := msg.GetString()
	if msg.Err() != nil {
		g.r.fail("%s: unreadable message from %s", g.addr, from)
		return
	}
	if aborted {
		g.aborted[id] = true
		return
	}
	if g.seen[id] {
		g.r.fail("%s: %s delivered twice", g.addr, id)
	}
	g.seen[id] = true
	if g.r.trace != nil && g.view != nil && g.view.MyState != clsv.StateServer {
		g.r.logf("%s (%v) delivers %s", g.addr, g.view.MyState, id)
	}
	if g.primary && (g.view == nil || !g.view.Primary) {
		g.r.fail("%s: %s delivered outside a primary view", g.addr, id)
	}
	safe := strings.HasPrefix(id, "safe:")
	if v := g.view; v != nil && v.XferView() && !g.ending {
		if (!safe && g.r.xfer != clsv.Free) || (safe && g.r.xfer == clsv.Atomic) {
			g.r.fail("%s: %s delivered during a state transfer (%v transfer, view %s)", g.addr, id, g.r.xfer, v.ID)
		}
	}
	if safe {
		return
	}
	u, ok := g.r.updates[id]
	if !ok {
		g.r.fail("%s: delivered unknown update %s", g.addr, id)
		return
	}
	g.cells[u.x*10+u.y] = u.v
	g.history = append(g.history, id)
}

func (g *simGrid) ReceiveCast(from EndpID, msg *message.Message) { g.deliver(from, msg, false) }
func (g *simGrid) AbortCast(from EndpID, msg *message.Message)   { g.deliver(from, msg, true) }

// The state goes in two portions, so that a mixed state would show.
func (g *simGrid) AskState(origin EndpID, id XferID, req *message.Message) {
	part := req.GetInt()
	token := len(g.r.snaps)
	g.r.snaps[token] = snapshot{history: slices.Clone(g.history), xfer: id.String()}
	g.r.logf("%s answers %s part %d with %d updates", g.addr, id, part, len(g.history))
	lo := part * 50
	st := message.New().PutInt(token).PutInt(part)
	for _, c := range g.cells[lo : lo+50] {
		st.PutInt32(c)
	}
	if err := g.m.SendState(origin, id, st); err != nil {
		g.r.logf("%s: send state: %v", g.addr, err)
	}
	// Sometimes the source dies right after answering, or before the
	// answer leaves: the transfer must restart, never mix states.
	if g.r.rng.IntN(4) == 0 {
		g.r.stats.sourceCrashes++
		g.r.crashSoon(g)
	}
}

func (g *simGrid) StateTransfer(id XferID) {
	var cells [100]int32
	var hist []string
	for part := 0; part < 2; part++ {
		st, err := g.m.GetState(context.Background(), id, message.New().PutInt(part))
		if err != nil {
			if !errorsIs(err, ErrXferTerminated) {
				g.r.fail("%s: GetState: %v", g.addr, err)
			}
			g.r.stats.terminated++
			return
		}
		token, gotPart := st.GetInt(), st.GetInt()
		for i := 0; i < 50; i++ {
			cells[part*50+i] = st.GetInt32()
		}
		if st.Err() != nil || gotPart != part {
			g.r.fail("%s: bad state portion %d: %v", g.addr, gotPart, st.Err())
			return
		}
		snap := g.r.snaps[token]
		if snap.xfer != id.String() {
			g.r.fail("%s: GetState for %s returned the state of transaction %s", g.addr, id, snap.xfer)
		}
		if part == 1 && !slices.Equal(snap.history, hist) {
			g.r.fail("%s: the two portions of %s come from different states (%d vs %d updates)", g.addr, id, len(hist), len(snap.history))
		}
		hist = snap.history
	}
	if g.primary && (len(hist) < len(g.history) || !slices.Equal(hist[:len(g.history)], g.history)) {
		g.r.fail("%s: rollback: the state of %s (%d updates) does not extend the %d updates applied here", g.addr, id, len(hist), len(g.history))
	}
	g.cells, g.history = cells, hist
	g.r.logf("%s installs state of %s: %d updates", g.addr, id, len(hist))
	if err := g.m.XferDone(id); err != nil && !errorsIs(err, ErrXferTerminated) {
		g.r.fail("%s: XferDone: %v", g.addr, err)
	}
	g.xferDone++
	g.r.stats.transfers++
}

func errorsIs(err, target error) bool {
	for e := err; e != nil; {
		if e == target {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func (r *csxRun) options(addr string) Options {
	cfg := sim.SimConfig()
	return Options{
		Options: clsv.Options{
			Options: groupmember.Options{
				Group: "csx", Stack: cfg,
				Start: func(o stack.Options) (stack.Driver, error) { return r.net.Attach(addr, o, cfg.Tick) },
			},
			Mode: clsv.Server, Xfer: r.xfer, JoinGrace: 400 * time.Millisecond, XferBatch: 100 * time.Millisecond,
			AfterFunc: func(d time.Duration, f func()) { r.net.After(d, f) },
		},
		Scheduler: r.bat,
	}
}

func (r *csxRun) start(addr string) *simGrid {
	g := &simGrid{r: r, addr: addr, seen: map[string]bool{}, aborted: map[string]bool{}}
	m, err := New(r.options(addr), g)
	if err != nil {
		r.fail("new %s: %v", addr, err)
		return g
	}
	g.m = m
	if err := m.Join(context.Background()); err != nil {
		r.fail("join %s: %v", addr, err)
		return g
	}
	g.me = m.ID()
	r.grids = append(r.grids, g)
	r.logf("%s starts as %s", addr, g.me)
	return g
}

func (r *csxRun) live() []*simGrid {
	var out []*simGrid
	for _, g := range r.grids {
		if !g.dead {
			out = append(out, g)
		}
	}
	return out
}

// addrs returns the addresses of the live members.
func (r *csxRun) addrs() []string {
	var out []string
	for _, g := range r.live() {
		out = append(out, g.addr)
	}
	return out
}

func (r *csxRun) crash(g *simGrid) {
	if g.dead || len(r.live()) <= 1 || r.noCrash || (r.mayCrash != nil && !r.mayCrash(g)) {
		return
	}
	g.dead = true
	r.logf("crash %s", g.addr)
	_ = g.m.Close()
}

func (r *csxRun) crashSoon(g *simGrid) {
	r.net.After(time.Duration(r.rng.IntN(20))*time.Millisecond, func() { r.crash(g) })
}

func (r *csxRun) cast(g *simGrid) {
	if g.dead || g.view == nil {
		return
	}
	g.k++
	if r.rng.IntN(5) == 0 {
		id := fmt.Sprintf("safe:%s#%d", g.me, g.k)
		_ = g.m.Cast(message.New().PutString(id), clsv.Safe)
		return
	}
	id := fmt.Sprintf("%s#%d", g.me, g.k)
	r.updates[id] = update{x: r.rng.IntN(10), y: r.rng.IntN(10), v: int32(r.rng.Int32())}
	g.mine = append(g.mine, id)
	if err := g.m.Cast(message.New().PutString(id), clsv.Generic); err != nil {
		r.fail("%s: cast: %v", g.addr, err)
	}
}

func runCSX(seed uint64, trace func(string)) ([]string, csxStats) {
	net := sim.NewNetwork(seed, sim.Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	rng := net.Rand()
	r := &csxRun{seed: seed, net: net, rng: rng, bat: &lockstep.Baton{}, updates: map[string]update{}, snaps: map[int]snapshot{}, trace: trace}
	net.AfterEvent = r.bat.Run
	// Free transfer lets updates race the state: keeping a replica
	// consistent then is the application's job, so the grid uses Protected
	// or Atomic transfer (TestFreeTransferHoldsNothing covers Free).
	r.xfer = []clsv.XferType{clsv.Atomic, clsv.Protected}[rng.IntN(2)]
	initial := 2 + rng.IntN(3)
	for i := 0; i < initial; i++ {
		r.start(fmt.Sprintf("s%d", i))
	}
	net.RunFor(2 * time.Second)

	chaos := time.Duration(4000+rng.IntN(4000)) * time.Millisecond
	end := net.Now().Add(chaos)
	faults := sim.Faults{Loss: 0.1 * rng.Float64(), Dup: 0.05 * rng.Float64(), MinDelay: time.Millisecond, MaxDelay: time.Duration(2+rng.IntN(15)) * time.Millisecond}
	if *csxNew && rng.IntN(2) == 0 {
		faults.Late, faults.LateMin, faults.LateMax = 0.005*rng.Float64(), 500*time.Millisecond, 3*time.Second
	}
	if *csxNew && rng.IntN(2) == 0 {
		faults.Burst = sim.Burst{Enter: 0.002 + 0.03*rng.Float64(), Leave: 0.05 + 0.28*rng.Float64(), Loss: 0.5 + 0.5*rng.Float64()}
	}
	net.SetFaults(faults)
	r.logf("faults %+v", faults)
	var tick func()
	tick = func() {
		if net.Now().After(end) {
			return
		}
		for _, g := range r.live() {
			if rng.IntN(3) == 0 {
				r.cast(g)
			}
		}
		switch x := rng.IntN(40); {
		case x == 0 && r.joins < 3:
			r.joins++
			r.start(fmt.Sprintf("j%d", r.joins))
		case x == 1:
			if l := r.live(); len(l) > 2 {
				r.crash(l[rng.IntN(len(l))])
			}
		case x == 2:
			groups := sim.Split(rng, r.addrs())
			net.Partition(groups...)
			r.stats.partitions++
			r.logf("partition %v", groups)
		case x == 3 || x == 4:
			net.Heal()
			r.logf("heal")
		case x == 5 && *csxNew:
			groups := sim.Split(rng, r.addrs())
			net.Block(groups[0], slices.Concat(groups[1:]...))
			r.stats.oneWays++
			r.logf("one-way cut %v -> %v", groups[0], groups[1:])
		case x == 6 && *csxNew:
			// The member's stack stops like a SIGSTOPped process; the
			// grid's timers and transfer goroutines go on, and their
			// downcalls wait for the stack to resume.
			if l := r.live(); len(l) > 0 {
				g := l[rng.IntN(len(l))]
				nd := net.Node(g.addr)
				if !nd.Paused() {
					d := time.Duration(100+rng.IntN(1500)) * time.Millisecond
					nd.Pause()
					r.stats.pauses++
					r.logf("pause %s for %v", g.addr, d)
					net.After(d, func() {
						if nd.Paused() {
							r.logf("resume %s", g.addr)
							nd.Resume()
						}
					})
				}
			}
		case x == 7 && *csxNew:
			a := r.addrs()
			if len(a) > 1 {
				i := rng.IntN(len(a))
				j := (i + 1 + rng.IntN(len(a)-1)) % len(a)
				extra := time.Duration(500+rng.IntN(2000)) * time.Millisecond
				net.SlowLink(a[i], a[j], extra, time.Duration(100+rng.IntN(1000))*time.Millisecond)
				r.logf("slow link %s -> %s by %v", a[i], a[j], extra)
			}
		}
		net.After(time.Duration(30+rng.IntN(60))*time.Millisecond, tick)
	}
	net.After(0, tick)
	net.RunFor(chaos)

	net.Heal()
	net.SetFaults(sim.Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	for _, nd := range net.Nodes() {
		if nd.Paused() {
			r.logf("resume %s", nd.Addr)
			nd.Resume()
		}
	}
	r.logf("quiet")
	net.RunFor(20 * time.Second)
	r.checkConverged()
	// A last update from everyone reaches every server.
	var finals []string
	for _, g := range r.live() {
		before := len(g.mine)
		r.cast(g)
		if len(g.mine) > before {
			finals = append(finals, g.mine[len(g.mine)-1])
		}
	}
	net.RunFor(3 * time.Second)
	r.checkFinal(finals)
	for _, g := range r.grids {
		if g.m != nil {
			r.stats.discarded += int(g.m.Discarded())
		}
	}
	return r.errs, r.stats
}

// checkConverged: one view of every live member, all of them servers.
func (r *csxRun) checkConverged() {
	live := r.live()
	var id string
	for _, g := range live {
		v := g.view
		if v == nil {
			r.fail("%s: no view", g.addr)
			return
		}
		if id != "" && v.ID != id {
			r.fail("no convergence: %s is in view %s, another member in %s", g.addr, v.ID, id)
			return
		}
		id = v.ID
		if len(v.Members) != len(live) || len(v.Servers) != len(live) {
			r.fail("no convergence: view %s has %d members, %d servers, %d xfer servers; %d live", v.ID, len(v.Members), len(v.Servers), len(v.XferServers), len(live))
			return
		}
	}
}

// checkFinal: identical grids and histories; every grid is what its
// history gives; the final updates are everywhere; no own cast was lost.
func (r *csxRun) checkFinal(finals []string) {
	live := r.live()
	for _, g := range live {
		var want [100]int32
		for _, id := range g.history {
			u := r.updates[id]
			want[u.x*10+u.y] = u.v
		}
		if want != g.cells {
			r.fail("%s: grid is not the result of applying its history", g.addr)
		}
		for _, id := range finals {
			if !g.seen[id] {
				r.fail("%s: final update %s not delivered", g.addr, id)
			}
		}
		for _, id := range g.mine {
			if !g.seen[id] && !g.aborted[id] && !slices.Contains(g.history, id) {
				r.fail("%s: own update %s neither delivered nor aborted", g.addr, id)
			}
		}
	}
	for _, g := range live[1:] {
		if g.cells != live[0].cells {
			r.fail("grids differ: %s and %s", live[0].addr, g.addr)
		}
		if !slices.Equal(g.history, live[0].history) {
			r.fail("histories differ: %s (%d updates) and %s (%d): %s", live[0].addr, len(live[0].history), g.addr, len(g.history), historyDiff(live[0].history, g.history))
		}
	}
}

// TestSimulatedStateTransfer runs seeded scenarios: servers join during a
// stream of updates, state sources crash mid-transfer, the group partitions
// and merges during transfers, several servers join at once; afterwards
// every server has the same grid, equal to applying its history in order,
// no GetState returned another transaction's or a mixed state, and no
// transfer-sensitive message was delivered during a transfer.
func TestSimulatedStateTransfer(t *testing.T) {
	if *csxSeed != 0 {
		seedrun.Replay(t, func(trace func(string)) []string {
			errs, _ := runCSX(*csxSeed, trace)
			return errs
		})
		return
	}
	total := runCSXSeeds(t, seedrun.Range(*csxFirst, *csxSeeds))
	if total.transfers == 0 || total.terminated == 0 || total.sourceCrashes == 0 {
		t.Error("the scenarios did not exercise transfers, terminations and source crashes")
	}
}

// TestSimulatedStateTransferRegressions replays the seeds that found bugs.
func TestSimulatedStateTransferRegressions(t *testing.T) {
	if *csxSeed != 0 {
		t.Skip("replaying one seed")
	}
	runCSXSeeds(t, csxRegressions)
}

// runCSXSeeds runs the seeds, reports failures with their replay
// commands, and returns the totals.
func runCSXSeeds(t *testing.T, seeds []uint64) csxStats {
	var (
		mu    sync.Mutex
		total csxStats
	)
	flags := ""
	if !*csxNew {
		flags = " -csx.newfaults=false"
	}
	seedrun.Run(t, seeds, func(seed uint64) []string {
		errs, st := runCSX(seed, nil)
		mu.Lock()
		total.add(st)
		mu.Unlock()
		return errs
	}, func(seed uint64) string {
		return fmt.Sprintf("go test ./maestro/csx -run TestSimulatedStateTransfer -csx.seed=%d%s -v", seed, flags)
	})
	t.Logf("%d seeds: %d transfers completed, %d GetStates terminated, %d sources crashed after answering, %d partitions, %d one-way cuts, %d pauses, %d late state replies discarded",
		len(seeds), total.transfers, total.terminated, total.sourceCrashes, total.partitions, total.oneWays, total.pauses, total.discarded)
	return total
}

// historyDiff describes where two histories part.
func historyDiff(a, b []string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	tail := func(h []string) []string { return h[i:min(len(h), i+4)] }
	return fmt.Sprintf("first difference at %d: %v vs %v", i, tail(a), tail(b))
}
