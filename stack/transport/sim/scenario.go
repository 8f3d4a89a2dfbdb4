package sim

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/props"
)

// Scenario describes one seeded run: a group of members started together,
// a period of chaos (loss, duplication, reordering, crashes, restarts,
// partitions and the other faults in Kinds) with a stream of casts and
// point-to-point messages, and a quiet period after which the group must
// have healed into one view that delivers new messages everywhere.
type Scenario struct {
	Seed       uint64
	Members    int
	Properties string
	Chaos      time.Duration // how long faults are injected
	Quiet      time.Duration // how long the healed network runs before checking
	MaxLoss    float64
	Config     stack.Config
	// Kinds are the fault kinds the chaos may inject (zero means
	// AllFaults); loss, duplication and reordering are always on.
	Kinds FaultKind
	// Harsh injects faults about three times as often, pauses nodes for
	// up to 6 s and delays up to 5% of datagrams (see HarshScenario).
	Harsh bool
	// Auth runs every member with the Auth property under ScenarioKey
	// (Privacy adds encryption).
	Auth, Privacy bool
	// Attack places an Attacker without the key on every path, from the
	// start to the end of the run; a member accepting anything it forged
	// is a violation. Meant with Auth.
	Attack bool
	// Trace, if set, receives a line per membership event.
	Trace func(string)
	// Log, if set, receives the stacks' logs.
	Log *slog.Logger
}

// FaultKind is a set of fault kinds the chaos may inject.
type FaultKind uint

// The fault kinds.
const (
	// FaultCrash crashes a member (and FaultRestart restarts a crashed or
	// departed one as a new incarnation).
	FaultCrash FaultKind = 1 << iota
	FaultRestart
	// FaultLeave has a member leave the group.
	FaultLeave
	// FaultPartition splits the network into 2-4 components: at random, a
	// singleton against the rest, or a minority against a majority.
	FaultPartition
	// FaultOneWay cuts one link, or all links from one group of members to
	// the others, in one direction only.
	FaultOneWay
	// FaultPause stops a member (leaving or not) like SIGSTOP for
	// 0.1-2.5 s (well beyond the suspect timeout, mostly); it then resumes
	// with its stale state.
	FaultPause
	// FaultSlowLink delays every datagram on a few links by 0.5-3 s for a
	// while.
	FaultSlowLink
	// FaultLate delays a small share of all datagrams by 0.5-4 s.
	FaultLate
	// FaultBurst makes loss bursty (Gilbert–Elliott, per link).
	FaultBurst

	// LegacyFaults are the kinds the simulator had first.
	LegacyFaults = FaultCrash | FaultRestart | FaultLeave | FaultPartition
	// AllFaults are all kinds.
	AllFaults = FaultBurst<<1 - 1
)

var faultNames = []string{"crash", "restart", "leave", "partition", "oneway", "pause", "slow", "late", "burst"}

// String lists the kinds, comma-separated.
func (k FaultKind) String() string {
	var out []string
	for i, name := range faultNames {
		if k&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return strings.Join(out, ",")
}

// ParseFaultKinds reads a comma-separated list of fault kind names; "all"
// means AllFaults and "legacy" LegacyFaults, and a name prefixed by "-"
// removes a kind.
func ParseFaultKinds(s string) (FaultKind, error) {
	var k FaultKind
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		del := strings.HasPrefix(f, "-")
		f = strings.TrimPrefix(f, "-")
		var bit FaultKind
		switch f {
		case "":
			continue
		case "all":
			bit = AllFaults
		case "legacy":
			bit = LegacyFaults
		default:
			i := slices.Index(faultNames, f)
			if i < 0 {
				return 0, fmt.Errorf("unknown fault kind %q (known: all, legacy, %s)", f, strings.Join(faultNames, ", "))
			}
			bit = 1 << i
		}
		if del {
			k &^= bit
		} else {
			k |= bit
		}
	}
	return k, nil
}

