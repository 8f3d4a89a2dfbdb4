package sim

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/props"
)

// Scenario describes one seeded run: a group of members started together,
// a period of chaos (loss, duplication, reordering, crashes, restarts,
// partitions) with a stream of casts, and a quiet period after which the
// group must have healed into one view that delivers new casts everywhere.
type Scenario struct {
	Seed       uint64
	Members    int
	Properties string
	Chaos      time.Duration // how long faults are injected
	Quiet      time.Duration // how long the healed network runs before checking
	MaxLoss    float64
	Config     stack.Config
	// Trace, if set, receives a line per membership event.
	Trace func(string)
	// Log, if set, receives the stacks' logs.
	Log *slog.Logger
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

// RandomScenario derives a scenario from a seed.
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
	}
	switch r.IntN(10) {
	case 0:
		s.Properties = "Gmp:Sync:Heal:Frag:Suspect:Flow"
	case 1:
		s.Properties = "Gmp:Sync:Heal:Suspect:Total"
	}
	return s
}

type run struct {
	sc      Scenario
	leaving map[stack.Endpoint]bool
	net     *Network
	chk     *Checker
	pr      props.Properties
	view    map[stack.Endpoint]stack.ViewID
	casts   map[string]int
	res     Result
}

// Run executes the scenario and checks the recorded histories.
func (sc Scenario) Run() Result {
	pr, err := props.Parse(sc.Properties)
	if err != nil {
		return Result{Violations: []string{err.Error()}}
	}
	rn := &run{
		sc: sc, pr: pr,
		net:     NewNetwork(sc.Seed, Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond}),
		chk:     NewChecker(pr.Has("Total") || pr.Has("Token")),
		view:    map[stack.Endpoint]stack.ViewID{},
		casts:   map[string]int{},
		leaving: map[stack.Endpoint]bool{},
	}
	rn.net.Rand().IntN(10) // keep the stream aligned with RandomScenario's draws
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
	return rn.res
}

func (rn *run) nodeConfig() NodeConfig {
	return NodeConfig{
		Tick: rn.sc.Config.Tick,
		NewCore: func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error) {
			return stack.NewCore(stack.CoreOptions{
				Group: "sim", Me: me, Config: rn.sc.Config, Protocols: rn.pr.Protocols(),
				Out: out, Seed: rn.sc.Seed, Log: rn.sc.Log,
			})
		},
		Upcall: rn.upcall,
	}
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
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("%v: bad payload: %v", me, err))
			return
		}
		rn.chk.Deliver(me, rn.view[me], u.From, id)
	case stack.UpAbort:
		id, err := PayloadID(u.Payload)
		if err != nil {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("%v: bad aborted payload: %v", me, err))
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
	if !nd.Alive() || nd.Core().Exited() || rn.leaving[nd.Me()] {
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
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("%v: cast: %v", me, err))
		}
	})
	return id
}

func (rn *run) chaos() {
	net, r := rn.net, rn.net.Rand()
	net.SetFaults(Faults{
		Loss: rn.sc.MaxLoss, Dup: 0.05 * r.Float64(),
		MinDelay: time.Millisecond, MaxDelay: time.Duration(2+r.IntN(30)) * time.Millisecond,
	})
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
			rn.cast(nd, size)
			net.After(time.Duration(20+r.IntN(150))*time.Millisecond, next)
		}
		net.After(time.Duration(r.IntN(100))*time.Millisecond, next)
	}
	// Faults.
	var fault func()
	fault = func() {
		if net.Now().After(end) {
			return
		}
		nodes := net.Nodes()
		var alive, dead []*Node
		for _, nd := range nodes {
			if nd.Alive() && !nd.Core().Exited() && !rn.leaving[nd.Me()] {
				alive = append(alive, nd)
			} else if !nd.Alive() || nd.Core().Exited() {
				dead = append(dead, nd)
			}
		}
		switch r.IntN(6) {
		case 0:
			if len(alive) > 1 {
				nd := alive[r.IntN(len(alive))]
				rn.trace("crash %s", nd.Me())
				nd.Crash()
				rn.res.Crashes++
			}
		case 1:
			if len(dead) > 0 {
				nd := dead[r.IntN(len(dead))]
				nd.Crash() // a member that left is stopped before restarting
				_ = nd.Start()
				rn.trace("restart %s", nd.Me())
			}
		case 5:
			if len(alive) > 1 {
				nd := alive[r.IntN(len(alive))]
				rn.trace("leave %s", nd.Me())
				rn.leaving[nd.Me()] = true
				rn.res.Leaves++
				nd.Do(func(c *stack.Core) { c.Leave() })
			}
		case 2, 3:
			var a, b []string
			for _, nd := range nodes {
				if r.IntN(2) == 0 {
					a = append(a, nd.Addr)
				} else {
					b = append(b, nd.Addr)
				}
			}
			net.Partition(a, b)
			rn.res.Partitions++
			rn.trace("partition %v | %v", a, b)
		case 4:
			net.Heal()
			rn.trace("heal")
		}
		net.After(time.Duration(300+r.IntN(900))*time.Millisecond, fault)
	}
	net.After(time.Duration(200+r.IntN(500))*time.Millisecond, fault)
	net.RunFor(rn.sc.Chaos)
}

// quiet heals the network, waits, and checks that the live members form
// one view and deliver new casts.
func (rn *run) quiet() {
	net := rn.net
	net.Heal()
	net.SetFaults(Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
	rn.trace("quiet")
	net.RunFor(rn.sc.Quiet)
	for _, nd := range net.Nodes() {
		if nd.Alive() && rn.leaving[nd.Me()] && !nd.Core().Exited() {
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("%v asked to leave but has not exited after %v quiet", nd.Me(), rn.sc.Quiet))
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
			rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("no convergence after %v quiet: %v is in view %v with %v; live members are %v", rn.sc.Quiet, nd.Me(), v.ID, v.Members, live))
			return
		}
	}
	// Every live member casts once more; everyone must deliver everything.
	var finals []string
	for _, nd := range nodes {
		finals = append(finals, rn.cast(nd, 32))
	}
	net.RunFor(3 * time.Second)
	for _, nd := range nodes {
		m := nd.Core().Metrics().Snapshot()
		rn.trace("%s backlog=%d sent=%d delivered=%d naks=%d retrans=%d drops=%v", nd.Me(), nd.Core().Backlog(), m.CastsSent, m.CastsDelivered, m.NaksSent, m.Retransmissions, m.Drops)
	}
	for _, nd := range nodes {
		for _, id := range finals {
			if !rn.chk.Delivered(nd.Me(), id) {
				rn.res.Violations = append(rn.res.Violations, fmt.Sprintf("after convergence %v did not deliver %s", nd.Me(), id))
			}
		}
	}
}
