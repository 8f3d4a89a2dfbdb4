package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Faults are the network's misbehaviour, as probabilities per datagram and
// delay ranges; delays that differ reorder datagrams. The zero value of
// every field means "none", and a fault that is off draws nothing from the
// network's random source, so adding a field never changes the runs of
// callers that leave it zero.
type Faults struct {
	// Loss is the probability that a datagram is lost (on a link in the
	// good state, when Burst is set).
	Loss float64
	// Dup is the probability that a datagram arrives twice.
	Dup float64
	// MinDelay and MaxDelay bound the ordinary transit time.
	MinDelay time.Duration
	MaxDelay time.Duration
	// Late is the probability that a datagram is held back for an extra
	// LateMin..LateMax — typically well beyond Config.SuspectTimeout, so
	// that packets of views and incarnations long gone arrive late.
	Late    float64
	LateMin time.Duration
	LateMax time.Duration
	// Burst makes loss bursty (a Gilbert–Elliott channel per directed
	// link); off when Burst.Enter is zero.
	Burst Burst
}

// Burst is a Gilbert–Elliott loss model: every directed link is in a good
// or a bad state. Each datagram first moves its link from good to bad with
// probability Enter, or from bad to good with probability Leave, and is
// then lost with probability Faults.Loss (good) or Loss (bad). The mean
// burst is 1/Leave datagrams long.
type Burst struct {
	Enter float64
	Leave float64
	Loss  float64
}

// PauseBuffer bounds, in bytes, what queues up for a paused node (its
// socket receive buffer); datagrams beyond it are lost.
const PauseBuffer = 256 << 10

// link is a directed pair of addresses.
type link struct{ from, to string }

// slowLink holds back the datagrams sent on a link until a virtual time.
type slowLink struct {
	extra time.Duration
	until time.Time
}

// Network is a simulated datagram network with a virtual clock. It is not
// safe for concurrent use: tests drive it from one goroutine.
type Network struct {
	seed   uint64
	rng    *rand.Rand
	now    time.Time
	queue  events
	seq    uint64
	nodes  map[string]*Node
	addrs  []string // sorted, for deterministic iteration
	faults Faults
	part   map[string]int // component of each address; same value = connected
	cut    map[link]bool  // one-way cuts: datagrams on these links are lost
	slow   map[link]slowLink
	bad    map[link]bool // links in the bad state of the burst-loss model

	// Dropped and Delivered count datagrams, for reporting.
	Dropped, Delivered uint64

	// Tap, if set, sees every datagram sent (before faults apply).
	Tap func(from, to string, pkt []byte)

	// AfterEvent, if set, runs after every event: tests use it to run
	// goroutines of their own in lockstep with the network.
	AfterEvent func()

	// GrowingIncarnations makes every restart of a node a larger
	// incarnation than the last, as stack.Start's (the start time) are;
	// Auth relies on it. Off, incarnations are random.
	GrowingIncarnations bool

	// HoldPacks is the probability that a member, after handling a
	// datagram, leaves the datagrams it is filling open (Core.IdleOpen,
	// as a Stack does while its transport is busy sending) until its next
	// datagram or tick. Its draws come from a stream of their own, so
	// that it changes nothing else about a seed's run.
	HoldPacks float64
	holdRng   *rand.Rand
}

// NewNetwork returns an empty network whose choices all come from seed.
func NewNetwork(seed uint64, f Faults) *Network {
	return &Network{
		seed:   seed,
		rng:    rand.New(rand.NewPCG(seed, seed^0xdeadbeefcafef00d)),
		now:    time.Unix(1_000_000, 0),
		nodes:  make(map[string]*Node),
		faults: f,
		part:   make(map[string]int),
		cut:    make(map[link]bool),
		slow:   make(map[link]slowLink),
		bad:    make(map[link]bool),
	}
}

// holdPacks draws whether a member keeps its datagrams open (HoldPacks).
func (n *Network) holdPacks() bool {
	if n.HoldPacks <= 0 {
		return false
	}
	if n.holdRng == nil {
		n.holdRng = rand.New(rand.NewPCG(n.seed, 0x401d9ac5))
	}
	return n.holdRng.Float64() < n.HoldPacks
}

