package sim

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/primary"
	"github.com/maestro-go/maestro/stack/props"
)

// Breakage deliberately breaks one rule of the primary-partition protocol
// so that a test can show the checker notices (a checker that cannot fail
// proves nothing).
type Breakage int

const (
	// BreakNothing runs the protocol as it is.
	BreakNothing Breakage = iota
	// BreakMajority lets each replica count as a majority on its own.
	BreakMajority
	// BreakReincarnation starts replicas whose disk was lost as fresh ones
	// instead of marking the new disk first (the operator error that
	// Fig 4.16 shows).
	BreakReincarnation
)

// ReplicaScenario is a seeded run of replicated state machines over the
// Primary property (and Safe, if named): every replica applies the casts
// it delivers to its state (the sequence of message ids it has applied),
// a stale replica fetches the state of an up-to-date one when the Primary
// layer says so, and replicas crash, restart with or without their disk,
// and are partitioned into minority and majority components. The checker
// verifies the properties of §4.4.1–§4.4.5.
type ReplicaScenario struct {
	Seed       uint64
	Replicas   int // configured replicas; the majority is of it
	Observers  int // members that hold no state
	Properties string
	Chaos      time.Duration
	Quiet      time.Duration
	MaxLoss    float64
	Config     stack.Config
	Break      Breakage
	Trace      func(string)
	Log        *slog.Logger
}

// ReplicaResult is what a replica scenario observed.
type ReplicaResult struct {
	Violations []string
	Casts      int
	Delivered  int
	Aborted    int
	Refused    int // casts refused outside primary views
	Primaries  int // distinct primary views
	Transfers  int
	Crashes    int
	LostDisks  int
	Partitions int
	Converged  bool // the quiet period ended in one primary view
	Blocked    bool // too few non-zombie replicas were alive to make progress
}

// RandomReplicaScenario derives a scenario from a seed.
func RandomReplicaScenario(seed uint64, properties string) ReplicaScenario {
	r := NewNetwork(seed, Faults{}).Rand()
	return ReplicaScenario{
		Seed:       seed,
		Replicas:   3 + r.IntN(3),
		Observers:  r.IntN(4) / 3,
		Properties: properties,
		Chaos:      time.Duration(4000+r.IntN(4000)) * time.Millisecond,
		Quiet:      20 * time.Second,
		MaxLoss:    0.15 * r.Float64(),
		Config:     SimConfig(),
	}
}

// replica is one simulated process and its application.
type replica struct {
	rn       *replicaRun
	addr     string
	observer bool
	nd       *Node
	disk     bool // the replica's stable storage holds a set mark
	ran      bool // an incarnation of the replica started before

	// The running incarnation.
	me      stack.Endpoint
	proto   *primary.Protocol
	zombie  bool // ground truth: restarted, not yet in a primary view
	view    *stack.View
	info    primary.ViewInfo
	hist    []string
	hash    []uint64 // hash[i] = hash of hist[:i]
	mine    []string
	aborted map[string]bool
	asked   string // view whose state this replica has asked for
	// installing: the replica has installed a state and its layers have
	// not yet heard (the UpToDate downcall runs once the upcalls already
	// queued are done), so its SVN still names the state it had.
	installing bool
	crashed    bool // this incarnation crashed (its casts are exempt)
	restarts   int
}

type replicaRun struct {
	sc    ReplicaScenario
	pr    props.Properties
	safe  bool
	net   *Network
	reps  []*replica
	byEnd map[stack.Endpoint]*replica
	// startedZombie: whether each incarnation started as a zombie (one
	// that did not is never one).
	startedZombie map[stack.Endpoint]bool
	chk           *replicaChecker
	snaps         [][]string
	later         []func()                                                                        // checks to run once the current event is handled
	onView        func(rep *replica, v *stack.View, info primary.ViewInfo, ann stack.Annotations) // scripted scenarios' hook
	k             int
	res           ReplicaResult
	majBug        bool
}

// Run executes the scenario and checks what was observed.
func (sc ReplicaScenario) Run() ReplicaResult {
	rn, err := sc.newRun()
	if err != nil {
		return ReplicaResult{Violations: []string{err.Error()}}
	}
	rn.chaos()
	rn.quiet()
	rn.res.Violations = append(rn.res.Violations, rn.chk.violations...)
	rn.res.Primaries = len(rn.chk.primaries)
	return rn.res
}