// Result is what a scenario run observed.
type Result struct {
	Violations []string
	Casts      int
	Delivered  uint64
	Views      int
	Crashes    int
	Partitions int
	Leaves     int
	Pauses     int
	OneWays    int
	SlowLinks  int
	// Attacks counts the attacker's datagrams; AuthDrops what members
	// dropped as unauthenticated ("auth"), replayed or stale.
	Attacks, AuthDrops int
}

// SimConfig is the stack configuration scenarios use: the production
// defaults scaled down so that a run covers many view changes.
func SimConfig() stack.Config {
	return stack.Config{
		Tick:           10 * time.Millisecond,
		Heartbeat:      50 * time.Millisecond,
		SuspectTimeout: 400 * time.Millisecond,
		Retransmit:     20 * time.Millisecond,
		Status:         20 * time.Millisecond,
		FlushTimeout:   800 * time.Millisecond,
		Gossip:         150 * time.Millisecond,
		MaxPacket:      1400,
		FlowWindow:     64,
	}
}

// HarshScenario derives a harsher scenario from a seed: 2-8 members and
// Harsh faults, for hunting bugs.
func HarshScenario(seed uint64) Scenario {
	s := RandomScenario(seed)
	s.Members = 2 + int(seed%7)
	s.Harsh = true
	return s
}

// RandomScenario derives a scenario from a seed, with every fault kind.
func RandomScenario(seed uint64) Scenario {
	n := NewNetwork(seed, Faults{})
	r := n.Rand()
	s := Scenario{
		Seed:       seed,
		Members:    2 + r.IntN(5),
		Properties: props.Default,
		Chaos:      time.Duration(4000+r.IntN(4000)) * time.Millisecond,
		Quiet:      15 * time.Second,
		MaxLoss:    0.2 * r.Float64(),
		Config:     SimConfig(),
		Kinds:      AllFaults,
	}
	switch r.IntN(10) {
	case 0:
		s.Properties = "Gmp:Sync:Heal:Frag:Suspect:Flow"
	case 1:
		s.Properties = "Gmp:Sync:Heal:Suspect:Total"
	}
	return s
}

// holdPacks gives every other seed members whose datagrams stay open
// while a (simulated) transport is busy, as a Stack's do under load.
func holdPacks(seed uint64) float64 {
	if seed%2 == 1 {
		return 0.5
	}
	return 0
}

type run struct {
	sc      Scenario
	leaving map[stack.Endpoint]bool
	net     *Network
	chk     *Checker
	pr      props.Properties
	view    map[stack.Endpoint]stack.ViewID
	casts   map[string]int
	sent    map[[2]stack.Endpoint]int // point-to-point messages per pair
	res     Result
	atk     *Attacker
}

// newRun prepares a run of the scenario (its network, checker and
// bookkeeping), with no node yet.
func (sc Scenario) newRun() (*run, error) {
	pr, err := props.Parse(sc.Properties)
	if err != nil {
		return nil, err
	}
	if sc.Kinds == 0 {
		sc.Kinds = AllFaults
	}
	rn := &run{
		sc: sc, pr: pr,
		net:     NewNetwork(sc.Seed, Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond}),
		chk:     NewChecker(pr.Has("Total") || pr.Has("Token")),
		view:    map[stack.Endpoint]stack.ViewID{},
		casts:   map[string]int{},
		sent:    map[[2]stack.Endpoint]int{},
		leaving: map[stack.Endpoint]bool{},
	}
	rn.net.HoldPacks = holdPacks(sc.Seed)
	rn.net.Rand().IntN(10) // keep the stream aligned with RandomScenario's draws
	return rn, nil
}

// Run executes the scenario and checks the recorded histories.
func (sc Scenario) Run() Result {
	rn, err := sc.newRun()
	if err != nil {
		return Result{Violations: []string{err.Error()}}
	}
	rn.net.GrowingIncarnations = sc.Auth || sc.Privacy
	if sc.Attack {
		rn.atk = NewAttacker(rn.net, "sim", rn.net.Now().Add(sc.Chaos+sc.Quiet))
	}
	for i := 0; i < sc.Members; i++ {
		addr := fmt.Sprintf("n%d", i)
		if _, err := rn.net.AddNode(addr, rn.nodeConfig()); err != nil {
			return Result{Violations: []string{err.Error()}}
		}
	}
	rn.chaos()
	rn.quiet()
	rn.res.Violations = append(rn.res.Violations, rn.chk.Check()...)
	rn.res.Delivered = rn.net.Delivered
	if rn.atk != nil {
		rn.res.Attacks = rn.atk.Sent
	}
	return rn.res
}