// Now returns the virtual time.
func (n *Network) Now() time.Time { return n.now }

// Rand returns the network's random source (for workloads).
func (n *Network) Rand() *rand.Rand { return n.rng }

// SetFaults changes the network's misbehaviour from now on.
func (n *Network) SetFaults(f Faults) { n.faults = f }

// Partition splits the network into components: addresses in the same
// group talk, others do not. Addresses not listed form one more group
// together. It replaces the previous partition and leaves one-way cuts
// (Block) in place.
func (n *Network) Partition(groups ...[]string) {
	clear(n.part)
	for i, g := range groups {
		for _, a := range g {
			n.part[a] = i + 1
		}
	}
}

// Block cuts the network one way: datagrams from any address in from to
// any address in to are lost, while the other direction still works
// (until Heal).
func (n *Network) Block(from, to []string) {
	for _, a := range from {
		for _, b := range to {
			if a != b {
				n.cut[link{a, b}] = true
			}
		}
	}
}

// Heal reconnects every address: it lifts the partition and every one-way
// cut. Slow links (SlowLink) run out on their own.
func (n *Network) Heal() {
	clear(n.part)
	clear(n.cut)
}

// SlowLink holds back every datagram sent from one address to another
// during the next period by an extra delay (a congested or rerouted link).
func (n *Network) SlowLink(from, to string, extra, period time.Duration) {
	n.slow[link{from, to}] = slowLink{extra: extra, until: n.now.Add(period)}
}

func (n *Network) connected(a, b string) bool {
	return n.part[a] == n.part[b] && !n.cut[link{a, b}]
}

// event is something scheduled to happen at a virtual time.
type event struct {
	at  time.Time
	seq uint64
	run func()
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// At schedules f at virtual time t (not before now).
func (n *Network) At(t time.Time, f func()) {
	if t.Before(n.now) {
		t = n.now
	}
	n.seq++
	heap.Push(&n.queue, &event{at: t, seq: n.seq, run: f})
}

// After schedules f after d.
func (n *Network) After(d time.Duration, f func()) { n.At(n.now.Add(d), f) }

// RunFor runs scheduled events for d of virtual time.
func (n *Network) RunFor(d time.Duration) {
	end := n.now.Add(d)
	for n.queue.Len() > 0 {
		ev := n.queue[0]
		if ev.at.After(end) {
			break
		}
		heap.Pop(&n.queue)
		n.now = ev.at
		ev.run()
		if n.AfterEvent != nil {
			n.AfterEvent()
		}
	}
	n.now = end
}

// transmit carries one datagram from one address to another, subject to
// the faults, and to partitions and cuts (checked on arrival).
func (n *Network) transmit(from, to string, pkt []byte) {
	if n.Tap != nil {
		n.Tap(from, to, pkt)
	}
	f := n.faults
	loss := f.Loss
	if b := f.Burst; b.Enter > 0 {
		l := link{from, to}
		if n.bad[l] {
			if n.rng.Float64() < b.Leave {
				delete(n.bad, l)
			}
		} else if n.rng.Float64() < b.Enter {
			n.bad[l] = true
		}
		if n.bad[l] {
			loss = b.Loss
		}
	}
	if loss > 0 && n.rng.Float64() < loss {
		n.Dropped++
		return
	}
	copies := 1
	if f.Dup > 0 && n.rng.Float64() < f.Dup {
		copies = 2
	}
	var extra time.Duration
	if s, ok := n.slow[link{from, to}]; ok {
		if n.now.Before(s.until) {
			extra = s.extra
		} else {
			delete(n.slow, link{from, to})
		}
	}
	for i := 0; i < copies; i++ {
		d := f.MinDelay + extra
		if f.MaxDelay > f.MinDelay {
			d += time.Duration(n.rng.Int64N(int64(f.MaxDelay - f.MinDelay)))
		}
		if f.Late > 0 && n.rng.Float64() < f.Late {
			d += f.LateMin
			if f.LateMax > f.LateMin {
				d += time.Duration(n.rng.Int64N(int64(f.LateMax - f.LateMin)))
			}
		}
		// Each copy has free space behind it (as much again), as a UDP
		// read buffer has behind a datagram it hands over (Core.Receive):
		// the fragmenter's reassembly in place runs here too.
		b := append(make([]byte, 0, 2*len(pkt)), pkt...)
		n.After(d, func() {
			if !n.connected(from, to) {
				n.Dropped++
				return
			}
			n.arrive(from, to, b)
		})
	}
}

// arrive hands a datagram to the node at to: at once if it runs, into its
// receive buffer if it is paused.
func (n *Network) arrive(from, to string, b []byte) {
	dst := n.nodes[to]
	if dst == nil || !dst.alive {
		n.Dropped++
		return
	}
	if dst.paused {
		if dst.backlogBytes+len(b) > PauseBuffer {
			n.Dropped++
			return
		}
		dst.backlog = append(dst.backlog, datagram{from, b})
		dst.backlogBytes += len(b)
		return
	}
	n.Delivered++
	dst.core.Receive(n.now, from, b)
	if dst.core != nil { // the datagram may have ended the member (a leave)
		if n.holdPacks() {
			dst.core.IdleOpen()
		} else {
			dst.core.Idle()
		}
	}
}

// Inject delivers raw bytes to a node as if sent by from (for robustness
// tests).
func (n *Network) Inject(from, to string, pkt []byte) {
	n.After(0, func() {
		if dst := n.nodes[to]; dst != nil && dst.alive {
			n.arrive(from, to, pkt)
		}
	})
}

// Node is one simulated process: an address and, while alive, a Core.
type Node struct {
	net     *Network
	Addr    string
	core    *stack.Core
	alive   bool
	inc     uint64
	gen     int // incremented on every crash, to stop old tick chains
	newCore func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error)
	upcall  func(nd *Node, u stack.Upcall)
	tick    time.Duration

	paused       bool       // stopped: no events, no ticks
	stalled      bool       // a tick came due while paused
	stalledAt    time.Time  // when it came due
	backlog      []datagram // what arrived while paused
	backlogBytes int
	held         []func(c *stack.Core) // downcalls made while paused
	tickFn       func(time.Time)       // the current incarnation's tick chain
}