// newRun starts the scenario's replicas on a quiet network.
func (sc ReplicaScenario) newRun() (*replicaRun, error) {
	pr, err := props.Parse(sc.Properties)
	if err != nil {
		return nil, err
	}
	rn := &replicaRun{
		sc: sc, pr: pr, safe: pr.Has("Safe"),
		net:   NewNetwork(sc.Seed, Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond}),
		byEnd: map[stack.Endpoint]*replica{}, startedZombie: map[stack.Endpoint]bool{},
	}
	rn.net.HoldPacks = holdPacks(sc.Seed)
	rn.chk = newReplicaChecker(sc.Replicas, rn.safe)
	rn.net.AfterEvent = func() {
		for len(rn.later) > 0 {
			f := rn.later[0]
			rn.later = rn.later[1:]
			f()
		}
	}
	for i := 0; i < sc.Replicas+sc.Observers; i++ {
		rep := &replica{rn: rn, addr: fmt.Sprintf("r%d", i), observer: i >= sc.Replicas}
		rn.reps = append(rn.reps, rep)
		nd, err := rn.net.AddNode(rep.addr, rep.nodeConfig())
		if err != nil {
			return nil, err
		}
		rep.nd = nd
	}
	return rn, nil
}

func (rn *replicaRun) trace(format string, args ...any) {
	if rn.sc.Trace != nil {
		rn.sc.Trace(fmt.Sprintf("%8.3fs ", rn.net.Now().Sub(time.Unix(1_000_000, 0)).Seconds()) + fmt.Sprintf(format, args...))
	}
}

func (rep *replica) nodeConfig() NodeConfig {
	rn := rep.rn
	return NodeConfig{
		Tick: rn.sc.Config.Tick,
		NewCore: func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error) {
			zombie := rep.disk && !rep.observer
			rep.disk = true
			rep.newIncarnation(me)
			replicas := rn.sc.Replicas
			if rn.sc.Break == BreakMajority {
				replicas = 1
			}
			ps, err := rn.pr.Build(props.Settings{Replicas: replicas, Zombie: zombie, Observer: rep.observer})
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				if pp, ok := p.(*primary.Protocol); ok {
					rep.proto = pp
				}
			}
			return stack.NewCore(stack.CoreOptions{
				Group: "replicas", Me: me, Config: rn.sc.Config, Protocols: ps,
				Out: out, Seed: rn.sc.Seed, Log: rn.sc.Log,
			})
		},
		Upcall: func(nd *Node, u stack.Upcall) { rep.upcall(u) },
	}
}

// newIncarnation resets the application: a restarted process has lost
// its state. The simulator's own account of zombies (for the checker) is
// whether the replica ran before, whatever its disk says.
func (rep *replica) newIncarnation(me stack.Endpoint) {
	rep.me, rep.zombie = me, rep.ran && !rep.observer
	rep.ran = true
	zombie := rep.zombie
	rep.view, rep.info = nil, primary.ViewInfo{}
	rep.hist, rep.hash = nil, []uint64{0}
	rep.mine, rep.aborted, rep.asked, rep.crashed = nil, map[string]bool{}, "", false
	rep.rn.byEnd[me] = rep
	rep.rn.startedZombie[me] = zombie
	rep.rn.trace("%s starts as %s zombie=%v observer=%v", rep.addr, me, zombie, rep.observer)
}

