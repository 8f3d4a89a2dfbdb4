package orb

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/lockstep"
	"github.com/maestro-go/maestro/internal/seedrun"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/transport/sim"
)

var (
	ruSeed  = flag.Uint64("ru.seed", 0, "run only this seed of TestSimulatedReplicatedUpdates, with a trace")
	ruSeeds = flag.Int("ru.seeds", 16, "how many seeds TestSimulatedReplicatedUpdates runs")
	ruFirst = flag.Uint64("ru.first", 1, "first seed of the run")

	commuteSeed  = flag.Uint64("commute.seed", 0, "run only this seed of TestSimulatedCommutingRequests, with a trace")
	commuteSeeds = flag.Int("commute.seeds", 48, "how many seeds TestSimulatedCommutingRequests runs (losing a request with its replica is rare: 3 in 48 seeds)")

	clocks = flag.String("ru.clocks", "mixed", "the incarnations of restarted replicas in the RU simulations: growing (larger, as their start times are), stepped (random, as after clocks stepped back), mixed (stepped on odd seeds)")
)

// The simulation runs a fixed set of RU replicas (ProgressInPrimaryOnly,
// Safe) over the simulated network, with simulated clients calling them
// directly — some FT-aware (they retry a request that may have run, with
// the same retention id, at another replica), some not — while replicas
// crash and restart from their disks (zombies) and the network partitions
// and heals. The object appends each request's value to a log and
// answers its position, so the checks of §4.4.5 can be read off the
// replicas' logs and the clients' replies:
//   - Validity: no replica applies a request outside a primary view, and
//     no replica's log is ever replaced by one that does not extend it
//     (no rollback);
//   - Linearizability and Completeness: at the end every replica holds the
//     same log, and every acknowledged request sits in it at the position
//     its reply gave;
//   - at most once: no value is in the log twice, however often it was
//     retried;
//   - a request answered TRANSIENT/COMPLETED_NO (refused, forwarded or
//     aborted) and never retried is in no log;
//   - nothing is dropped: every request a live replica received is
//     answered, and every replica answers a new request at the end.
//
// The same scenarios run with RequestsCommute (and progress in every
// partition, so without partitions, whose merge would rightly drop the
// smaller side's updates): the replicas apply the appends in different
// orders, so their logs are compared as sets, and an acknowledged
// request must be in them unless the replica that answered it crashed or
// a merge replaced the state of a component that held it by another's:
// the merge rule of progress in every partition, met here when loss
// makes members suspect each other, or when a restarted replica that
// could not reach the group founds a new state. Such losses are counted.
// simLog is the replicated object of the simulation.
type simLog struct {
	n       *ruNode
	entries []string
}

func (l *simLog) Update(op string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	if op != "append" {
		iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
		return iiop.SystemExceptionReply
	}
	v := req.ReadString()
	if req.Err() != nil {
		return iiop.NoException
	}
	if view := l.n.orb.View(); !l.n.s.commute && (view == nil || !view.Primary) {
		l.n.s.fail("%s applied %s outside a primary view", l.n.addr, v)
	}
	l.entries = append(l.entries, v)
	l.n.s.logf("%s applies %s at %d", l.n.addr, v, len(l.entries))
	reply.WriteULong(uint32(len(l.entries)))
	return iiop.NoException
}

func (l *simLog) PushState(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join(l.entries, "\n"))
	return err
}

func (l *simLog) GetState(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var got []string
	if len(b) > 0 {
		got = strings.Split(string(b), "\n")
	}
	if l.n.s.commute {
		for _, v := range missingFrom(got, l.entries) {
			l.n.s.logf("%s: the state from the merge discards %s", l.n.addr, v)
			l.n.s.discarded[v] = true
			l.n.s.stats.discarded++
		}
	} else if len(got) < len(l.entries) || !slices.Equal(got[:len(l.entries)], l.entries) {
		l.n.s.fail("%s: rollback: a state of %d entries does not extend the %d applied here", l.n.addr, len(got), len(l.entries))
	}
	l.entries = got
	return nil
}