// datagram is one datagram waiting in a paused node's receive buffer.
type datagram struct {
	from string
	pkt  []byte
}

// NodeConfig says how to build a node's Core and where its upcalls go.
type NodeConfig struct {
	// NewCore builds the Core for an incarnation of the node.
	NewCore func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error)
	// Upcall receives the node's upcalls (called on the simulation
	// goroutine; it may call the node's Core, whose calls are then queued).
	Upcall func(nd *Node, u stack.Upcall)
	// Tick is how often the Core is ticked.
	Tick time.Duration
}

// AddNode creates a node at addr and starts it.
func (n *Network) AddNode(addr string, cfg NodeConfig) (*Node, error) {
	if _, dup := n.nodes[addr]; dup {
		return nil, fmt.Errorf("sim: duplicate address %s", addr)
	}
	nd := &Node{net: n, Addr: addr, newCore: cfg.NewCore, upcall: cfg.Upcall, tick: cfg.Tick}
	n.nodes[addr] = nd
	n.addrs = append(n.addrs, addr)
	sort.Strings(n.addrs)
	return nd, nd.Start()
}

// Nodes returns the nodes in address order.
func (n *Network) Nodes() []*Node {
	out := make([]*Node, 0, len(n.addrs))
	for _, a := range n.addrs {
		out = append(out, n.nodes[a])
	}
	return out
}

// Node returns the node at addr.
func (n *Network) Node(addr string) *Node { return n.nodes[addr] }

// Start (re)starts the node as a new incarnation.
func (nd *Node) Start() error {
	if nd.alive {
		return nil
	}
	draw := nd.net.rng.Uint64() | 1
	if nd.net.GrowingIncarnations {
		draw = nd.inc + 1 + draw%(1<<32)
	}
	nd.inc = draw
	me := stack.Endpoint{Addr: nd.Addr, Inc: nd.inc}
	core, err := nd.newCore(me, outputs{nd})
	if err != nil {
		return err
	}
	nd.core, nd.alive = core, true
	nd.gen++
	core.Start(nd.net.now)
	core.Idle()
	gen := nd.gen
	// Stagger the ticks of different nodes.
	first := time.Duration(nd.net.rng.Int64N(int64(nd.tick))) + 1
	var tick func(at time.Time)
	tick = func(at time.Time) {
		if !nd.alive || nd.gen != gen {
			return
		}
		if nd.paused {
			nd.stalled, nd.stalledAt = true, at // Resume ticks again
			return
		}
		nd.core.Tick(at)
		if !nd.alive || nd.gen != gen {
			return // the tick ended the member (a leave timed out)
		}
		nd.core.Idle()
		nd.net.After(nd.tick, func() { tick(nd.net.now) })
	}
	nd.tickFn = tick
	nd.net.After(first, func() { tick(nd.net.now) })
	return nil
}