func (rn *run) nodeConfig() NodeConfig {
	return NodeConfig{
		Tick: rn.sc.Config.Tick,
		NewCore: func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error) {
			guard, err := rn.guard(me)
			if err != nil {
				return nil, err
			}
			return stack.NewCore(stack.CoreOptions{
				Group: "sim", Me: me, Config: rn.sc.Config, Protocols: rn.pr.Protocols(),
				Out: out, Seed: rn.sc.Seed, Log: rn.sc.Log, Guard: guard,
			})
		},
		Upcall: rn.upcall,
	}
}

// guard returns a member's Guard: nil without Auth; watched for forged
// datagrams under attack.
func (rn *run) guard(me stack.Endpoint) (stack.Guard, error) {
	if !rn.sc.Auth && !rn.sc.Privacy {
		return nil, nil
	}
	g, err := auth.New(auth.Options{Me: me, Keys: auth.Keys{Seal: ScenarioKey}, Privacy: rn.sc.Privacy})
	if err != nil || rn.atk == nil {
		return g, err
	}
	return watchGuard{Guard: g, accepted: func(pkt []byte) {
		if rn.atk.Forged(pkt) {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Auth: %v accepted a datagram the attacker forged", me))
		}
	}}, nil
}

func (rn *run) trace(format string, args ...any) {
	if rn.sc.Trace != nil {
		rn.sc.Trace(fmt.Sprintf("%8.3fs ", rn.net.Now().Sub(time.Unix(1_000_000, 0)).Seconds()) + fmt.Sprintf(format, args...))
	}
}

func (rn *run) upcall(nd *Node, u stack.Upcall) {
	me := nd.Me()
	switch u.Kind {
	case stack.UpView:
		rn.res.Views++
		rn.view[me] = u.View.ID
		rn.chk.View(me, u.View)
		rn.trace("%s installs %v %v", me, u.View.ID, u.View.Members)
	case stack.UpCast:
		id, err := PayloadID(u.Payload)
		if err != nil {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Integrity: %v: bad payload: %v", me, err))
			return
		}
		rn.chk.Deliver(me, rn.view[me], u.From, id)
	case stack.UpSend:
		id, err := PayloadID(u.Payload)
		if err != nil {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Point-to-point Integrity: %v: bad payload: %v", me, err))
			return
		}
		rn.chk.Receive(me, u.From, id)
	case stack.UpAbort:
		id, err := PayloadID(u.Payload)
		if err != nil {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Integrity: %v: bad aborted payload: %v", me, err))
			return
		}
		rn.chk.Abort(me, id)
	case stack.UpViewMsgReq:
		nd.Core().ViewMsgReply(u.View.ID, []byte("view message"))
	case stack.UpExit:
		rn.chk.Exit(me)
		rn.trace("%s exits", me)
	}
}

// cast has the node cast its next message.
func (rn *run) cast(nd *Node, size int) string {
	if !nd.Alive() || nd.Paused() || nd.Core().Exited() || rn.leaving[nd.Me()] {
		return ""
	}
	me := nd.Me()
	k := rn.casts[me.String()] + 1
	rn.casts[me.String()] = k
	id := MessageID(me, k)
	rn.chk.Cast(me, id)
	rn.res.Casts++
	nd.Do(func(c *stack.Core) {
		if err := c.Cast(Payload(id, size)); err != nil {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Cast: %v: cast refused: %v", me, err))
		}
	})
	return id
}

// send has the node send its next point-to-point message to a member of
// its view.
func (rn *run) send(nd *Node, size int) {
	if !nd.Alive() || nd.Paused() || nd.Core().Exited() || rn.leaving[nd.Me()] {
		return
	}
	v := nd.Core().View()
	if v.N() < 2 {
		return
	}
	rn.sendTo(nd, v.Members[(v.Rank+1+rn.net.Rand().IntN(v.N()-1))%v.N()], size)
}