func (rep *replica) upcall(u stack.Upcall) {
	rn := rep.rn
	switch u.Kind {
	case stack.UpView:
		info, _ := primary.Info(u.Ann)
		rep.view, rep.info, rep.asked = u.View, info, ""
		rn.trace("%s installs %v %v: %v svn=%v hist=%d", rep.addr, u.View.ID, ids(u.View.Members), info, rep.proto.SVN(), len(rep.hist))
		rn.chk.view(rep, u.View, info)
		if info.Primary {
			rep.zombie = false
		}
		rep.fetchState()
		if rn.onView != nil {
			rn.onView(rep, u.View, info, u.Ann)
		}
	case stack.UpCast:
		id, err := PayloadID(u.Payload)
		if err != nil {
			rn.chk.fail("%s: bad payload: %v", rep.addr, err)
			return
		}
		rn.res.Delivered++
		rn.trace("%s delivers %s from %s", rep.addr, id, u.From.Addr)
		rn.chk.deliver(rep, id)
	case stack.UpAbort:
		id, err := PayloadID(u.Payload)
		if err != nil {
			rn.chk.fail("%s: bad aborted payload: %v", rep.addr, err)
			return
		}
		rn.res.Aborted++
		rn.trace("%s aborts %s from %s", rep.addr, id, u.From.Addr)
		rep.aborted[id] = true
		rn.chk.abort(rep, id)
	case stack.UpSend:
		rep.stateMessage(u.From, string(u.Payload))
	case stack.UpViewMsgReq:
		rep.nd.Core().ViewMsgReply(u.View.ID, nil)
	}
}

// fetchState asks an up-to-date replica for its state when the Primary
// layer says this replica is stale.
func (rep *replica) fetchState() {
	if rep.observer || rep.view == nil || !rep.info.IsStale(rep.me.ID()) || len(rep.info.UpToDate) == 0 {
		return
	}
	src, err := stack.ParseEndpID(rep.info.UpToDate[0])
	if err != nil || !rep.view.Contains(src) {
		return
	}
	rep.asked = rep.view.ID.String()
	_ = rep.nd.Core().Send(src, []byte("state?"+rep.asked))
}

// stateMessage handles the two messages of a state transfer: a request
// (answered with a snapshot of the history) and a reply (installed).
func (rep *replica) stateMessage(from stack.Endpoint, msg string) {
	rn := rep.rn
	switch {
	case strings.HasPrefix(msg, "state?"):
		if rep.view == nil || msg[len("state?"):] != rep.view.ID.String() {
			return
		}
		rn.chk.donor(rep)
		rn.snaps = append(rn.snaps, slices.Clone(rep.hist))
		_ = rep.nd.Core().Send(from, []byte("state!"+rep.view.ID.String()+"|"+strconv.Itoa(len(rn.snaps)-1)))
	case strings.HasPrefix(msg, "state!"):
		rest := msg[len("state!"):]
		i := strings.LastIndexByte(rest, '|')
		if i < 0 || rep.view == nil || rest[:i] != rep.asked || rest[:i] != rep.view.ID.String() {
			return
		}
		token, err := strconv.Atoi(rest[i+1:])
		if err != nil || token < 0 || token >= len(rn.snaps) {
			rn.chk.fail("%s: bad state token %q", rep.addr, msg)
			return
		}
		rep.asked = ""
		rn.res.Transfers++
		rn.trace("%s installs the state of %s: %d updates", rep.addr, from.Addr, len(rn.snaps[token]))
		rn.chk.transfer(rep, rn.snaps[token])
		rep.installing = true
		rep.nd.Core().UpToDate()
		// The downcall runs once this upcall returns: check the SVN then.
		rn.later = append(rn.later, func() {
			rep.installing = false
			rn.chk.svnCheck(rep)
		})
	}
}

// cast has the replica cast its next update if its view is primary, and
// returns its id ("" if refused).
func (rn *replicaRun) cast(rep *replica) string {
	if !rep.nd.Alive() || rep.nd.Paused() || rep.nd.Core().Exited() || rep.view == nil {
		return ""
	}
	if !rep.info.Primary {
		rn.res.Refused++
		return ""
	}
	rn.k++
	id := fmt.Sprintf("%s#%d", rep.me, rn.k)
	rep.mine = append(rep.mine, id)
	rn.chk.cast(rep, id)
	rn.res.Casts++
	size := 8 + rn.net.Rand().IntN(120)
	rep.nd.Do(func(c *stack.Core) {
		if err := c.Cast(Payload(id, size)); err != nil {
			rn.chk.fail("%s: cast: %v", rep.addr, err)
		}
	})
	return id
}

func (rn *replicaRun) live() []*replica {
	var out []*replica
	for _, rep := range rn.reps {
		if rep.nd.Alive() {
			out = append(out, rep)
		}
	}
	return out
}