// ruNode is one incarnation of a replica.
type ruNode struct {
	s        *ruSim
	addr     string
	orb      *ReplicatedUpdates
	obj      *simLog
	dead     bool
	replaced bool
	calls    map[RequestID]*simCall // requests received and not answered
}

// RequestReply and the others are the node's answers, as its client sees
// them.
func (n *ruNode) RequestReply(id RequestID, status iiop.ReplyStatus, body []byte) error {
	c := n.take(id)
	if c == nil {
		return nil
	}
	switch status {
	case iiop.NoException:
		d := iiop.NewDecoder(iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12}, body, 0)
		pos := d.ReadULong()
		if d.Err() != nil || pos == 0 {
			n.s.fail("%s: unreadable reply to %s", n.addr, c.value)
		}
		n.s.acked[c.value] = int(pos)
		n.s.ackedBy[c.value] = n
		n.s.stats.acked++
		c.client.done(c)
	case iiop.LocationForward:
		c.client.refused(c)
	default:
		n.s.fail("%s: reply status %v to %s", n.addr, status, c.value)
	}
	return nil
}

func (n *ruNode) ReplySystemException(id RequestID, exc *iiop.SystemException) error {
	c := n.take(id)
	if c == nil {
		return nil
	}
	if exc.Name() != iiop.ExcTransient || exc.Completed != iiop.CompletedNo {
		n.s.fail("%s: %s answered %v", n.addr, c.value, exc)
	}
	c.client.refused(c)
	return nil
}

func (n *ruNode) LocateReply(RequestID, iiop.LocateStatus, []byte) error { return nil }

func (n *ruNode) take(id RequestID) *simCall {
	c := n.calls[id]
	if c == nil {
		n.s.fail("%s: answer to unknown request %v", n.addr, id)
		return nil
	}
	delete(n.calls, id)
	n.s.logf("%s answers %s", n.addr, c.value)
	return c
}

// simClient issues one request at a time.
type simClient struct {
	s       *ruSim
	name    string
	ft      bool
	k       int
	current *simCall
}

type simCall struct {
	client    *simClient
	value     string
	retention int32
	tries     int
}

func (c *simClient) done(call *simCall) { c.current = nil }

// refused: the request was not applied. An FT client sends it again; any
// other client gives up on it, and it must then stay unapplied.
func (c *simClient) refused(call *simCall) {
	c.s.stats.refused++
	if c.ft {
		c.retry(call)
		return
	}
	c.s.never[call.value] = true
	c.current = nil
}

// lost: the replica died with the request in flight (COMM_FAILURE,
// COMPLETED_MAYBE). An FT client retries it; for others it may or may
// not have been applied.
func (c *simClient) lost(call *simCall) {
	c.s.stats.lost++
	if c.ft {
		c.retry(call)
		return
	}
	c.current = nil
}

func (c *simClient) retry(call *simCall) {
	c.s.stats.retries++
	call.tries++
	c.s.net.After(time.Duration(20+c.s.rng.IntN(200))*time.Millisecond, func() { c.s.send(call) })
}

// ruStats counts what runs exercised.
type ruStats struct {
	acked, refused, retries, lost, crashes, partitions, blocked, discarded int
}

func (a *ruStats) add(b ruStats) {
	a.acked += b.acked
	a.refused += b.refused
	a.retries += b.retries
	a.lost += b.lost
	a.crashes += b.crashes
	a.partitions += b.partitions
	a.blocked += b.blocked
	a.discarded += b.discarded
}