// sendTo has the node send its next point-to-point message to dest.
func (rn *run) sendTo(nd *Node, dest stack.Endpoint, size int) string {
	me := nd.Me()
	pair := [2]stack.Endpoint{me, dest}
	k := rn.sent[pair] + 1
	rn.sent[pair] = k
	id := me.String() + ">" + dest.String() + "#" + strconv.Itoa(k)
	rn.chk.Send(me, dest, id)
	nd.Do(func(c *stack.Core) {
		if err := c.Send(dest, Payload(id, size)); err != nil {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Send: %v: send to %v refused: %v", me, dest, err))
		}
	})
	return id
}

// chaosFaults draws the network's misbehaviour for the chaos period.
func (rn *run) chaosFaults() Faults {
	r, k := rn.net.Rand(), rn.sc.Kinds
	f := Faults{
		Loss: rn.sc.MaxLoss, Dup: 0.05 * r.Float64(),
		MinDelay: time.Millisecond, MaxDelay: time.Duration(2+r.IntN(30)) * time.Millisecond,
	}
	if k&FaultLate != 0 && r.IntN(2) == 0 {
		// Up to 1% of datagrams arrive 0.5-4 s late: past the suspect
		// timeout, often after the view or the incarnation they belong to.
		f.Late = 0.01 * r.Float64()
		if rn.sc.Harsh {
			f.Late *= 5
		}
		f.LateMin, f.LateMax = 500*time.Millisecond, 4*time.Second
	}
	if k&FaultBurst != 0 && r.IntN(2) == 0 {
		// Bursts of 3-20 datagrams with 50-100% loss, entered on 0.2-5%
		// of datagrams.
		f.Burst = Burst{
			Enter: 0.002 + 0.048*r.Float64(),
			Leave: 0.05 + 0.28*r.Float64(),
			Loss:  0.5 + 0.5*r.Float64(),
		}
	}
	rn.trace("faults %+v", f)
	return f
}

// A fault is drawn from this table, by weight, among the enabled kinds.
var faultTable = []struct {
	kind   FaultKind
	weight int
}{
	{FaultCrash, 2},
	{FaultRestart, 2},
	{FaultLeave, 2},
	{FaultPartition, 4},
	{0, 3}, // heal
	{FaultOneWay, 2},
	{FaultPause, 2},
	{FaultSlowLink, 2},
}

func (rn *run) chaos() {
	net, r := rn.net, rn.net.Rand()
	net.SetFaults(rn.chaosFaults())
	end := net.Now().Add(rn.sc.Chaos)
	// A stream of casts from every node.
	for _, nd := range net.Nodes() {
		nd := nd
		var next func()
		next = func() {
			if net.Now().After(end) {
				return
			}
			size := 8 + r.IntN(200)
			if r.IntN(20) == 0 && rn.pr.Has("Frag") {
				size = 1500 + r.IntN(5000) // fragmented
			}
			if r.IntN(4) == 0 {
				rn.send(nd, size)
			} else {
				rn.cast(nd, size)
			}
			net.After(time.Duration(20+r.IntN(150))*time.Millisecond, next)
		}
		net.After(time.Duration(r.IntN(100))*time.Millisecond, next)
	}
	total := 0
	for _, e := range faultTable {
		if e.kind == 0 || rn.sc.Kinds&e.kind != 0 {
			total += e.weight
		}
	}
	var fault func()
	fault = func() {
		if net.Now().After(end) {
			return
		}
		x := r.IntN(total)
		for _, e := range faultTable {
			if e.kind != 0 && rn.sc.Kinds&e.kind == 0 {
				continue
			}
			if x < e.weight {
				rn.inject(e.kind)
				break
			}
			x -= e.weight
		}
		gap := time.Duration(300+r.IntN(900)) * time.Millisecond
		if rn.sc.Harsh {
			gap /= 3
		}
		net.After(gap, fault)
	}
	net.After(time.Duration(200+r.IntN(500))*time.Millisecond, fault)
	net.RunFor(rn.sc.Chaos)
}