func (rn *replicaRun) crash(rep *replica) {
	rn.trace("crash %s", rep.addr)
	rep.crashed = true
	rn.chk.crash(rep)
	rep.nd.Crash()
	rn.res.Crashes++
}

// restart starts a crashed replica again, with its disk or on a new one.
func (rn *replicaRun) restart(rep *replica) {
	if rn.net.Rand().IntN(3) == 0 {
		rn.res.LostDisks++
		// The operator replaces the disk and marks it (§4.4.4), unless the
		// scenario breaks that rule.
		rep.disk = rn.sc.Break != BreakReincarnation
		rn.trace("%s lost its disk (new disk marked: %v)", rep.addr, rep.disk)
	}
	rep.restarts++
	_ = rep.nd.Start()
}

func (rn *replicaRun) chaos() {
	net, r := rn.net, rn.net.Rand()
	f := Faults{
		Loss: rn.sc.MaxLoss, Dup: 0.05 * r.Float64(),
		MinDelay: time.Millisecond, MaxDelay: time.Duration(2+r.IntN(20)) * time.Millisecond,
	}
	if r.IntN(2) == 0 {
		// A few datagrams arrive long after their view ended.
		f.Late, f.LateMin, f.LateMax = 0.01*r.Float64(), 500*time.Millisecond, 4*time.Second
	}
	if r.IntN(2) == 0 {
		f.Burst = Burst{Enter: 0.002 + 0.048*r.Float64(), Leave: 1 / float64(3+r.IntN(18)), Loss: 0.5 + 0.5*r.Float64()}
	}
	net.SetFaults(f)
	end := net.Now().Add(rn.sc.Chaos)
	var tick func()
	tick = func() {
		if net.Now().After(end) {
			return
		}
		for _, rep := range rn.live() {
			if r.IntN(4) == 0 {
				rn.cast(rep)
			}
		}
		net.After(time.Duration(20+r.IntN(60))*time.Millisecond, tick)
	}
	net.After(time.Duration(r.IntN(100))*time.Millisecond, tick)
	var fault func()
	fault = func() {
		if net.Now().After(end) {
			return
		}
		rn.fault()
		net.After(time.Duration(300+r.IntN(900))*time.Millisecond, fault)
	}
	net.After(time.Duration(200+r.IntN(500))*time.Millisecond, fault)
	net.RunFor(rn.sc.Chaos)
}

// fault injects one fault: a crash, a restart (with or without its disk),
// a partition into 2-4 components (minority and majority splits among
// them), a one-way cut, a pause, a slow link, or a heal.
func (rn *replicaRun) fault() {
	net, r := rn.net, rn.net.Rand()
	live := rn.live()
	addrs := make([]string, len(rn.reps))
	for i, rep := range rn.reps {
		addrs[i] = rep.addr
	}
	switch x := r.IntN(16); {
	case x < 2 && len(live) > 1:
		rn.crash(live[r.IntN(len(live))])
	case x < 4:
		var dead []*replica
		for _, rep := range rn.reps {
			if !rep.nd.Alive() {
				dead = append(dead, rep)
			}
		}
		if len(dead) > 0 {
			rn.restart(dead[r.IntN(len(dead))])
		}
	case x < 8:
		groups := Split(r, addrs)
		net.Partition(groups...)
		rn.res.Partitions++
		rn.trace("partition %v", groups)
	case x < 9:
		groups := Split(r, addrs)
		var to []string
		for _, g := range groups[1:] {
			to = append(to, g...)
		}
		net.Block(groups[0], to)
		rn.trace("one-way cut %v -> %v", groups[0], to)
	case x < 11:
		if len(live) == 0 {
			return
		}
		rep := live[r.IntN(len(live))]
		if rep.nd.Paused() {
			return
		}
		d := time.Duration(100+r.IntN(2400)) * time.Millisecond
		rep.nd.Pause()
		rn.trace("pause %s for %v", rep.addr, d)
		nd, me := rep.nd, rep.me
		net.After(d, func() {
			if nd.Paused() && nd.Me() == me {
				rn.trace("resume %s", rep.addr)
				nd.Resume()
			}
		})
	case x < 12:
		i := r.IntN(len(addrs))
		j := (i + 1 + r.IntN(len(addrs)-1)) % len(addrs)
		extra := time.Duration(500+r.IntN(2500)) * time.Millisecond
		net.SlowLink(addrs[i], addrs[j], extra, time.Duration(100+r.IntN(1500))*time.Millisecond)
		rn.trace("slow link %s -> %s by %v", addrs[i], addrs[j], extra)
	default:
		net.Heal()
		rn.trace("heal")
	}
}