// ruSim is one seeded run.
type ruSim struct {
	seed      uint64
	net       *sim.Network
	rng       *rand.Rand
	bat       *lockstep.Baton
	replicas  int
	key       ObjectKey
	disks     map[string]bool
	nodes     []*ruNode
	clients   []*simClient
	acked     map[string]int // value -> position its reply gave
	ackedBy   map[string]*ruNode
	commute   bool            // RequestsCommute, progress in every partition
	discarded map[string]bool // values a replica lost when a merge replaced its state
	never     map[string]bool // values refused and given up on
	nextID    uint32
	stats     ruStats
	errs      []string
	trace     func(string)
	noCrash   bool
	// relayAborted is the replicas' RelayAborted, set before they start
	// (zero: the default).
	relayAborted int
}

func (s *ruSim) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func (s *ruSim) logf(format string, args ...any) {
	if s.trace != nil {
		s.trace(fmt.Sprintf("%8.3fs ", s.net.Now().Sub(time.Unix(1_000_000, 0)).Seconds()) + fmt.Sprintf(format, args...))
	}
}

// logger traces a replica's diagnostics with the run's (when tracing).
func (s *ruSim) logger(addr string) *slog.Logger {
	if s.trace == nil {
		return nil
	}
	return slog.New(slog.NewTextHandler(traceWriter{s, addr}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type traceWriter struct {
	s    *ruSim
	addr string
}

func (w traceWriter) Write(b []byte) (int, error) {
	w.s.logf("%s: %s", w.addr, strings.TrimSpace(string(b)))
	return len(b), nil
}

func (s *ruSim) live() []*ruNode {
	var out []*ruNode
	for _, n := range s.nodes {
		if !n.dead {
			out = append(out, n)
		}
	}
	return out
}

// start runs a replica at addr, from its disk.
func (s *ruSim) start(addr string) {
	n := &ruNode{s: s, addr: addr, calls: map[RequestID]*simCall{}}
	n.obj = &simLog{n: n}
	cfg := sim.SimConfig()
	d := &Dispatcher{log: slog.New(slog.DiscardHandler), bindings: map[string]binding{}, inflight: map[RequestID]ORB{}}
	o, err := NewReplicatedUpdates(ReplicatedUpdatesOptions{
		Dispatcher: d, Name: "ru", ProgressInPrimaryOnly: !s.commute, RequestsCommute: s.commute,
		Replicas: s.replicas, StateTransfer: true,
		Group: groupmember.Options{
			Stack: cfg,
			Start: func(o stack.Options) (stack.Driver, error) { return s.net.Attach(addr, o, cfg.Tick) },
			Reincarnate: func(string) (bool, error) {
				z := s.disks[addr]
				s.disks[addr] = true
				return z, nil
			},
		},
		AfterFunc:    func(d time.Duration, f func()) { s.net.After(d, f) },
		Scheduler:    s.bat,
		RelayAborted: s.relayAborted,
		Logger:       s.logger(addr),
	})
	if err != nil {
		s.fail("new %s: %v", addr, err)
		return
	}
	o.answer, o.addr = n, &iiop.Addr{Host: addr, Port: 2809}
	n.orb = o
	if err := o.Bind(s.key, "IDL:Log:1.0", n.obj); err != nil {
		s.fail("bind %s: %v", addr, err)
		return
	}
	if err := o.Activate(context.Background()); err != nil {
		s.fail("activate %s: %v", addr, err)
		return
	}
	s.nodes = append(s.nodes, n)
	s.logf("%s starts", addr)
}

func (s *ruSim) crash(n *ruNode) {
	if n.dead || s.noCrash || !s.mayCrash(n) {
		return
	}
	n.dead = true
	s.stats.crashes++
	s.logf("crash %s", n.addr)
	_ = n.orb.m.Close()
	ids := make([]RequestID, 0, len(n.calls))
	for id := range n.calls {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b RequestID) int { return int(a.ID) - int(b.ID) })
	for _, id := range ids {
		c := n.calls[id]
		delete(n.calls, id)
		c.client.lost(c)
	}
}

// mayCrash keeps a majority of replicas that count (not zombies) alive,
// as the csx primary simulation does: a group that loses it blocks for
// good, rightly, and leaves the run little to check.
//
// With commuting requests it keeps one other up-to-date replica alive: the
// state lives only in the replicas.
func (s *ruSim) mayCrash(n *ruNode) bool {
	if s.commute {
		for _, o := range s.live() {
			if v := o.orb.View(); o != n && o.orb.serving(v) {
				return true
			}
		}
		return false
	}
	counted := 0
	for _, o := range s.live() {
		if v := o.orb.View(); o != n && v != nil && v.Primary && !slices.Contains(v.Zombies, v.Me) {
			counted++
		}
	}
	return counted >= s.replicas/2+1
}

func (s *ruSim) restartOne() bool {
	for _, n := range s.nodes {
		if n.dead && !n.replaced {
			n.replaced = true
			s.start(n.addr)
			return true
		}
	}
	return false
}

// send delivers a client's request to a random live replica.
func (s *ruSim) send(c *simCall) {
	l := s.live()
	if len(l) == 0 {
		c.client.lost(c)
		return
	}
	s.sendTo(c, l[s.rng.IntN(len(l))], true)
}

// sendTo delivers a client's request to the replica n, two-way or oneway.
func (s *ruSim) sendTo(c *simCall, n *ruNode, twoWay bool) {
	s.nextID++
	id := RequestID{Conn: iiop.ConnID(1), ID: s.nextID}
	syntax := iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12}
	e := iiop.NewEncoder(syntax, 0)
	e.WriteString(c.value)
	req := &Request{ID: id, Key: s.key, ResponseExpected: twoWay, Operation: "append", Args: iiop.Body{Syntax: syntax, Data: e.Bytes()}}
	if c.client.ft {
		req.ServiceContexts = []iiop.ServiceContext{iiop.FTRequest{ClientID: c.client.name, RetentionID: c.retention}.Context()}
	}
	if twoWay {
		n.calls[id] = c
	}
	s.logf("%s -> %s (try %d)", c.value, n.addr, c.tries)
	n.orb.Request(req)
}

// issue starts a client's next request.
func (s *ruSim) issue(c *simClient) {
	c.k++
	call := &simCall{client: c, value: fmt.Sprintf("%s/%d", c.name, c.k), retention: int32(c.k)}
	c.current = call
	s.send(call)
}

// newRUSim sets up a run on a quiet network; replicas 0 draws 3 to 5.
// startAll starts its replicas, r0 up.
func newRUSim(seed uint64, replicas int, commute bool, trace func(string)) *ruSim {
	net := sim.NewNetwork(seed, sim.Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	// A restarted replica is a larger incarnation, as stack.Start's (its
	// start time) are, unless its clock stepped back.
	net.GrowingIncarnations = *clocks == "growing" || *clocks == "mixed" && seed%2 == 0
	rng := net.Rand()
	if replicas == 0 {
		replicas = 3 + rng.IntN(3)
	}
	s := &ruSim{seed: seed, net: net, rng: rng, bat: &lockstep.Baton{}, replicas: replicas, key: KeyFromString("log"),
		disks: map[string]bool{}, acked: map[string]int{}, ackedBy: map[string]*ruNode{}, never: map[string]bool{}, discarded: map[string]bool{},
		commute: commute, trace: trace}
	net.AfterEvent = s.bat.Run
	return s
}

func (s *ruSim) startAll() {
	for i := range s.replicas {
		s.start(fmt.Sprintf("r%d", i))
	}
}

func runRU(seed uint64, commute bool, trace func(string)) ([]string, ruStats) {
	s := newRUSim(seed, 0, commute, trace)
	s.startAll()
	net, rng := s.net, s.rng
	for i := range 4 {
		s.clients = append(s.clients, &simClient{s: s, name: fmt.Sprintf("c%d", i), ft: i%2 == 0})
	}
	net.RunFor(2 * time.Second)

	chaos := time.Duration(4000+rng.IntN(4000)) * time.Millisecond
	end := net.Now().Add(chaos)
	net.SetFaults(sim.Faults{Loss: 0.1 * rng.Float64(), Dup: 0.05 * rng.Float64(), MinDelay: time.Millisecond, MaxDelay: time.Duration(2+rng.IntN(15)) * time.Millisecond})
	var tick func()
	tick = func() {
		if net.Now().After(end) {
			return
		}
		for _, c := range s.clients {
			if c.current == nil && rng.IntN(2) == 0 {
				s.issue(c)
			}
		}
		switch x := rng.IntN(50); {
		case x == 0:
			if l := s.live(); len(l) > 1 {
				s.crash(l[rng.IntN(len(l))])
			}
		case x <= 3:
			s.restartOne()
		case (x == 4 || x == 5) && !s.commute:
			k := 2 + rng.IntN(2)
			groups := make([][]string, k)
			for _, n := range s.live() {
				i := rng.IntN(k)
				groups[i] = append(groups[i], n.addr)
			}
			net.Partition(groups...)
			s.stats.partitions++
			s.logf("partition %v", groups)
		case x == 6 || x == 7:
			net.Heal()
			s.logf("heal")
		}
		net.After(time.Duration(30+rng.IntN(60))*time.Millisecond, tick)
	}
	net.After(0, tick)
	net.RunFor(chaos)

	net.Heal()
	net.SetFaults(sim.Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	for s.restartOne() {
	}
	s.noCrash = true
	s.logf("quiet")
	net.RunFor(25 * time.Second)
	if !s.commute && !s.primaryNow() {
		s.logf("blocked: no primary view after the quiet period")
		s.stats.blocked++
		return s.errs, s.stats
	}
	s.checkFinal()
	return s.errs, s.stats
}

func (s *ruSim) primaryNow() bool {
	for _, n := range s.live() {
		if v := n.orb.View(); v != nil && v.Primary {
			return true
		}
	}
	return false
}

// checkFinal checks the end state, then that every replica answers a new
// request.
func (s *ruSim) checkFinal() {
	live := s.live()
	if len(live) == 0 {
		s.fail("no replica is alive at the end")
		return
	}
	ref := live[0].obj.entries
	same := slices.Equal[[]string]
	if s.commute {
		ref = slices.Sorted(slices.Values(ref))
		same = func(a, b []string) bool { return slices.Equal(slices.Sorted(slices.Values(a)), b) }
	}
	for _, n := range live {
		if v := n.orb.View(); v == nil || !n.orb.serving(v) || len(v.Members) != len(live) {
			s.fail("%s did not end serving in the view of all %d replicas: %+v", n.addr, len(live), v)
			return
		}
		if !same(n.obj.entries, ref) {
			s.fail("%s holds %d entries, %s %d: the logs differ", n.addr, len(n.obj.entries), live[0].addr, len(ref))
		}
		if len(n.calls) > 0 {
			s.fail("%s never answered %d requests", n.addr, len(n.calls))
		}
	}
	seen := map[string]bool{}
	for _, v := range ref {
		if seen[v] {
			s.fail("%s applied twice", v)
		}
		seen[v] = true
		if s.never[v] {
			s.fail("%s was refused with TRANSIENT/COMPLETED_NO but applied", v)
		}
	}
	for v, pos := range s.acked {
		if s.commute {
			if !seen[v] && !s.ackedBy[v].dead && !s.discarded[v] {
				s.fail("%s was acknowledged by %s, which is alive, and is in no log", v, s.ackedBy[v].addr)
			}
			continue
		}
		if pos > len(ref) || ref[pos-1] != v {
			s.fail("%s was acknowledged at position %d, which the final log does not hold", v, pos)
		}
	}
	// Liveness: a fresh client calls every replica once.
	fresh := &simClient{s: s, name: "final"}
	for _, n := range live {
		fresh.k++
		call := &simCall{client: fresh, value: fmt.Sprintf("final/%d", fresh.k)}
		n.calls[RequestID{Conn: 2, ID: uint32(fresh.k)}] = call
		syntax := iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12}
		e := iiop.NewEncoder(syntax, 0)
		e.WriteString(call.value)
		n.orb.Request(&Request{ID: RequestID{Conn: 2, ID: uint32(fresh.k)}, Key: s.key, ResponseExpected: true, Operation: "append", Args: iiop.Body{Syntax: syntax, Data: e.Bytes()}})
	}
	s.net.RunFor(3 * time.Second)
	for i := 1; i <= fresh.k; i++ {
		if _, ok := s.acked[fmt.Sprintf("final/%d", i)]; !ok {
			s.fail("final request %d was not acknowledged", i)
		}
	}
}

// runRUSeeds runs the simulation's seeds, commute selecting the
// RequestsCommute scenarios, and returns their totals; with only set it
// replays that seed with a trace instead, and reports false. flag names
// the test's -*.seed flag, for the replay command it prints.
func runRUSeeds(t *testing.T, commute bool, only uint64, seeds int, test, flag string) (ruStats, bool) {
	if c := *clocks; c != "growing" && c != "stepped" && c != "mixed" {
		t.Fatalf("-ru.clocks %q: want growing, stepped or mixed", c)
	}
	if only != 0 {
		seedrun.Replay(t, func(trace func(string)) []string {
			errs, _ := runRU(only, commute, trace)
			return errs
		})
		return ruStats{}, false
	}
	var (
		mu    sync.Mutex
		total ruStats
	)
	seedrun.Run(t, seedrun.Range(*ruFirst, seeds), func(seed uint64) []string {
		errs, st := runRU(seed, commute, nil)
		mu.Lock()
		total.add(st)
		mu.Unlock()
		return errs
	}, func(seed uint64) string {
		return fmt.Sprintf("go test ./maestro/orb -run %s -%s=%d -v", test, flag, seed)
	})
	return total, true
}

// TestSimulatedReplicatedUpdates runs the seeded scenarios described at
// the top of this file.
func TestSimulatedReplicatedUpdates(t *testing.T) {
	total, ran := runRUSeeds(t, false, *ruSeed, *ruSeeds, "TestSimulatedReplicatedUpdates", "ru.seed")
	if !ran {
		return
	}
	t.Logf("%d seeds (%d ended blocked: too many zombies): %d requests acknowledged, %d refused or aborted (TRANSIENT/COMPLETED_NO or forward), %d lost with their replica, %d retries by FT clients, %d crashes, %d partitions",
		*ruSeeds, total.blocked, total.acked, total.refused, total.lost, total.retries, total.crashes, total.partitions)
	if total.refused == 0 || total.lost == 0 || total.retries == 0 {
		t.Error("the scenarios did not exercise refusals, lost requests and retries")
	}
}

// TestSimulatedCommutingRequests runs the scenarios with RequestsCommute:
// crashes, restarts, loss and duplication, no partitions.
func TestSimulatedCommutingRequests(t *testing.T) {
	total, ran := runRUSeeds(t, true, *commuteSeed, *commuteSeeds, "TestSimulatedCommutingRequests", "commute.seed")
	if !ran {
		return
	}
	t.Logf("%d seeds: %d requests acknowledged, %d refused, %d lost with their replica, %d retries by FT clients, %d crashes, %d applied updates discarded by merges",
		*commuteSeeds, total.acked, total.refused, total.lost, total.retries, total.crashes, total.discarded)
	if total.lost == 0 || total.retries == 0 || total.crashes == 0 {
		t.Error("the scenarios did not exercise crashes, lost requests and retries")
	}
}

// missingFrom lists the entries of want that got lacks.
func missingFrom(got, want []string) []string {
	has := make(map[string]bool, len(got))
	for _, v := range got {
		has[v] = true
	}
	var missing []string
	for _, v := range want {
		if !has[v] {
			missing = append(missing, v)
		}
	}
	return missing
}