// Crash stops the node abruptly: no goodbye, state lost.
func (nd *Node) Crash() {
	nd.alive = false
	nd.gen++
	nd.core = nil
	nd.paused, nd.stalled = false, false
	nd.backlog, nd.backlogBytes, nd.held, nd.tickFn = nil, 0, nil, nil
}

// Pause stops the node as SIGSTOP stops a process: it handles no datagram
// and no tick until Resume. Datagrams sent to it queue up to PauseBuffer
// bytes; downcalls made through Do (or a Driver) wait too. Pausing a node
// that is crashed or already paused does nothing.
func (nd *Node) Pause() {
	if nd.alive {
		nd.paused = true
	}
}

// Paused reports whether the node is paused.
func (nd *Node) Paused() bool { return nd.paused }

// Resume lets a paused node run again with the state it had: it handles
// its queued datagrams and held downcalls, and ticks again. The first tick
// carries the time it came due during the pause, as the tick a Go ticker
// buffered does (so layers see a stale time once); it comes before or after
// the backlog, as the network's random source decides — both happen to a
// process woken by SIGCONT. Later ticks carry the current virtual time.
func (nd *Node) Resume() {
	if !nd.paused {
		return
	}
	nd.paused = false
	n := nd.net
	tickFirst := n.rng.IntN(2) == 0
	gen := nd.gen
	tick := func() {
		if nd.stalled && nd.gen == gen {
			nd.stalled = false
			nd.tickFn(nd.stalledAt)
		}
	}
	if tickFirst {
		tick()
	}
	running := func() bool { return nd.alive && nd.gen == gen && !nd.paused }
	for len(nd.backlog) > 0 && running() {
		d := nd.backlog[0]
		nd.backlog = nd.backlog[1:]
		nd.backlogBytes -= len(d.pkt)
		n.Delivered++
		nd.core.Receive(n.now, d.from, d.pkt)
	}
	for len(nd.held) > 0 && running() {
		f := nd.held[0]
		nd.held = nd.held[1:]
		f(nd.core)
	}
	if running() {
		nd.core.Idle()
		tick()
	}
}

// Alive reports whether the node runs.
func (nd *Node) Alive() bool { return nd.alive }

// Core returns the running Core, or nil if crashed.
func (nd *Node) Core() *stack.Core { return nd.core }

// Me returns the current incarnation's endpoint.
func (nd *Node) Me() stack.Endpoint { return stack.Endpoint{Addr: nd.Addr, Inc: nd.inc} }

// Do runs f against the node's Core now and lets it send (Idle).
// A paused node runs f when it resumes.
func (nd *Node) Do(f func(c *stack.Core)) {
	if nd.alive && nd.paused {
		nd.held = append(nd.held, f)
		return
	}
	if nd.alive {
		f(nd.core)
		if nd.core != nil {
			nd.core.Idle()
		}
	}
}

// outputs connects a node's Core to the network.
type outputs struct{ nd *Node }

func (o outputs) SendTo(addr string, pkt []byte) {
	if o.nd.alive {
		o.nd.net.transmit(o.nd.Addr, addr, pkt)
	}
}

func (o outputs) Multicast(addrs []string, pkt []byte) {
	for _, a := range addrs {
		o.SendTo(a, pkt)
	}
}

func (o outputs) Broadcast(pkt []byte) {
	for _, a := range o.nd.net.addrs {
		if a != o.nd.Addr {
			o.SendTo(a, pkt)
		}
	}
}

func (o outputs) Upcall(u stack.Upcall) {
	if o.nd.alive && o.nd.upcall != nil {
		o.nd.upcall(o.nd, u)
	}
}
