package sim

import (
	"crypto/sha256"
	"math/rand/v2"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/wire"
)

// ScenarioKey is the group key of scenarios run with Auth.
var ScenarioKey = auth.Key{0x4d, 0x61, 0x65, 0x73, 0x74, 0x72, 0x6f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}

// attackerKey is the key the attacker seals its forgeries with: not the
// group's.
var attackerKey = auth.Key{0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}

// maxCaptured bounds what the attacker remembers.
const maxCaptured = 8192

// Attacker is an adversary on the path of every datagram, without the
// group key: it sees every datagram (and, with Auth alone, what is inside),
// knows every member's view, sends from any address it likes, and
// replays, alters, strips and forges datagrams — casts and control
// messages claiming any member's rank, heal announcements of later views
// naming live members (which, believed, would have them suspected),
// heartbeats of crashed members. Everything it builds itself is recorded,
// so that a member accepting any of it is caught (Forged).
type Attacker struct {
	net      *Network
	rng      *rand.Rand
	group    string
	captured []captured
	forged   map[[32]byte]bool
	guards   map[stack.Endpoint]*auth.Guard // forging under the wrong key, per impersonated sender

	// Sent counts the datagrams it injected.
	Sent int
}

type captured struct {
	from, to string
	pkt      []byte
}

// NewAttacker places an attacker on every path of the network, for a
// group. It taps the network (replacing Network.Tap) and acts every
// 5-40 ms of virtual time until stop.
func NewAttacker(n *Network, group string, stop time.Time) *Attacker {
	a := &Attacker{
		net: n, rng: rand.New(rand.NewPCG(n.Rand().Uint64(), 0xa77ac4)), group: group,
		forged: map[[32]byte]bool{}, guards: map[stack.Endpoint]*auth.Guard{},
	}
	n.Tap = func(from, to string, pkt []byte) {
		if len(a.captured) < maxCaptured {
			a.captured = append(a.captured, captured{from, to, append([]byte(nil), pkt...)})
		} else {
			a.captured[a.rng.IntN(maxCaptured)] = captured{from, to, append([]byte(nil), pkt...)}
		}
	}
	var act func()
	act = func() {
		if n.Now().After(stop) {
			return
		}
		a.Act()
		n.After(time.Duration(5+a.rng.IntN(35))*time.Millisecond, act)
	}
	n.After(time.Duration(a.rng.IntN(50))*time.Millisecond, act)
	return a
}

// Forged reports whether pkt is a datagram the attacker built (not one it
// replayed unchanged).
func (a *Attacker) Forged(pkt []byte) bool { return a.forged[sha256.Sum256(pkt)] }

// send injects a datagram; forged ones are recorded.
func (a *Attacker) send(from, to string, pkt []byte, forged bool) {
	if forged {
		a.forged[sha256.Sum256(pkt)] = true
	}
	a.Sent++
	a.net.Inject(from, to, pkt)
}

// wrongSeal seals content as sender would, but with the attacker's key.
func (a *Attacker) wrongSeal(sender stack.Endpoint, content []byte) []byte {
	g := a.guards[sender]
	if g == nil {
		var err error
		if g, err = auth.New(auth.Options{Me: sender, Keys: auth.Keys{Seal: attackerKey}}); err != nil {
			return content
		}
		a.guards[sender] = g
	}
	return g.Seal(append([]byte(nil), content...), "")
}

// Act performs one attack, chosen at random.
func (a *Attacker) Act() {
	nodes := a.net.Nodes()
	if len(nodes) == 0 {
		return
	}
	var live []*Node
	for _, nd := range nodes {
		if nd.Alive() && nd.Core() != nil && !nd.Core().Exited() && nd.Core().View() != nil {
			live = append(live, nd)
		}
	}
	if len(live) == 0 {
		return
	}
	victim := live[a.rng.IntN(len(live))]
	var c captured
	if len(a.captured) > 0 {
		c = a.captured[a.rng.IntN(len(a.captured))]
	}
	sender, _, _, content, sealed := auth.Inspect(c.pkt)
	switch a.rng.IntN(9) {
	case 0, 1: // replay, to its destination or anyone, from its source
		if c.pkt != nil {
			to := c.to
			if a.rng.IntN(2) == 0 {
				to = victim.Addr
			}
			a.send(c.from, to, c.pkt, false)
		}
	case 2: // heartbeats and traffic of crashed members: replay theirs
		for _, nd := range nodes {
			if nd.Alive() {
				continue
			}
			for k := 0; k < 4 && len(a.captured) > 0; k++ {
				c := a.captured[a.rng.IntN(len(a.captured))]
				if c.from == nd.Addr {
					a.send(c.from, victim.Addr, c.pkt, false)
					if s, _, _, content, ok := auth.Inspect(c.pkt); ok && content != nil {
						a.send(c.from, victim.Addr, a.wrongSeal(s, content), true)
					}
				}
			}
		}
	case 3: // the captured content resealed under the wrong key
		if sealed && content != nil {
			a.send(c.from, c.to, a.wrongSeal(sender, content), true)
		}
	case 4: // the captured content stripped of its seal
		if sealed && content != nil {
			a.send(c.from, c.to, append([]byte(nil), content...), true)
		}
	case 5: // a captured datagram with a byte changed
		if len(c.pkt) > 0 {
			pkt := append([]byte(nil), c.pkt...)
			pkt[a.rng.IntN(len(pkt))] ^= byte(1 + a.rng.IntN(255))
			a.send(c.from, c.to, pkt, true)
		}
	case 6: // a heal announcement of a later view naming live members
		v := victim.Core().View()
		other := live[a.rng.IntN(len(live))].Me()
		var w wire.Writer
		stack.PutViewID(&w, stack.ViewID{Ltime: 1 << 40, Coord: other})
		stack.PutEndpoints(&w, v.Members)
		pkt := stack.WrapGlobal(a.group, other, "heal", w.B)
		a.send(other.Addr, victim.Addr, pkt, true)
		a.send(other.Addr, victim.Addr, a.wrongSeal(other, pkt), true)
	case 7, 8: // a cast, suspicion or heartbeat claiming a member's rank
		v := victim.Core().View()
		if v.N() < 2 {
			return
		}
		r := (v.Rank + 1 + a.rng.IntN(v.N()-1)) % v.N()
		body := make([]byte, 1+a.rng.IntN(64))
		for i := range body {
			body[i] = byte(a.rng.Uint32())
		}
		body[0] = byte(a.rng.IntN(4)) // low kinds reach the layers' decoders
		if len(content) > 40 && a.rng.IntN(2) == 0 {
			body = append(body[:0], content[len(content)/2:]...) // real message bytes
		}
		pkt := stack.WrapForView(a.group, v, r, body)
		a.send(v.Members[r].Addr, victim.Addr, pkt, true)
		a.send(v.Members[r].Addr, victim.Addr, a.wrongSeal(v.Members[r], pkt), true)
	}
}

// watchGuard reports every datagram its guard accepts.
type watchGuard struct {
	stack.Guard
	accepted func(pkt []byte)
}

func (w watchGuard) Open(pkt []byte) ([]byte, stack.Endpoint, error) {
	inner, from, err := w.Guard.Open(pkt)
	if err == nil {
		w.accepted(pkt)
	}
	return inner, from, err
}