// inject injects one fault of the given kind (0 heals the network).
func (rn *run) inject(kind FaultKind) {
	net, r := rn.net, rn.net.Rand()
	nodes := net.Nodes()
	var alive, dead []*Node
	for _, nd := range nodes {
		if nd.Alive() && !nd.Core().Exited() && !rn.leaving[nd.Me()] {
			alive = append(alive, nd)
		} else if !nd.Alive() || nd.Core().Exited() {
			dead = append(dead, nd)
		}
	}
	var running, pausable []*Node // alive and not paused; the same, leaving or not
	for _, nd := range nodes {
		if nd.Alive() && !nd.Paused() && !nd.Core().Exited() {
			pausable = append(pausable, nd)
			if !rn.leaving[nd.Me()] {
				running = append(running, nd)
			}
		}
	}
	switch kind {
	case FaultCrash:
		if len(alive) > 1 {
			nd := alive[r.IntN(len(alive))]
			rn.trace("crash %s", nd.Me())
			rn.chk.Crash(nd.Me())
			nd.Crash()
			rn.res.Crashes++
		}
	case FaultRestart:
		if len(dead) > 0 {
			nd := dead[r.IntN(len(dead))]
			if nd.Alive() {
				rn.chk.Crash(nd.Me())
			}
			nd.Crash() // a member that left is stopped before restarting
			_ = nd.Start()
			rn.trace("restart %s", nd.Me())
		}
	case FaultLeave:
		if len(running) > 1 {
			nd := running[r.IntN(len(running))]
			rn.trace("leave %s", nd.Me())
			rn.leaving[nd.Me()] = true
			rn.chk.Leave(nd.Me())
			rn.res.Leaves++
			nd.Do(func(c *stack.Core) { c.Leave() })
		}
	case FaultPartition:
		groups := rn.split(nodes)
		net.Partition(groups...)
		rn.res.Partitions++
		rn.trace("partition %v", groups)
	case FaultOneWay:
		if len(nodes) < 2 {
			return
		}
		var from, to []string
		if r.IntN(2) == 0 {
			i := r.IntN(len(nodes))
			j := (i + 1 + r.IntN(len(nodes)-1)) % len(nodes)
			from, to = []string{nodes[i].Addr}, []string{nodes[j].Addr}
		} else {
			groups := rn.split(nodes)
			from = groups[0]
			for _, g := range groups[1:] {
				to = append(to, g...)
			}
		}
		net.Block(from, to)
		rn.res.OneWays++
		rn.trace("one-way cut %v -> %v", from, to)
	case FaultPause:
		if len(pausable) > 0 {
			nd := pausable[r.IntN(len(pausable))]
			d := time.Duration(100+r.IntN(2400)) * time.Millisecond
			if rn.sc.Harsh {
				d = time.Duration(100+r.IntN(6000)) * time.Millisecond
			}
			nd.Pause()
			rn.res.Pauses++
			rn.trace("pause %s for %v", nd.Me(), d)
			gen := nd.gen
			net.After(d, func() {
				if nd.gen == gen && nd.Paused() {
					rn.trace("resume %s", nd.Me())
					nd.Resume()
				}
			})
		}
	case FaultSlowLink:
		if len(nodes) < 2 {
			return
		}
		extra := time.Duration(500+r.IntN(2500)) * time.Millisecond
		period := time.Duration(100+r.IntN(1500)) * time.Millisecond
		for k := 1 + r.IntN(3); k > 0; k-- {
			i := r.IntN(len(nodes))
			j := (i + 1 + r.IntN(len(nodes)-1)) % len(nodes)
			net.SlowLink(nodes[i].Addr, nodes[j].Addr, extra, period)
			rn.trace("slow link %s -> %s by %v for %v", nodes[i].Addr, nodes[j].Addr, extra, period)
		}
		rn.res.SlowLinks++
	case 0:
		net.Heal()
		rn.trace("heal")
	}
}

