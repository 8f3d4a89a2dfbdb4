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
// a delay range; delays that differ reorder datagrams.
type Faults struct {
	Loss     float64
	Dup      float64
	MinDelay time.Duration
	MaxDelay time.Duration
}

// Network is a simulated datagram network with a virtual clock. It is not
// safe for concurrent use: tests drive it from one goroutine.
type Network struct {
	rng    *rand.Rand
	now    time.Time
	queue  events
	seq    uint64
	nodes  map[string]*Node
	addrs  []string // sorted, for deterministic iteration
	faults Faults
	part   map[string]int // component of each address; same value = connected

	// Dropped and Delivered count datagrams, for reporting.
	Dropped, Delivered uint64

	// Tap, if set, sees every datagram sent (before faults apply).
	Tap func(from, to string, pkt []byte)

	// AfterEvent, if set, runs after every event: tests use it to run
	// goroutines of their own in lockstep with the network.
	AfterEvent func()
}

// NewNetwork returns an empty network whose choices all come from seed.
func NewNetwork(seed uint64, f Faults) *Network {
	return &Network{
		rng:    rand.New(rand.NewPCG(seed, seed^0xdeadbeefcafef00d)),
		now:    time.Unix(1_000_000, 0),
		nodes:  make(map[string]*Node),
		faults: f,
		part:   make(map[string]int),
	}
}

// Now returns the virtual time.
func (n *Network) Now() time.Time { return n.now }

// Rand returns the network's random source (for workloads).
func (n *Network) Rand() *rand.Rand { return n.rng }

// SetFaults changes the network's misbehaviour from now on.
func (n *Network) SetFaults(f Faults) { n.faults = f }

// Partition splits the network: addresses in the same group talk, others do
// not. Addresses not listed form one more group together.
func (n *Network) Partition(groups ...[]string) {
	clear(n.part)
	for i, g := range groups {
		for _, a := range g {
			n.part[a] = i + 1
		}
	}
}

// Heal reconnects every address.
func (n *Network) Heal() { clear(n.part) }

func (n *Network) connected(a, b string) bool { return n.part[a] == n.part[b] }

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
// the faults and to partitions (checked on arrival).
func (n *Network) transmit(from, to string, pkt []byte) {
	if n.Tap != nil {
		n.Tap(from, to, pkt)
	}
	f := n.faults
	if f.Loss > 0 && n.rng.Float64() < f.Loss {
		n.Dropped++
		return
	}
	copies := 1
	if f.Dup > 0 && n.rng.Float64() < f.Dup {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		d := f.MinDelay
		if f.MaxDelay > f.MinDelay {
			d += time.Duration(n.rng.Int64N(int64(f.MaxDelay - f.MinDelay)))
		}
		b := append([]byte(nil), pkt...)
		n.After(d, func() {
			dst := n.nodes[to]
			if dst == nil || !dst.alive || !n.connected(from, to) {
				n.Dropped++
				return
			}
			n.Delivered++
			dst.core.Receive(n.now, from, b)
			if dst.core != nil { // the packet may have ended the member (a leave)
				dst.core.Idle()
			}
		})
	}
}

// Inject delivers raw bytes to a node as if sent by from (for robustness
// tests).
func (n *Network) Inject(from, to string, pkt []byte) {
	n.After(0, func() {
		if dst := n.nodes[to]; dst != nil && dst.alive {
			dst.core.Receive(n.now, from, pkt)
			if dst.core != nil {
				dst.core.Idle()
			}
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
	nd.inc = nd.net.rng.Uint64() | 1
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
	var tick func()
	tick = func() {
		if !nd.alive || nd.gen != gen {
			return
		}
		nd.core.Tick(nd.net.now)
		if !nd.alive || nd.gen != gen {
			return // the tick ended the member (a leave timed out)
		}
		nd.core.Idle()
		nd.net.After(nd.tick, tick)
	}
	nd.net.After(first, tick)
	return nil
}

// Crash stops the node abruptly: no goodbye, state lost.
func (nd *Node) Crash() {
	nd.alive = false
	nd.gen++
	nd.core = nil
}

// Alive reports whether the node runs.
func (nd *Node) Alive() bool { return nd.alive }

// Core returns the running Core, or nil if crashed.
func (nd *Node) Core() *stack.Core { return nd.core }

// Me returns the current incarnation's endpoint.
func (nd *Node) Me() stack.Endpoint { return stack.Endpoint{Addr: nd.Addr, Inc: nd.inc} }

// Do runs f against the node's Core now and lets it send (Idle).
func (nd *Node) Do(f func(c *stack.Core)) {
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