// quiet heals everything and checks Progress: if a majority of the
// replicas can count (live, not zombies), every live member ends in one
// primary view that delivers new casts everywhere; otherwise the group
// must stay blocked.
func (rn *replicaRun) quiet() {
	net := rn.net
	net.Heal()
	net.SetFaults(Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	for _, rep := range rn.reps {
		if rep.nd.Paused() {
			rep.nd.Resume()
		}
	}
	rn.trace("quiet")
	net.RunFor(rn.sc.Quiet)
	// Counted at the end: a flush a member answered before it crashed can
	// still make a primary view once the quiet has begun, and that view
	// (checked by checkMajority) makes its zombies count (seed 9822: the
	// only non-zombie left and a zombie that had the state went on to a
	// primary view of their own).
	live := rn.live()
	counted := 0
	for _, rep := range live {
		if !rep.observer && !rep.zombie {
			counted++
		}
	}
	if counted < rn.sc.Replicas/2+1 {
		// Zombies cannot count until a primary view: a group that lost
		// its majority of state-holding replicas blocks (§4.2, §4.4.4).
		rn.res.Blocked = true
		for _, rep := range live {
			if rep.info.Primary && !rep.observer {
				// Legitimate only if the replicas that count reached a
				// majority after all (a zombie cannot make one).
				rn.chk.fail("%s is in primary view %v although only %d replicas could count", rep.addr, rep.view.ID, counted)
			}
		}
		rn.chk.finish(rn, false)
		return
	}
	var id stack.ViewID
	for i, rep := range live {
		if rep.view == nil || !rep.info.Primary || rep.view.N() != len(live) || (i > 0 && rep.view.ID != id) {
			rn.chk.fail("Progress: after %v quiet, %s is in view %v (%d members, %v), %d members live", rn.sc.Quiet, rep.addr, viewID(rep.view), viewN(rep.view), rep.info, len(live))
			rn.chk.finish(rn, false)
			return
		}
		id = rep.view.ID
	}
	rn.res.Converged = true
	var finals []string
	for _, rep := range live {
		before := len(rep.mine)
		rn.cast(rep)
		if len(rep.mine) > before {
			finals = append(finals, rep.mine[len(rep.mine)-1])
		}
	}
	net.RunFor(3 * time.Second)
	for _, rep := range live {
		for _, f := range finals {
			if !slices.Contains(rep.hist, f) {
				rn.chk.fail("Progress: %s did not apply the final update %s", rep.addr, f)
			}
		}
	}
	rn.chk.finish(rn, true)
}

func viewID(v *stack.View) string {
	if v == nil {
		return "none"
	}
	return v.ID.String()
}

func viewN(v *stack.View) int {
	if v == nil {
		return 0
	}
	return v.N()
}

func ids(es []stack.Endpoint) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Addr
	}
	return out
}

// extend appends id to a replica's history and its prefix hashes.
func (rep *replica) extend(id string) {
	rep.hist = append(rep.hist, id)
	rep.hash = append(rep.hash, chain(rep.hash[len(rep.hash)-1], id))
}

// replace installs a transferred history.
func (rep *replica) replace(h []string) {
	rep.hist = slices.Clone(h)
	rep.hash = prefixHashes(h)
}

func chain(prev uint64, id string) uint64 {
	f := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(prev >> (8 * i))
	}
	f.Write(b[:])
	f.Write([]byte(id))
	return f.Sum64()
}

func prefixHashes(h []string) []uint64 {
	out := make([]uint64, 1, len(h)+1)
	for _, id := range h {
		out = append(out, chain(out[len(out)-1], id))
	}
	return out
}