// split divides the nodes into components (see Split).
func (rn *run) split(nodes []*Node) [][]string {
	addrs := make([]string, len(nodes))
	for i, nd := range nodes {
		addrs[i] = nd.Addr
	}
	return Split(rn.net.Rand(), addrs)
}

// Split divides addrs into 2-4 components drawn from r, for Partition:
// at random (some may then be empty), a singleton against the rest, or a
// minority against a majority. The first component is never empty.
func Split(r *rand.Rand, addrs []string) [][]string {
	addrs = slices.Clone(addrs)
	r.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	switch {
	case len(addrs) < 2:
		return [][]string{addrs}
	case r.IntN(3) == 0: // a singleton
		return [][]string{addrs[:1], addrs[1:]}
	case r.IntN(2) == 0: // a minority and a majority
		k := 1 + r.IntN(len(addrs)/2)
		return [][]string{addrs[:k], addrs[k:]}
	default:
		k := 2 + r.IntN(3)
		groups := make([][]string, k)
		groups[0] = []string{addrs[0]}
		for _, a := range addrs[1:] {
			i := r.IntN(k)
			groups[i] = append(groups[i], a)
		}
		return groups
	}
}

// quiet heals the network, waits, and checks that the live members form
// one view and deliver new casts.
func (rn *run) quiet() {
	net := rn.net
	net.Heal()
	net.SetFaults(Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	for _, nd := range net.Nodes() {
		if nd.Paused() {
			rn.trace("resume %s", nd.Me())
			nd.Resume()
		}
	}
	rn.trace("quiet")
	net.RunFor(rn.sc.Quiet)
	for _, nd := range net.Nodes() {
		if nd.Alive() && rn.leaving[nd.Me()] && !nd.Core().Exited() {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Leave: %v asked to leave but has not exited after %v quiet", nd.Me(), rn.sc.Quiet))
		}
	}
	var live []stack.Endpoint
	var nodes []*Node
	for _, nd := range net.Nodes() {
		if nd.Alive() && !nd.Core().Exited() {
			live = append(live, nd.Me())
			nodes = append(nodes, nd)
		}
	}
	slices.SortFunc(live, func(a, b stack.Endpoint) int {
		if a.String() < b.String() {
			return -1
		}
		return 1
	})
	for _, nd := range nodes {
		v := nd.Core().View()
		got := slices.Clone(v.Members)
		slices.SortFunc(got, func(a, b stack.Endpoint) int {
			if a.String() < b.String() {
				return -1
			}
			return 1
		})
		if !slices.Equal(got, live) {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Convergence: no single view after %v quiet: %v is in view %v with %v; live members are %v", rn.sc.Quiet, nd.Me(), v.ID, v.Members, live))
			return
		}
	}
	// Every live member casts once more and sends to every other member;
	// everyone must deliver everything.
	var finals []string
	type p2p struct {
		to *Node
		id string
	}
	var sends []p2p
	for _, nd := range nodes {
		finals = append(finals, rn.cast(nd, 32))
		for _, to := range nodes {
			if to != nd {
				sends = append(sends, p2p{to, rn.sendTo(nd, to.Me(), 32)})
			}
		}
	}
	net.RunFor(3 * time.Second)
	for _, s := range sends {
		if !rn.chk.Received(s.to.Me(), s.id) {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Liveness: after convergence %v did not receive %s", s.to.Me(), s.id))
		}
	}
	for _, nd := range nodes {
		m := nd.Core().Metrics().Snapshot()
		rn.res.AuthDrops += int(m.Drops["auth"] + m.Drops["auth-replay"] + m.Drops["auth-stale"])
		rn.trace("%s backlog=%d sent=%d delivered=%d naks=%d retrans=%d drops=%v", nd.Me(), nd.Core().Backlog(), m.CastsSent, m.CastsDelivered, m.NaksSent, m.Retransmissions, m.Drops)
	}
	for _, nd := range nodes {
		for _, id := range finals {
			if !rn.chk.Delivered(nd.Me(), id) {
				rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("Liveness: after convergence %v did not deliver %s", nd.Me(), id))
			}
		}
	}
}
