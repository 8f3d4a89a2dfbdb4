package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/maestro-go/maestro/stack"
)

// A sealed datagram:
//
//	'M' 'A' version mode keyID(4) inc(8) seq(8) addrLen(1) addr  body  tag
//
// Both modes use AES-256-GCM under a key of the sender's incarnation
// (senderAEAD), with the sender's datagram counter as nonce, and end in
// GCM's 16-byte tag. modeAuth: body is the plain datagram, and the tag
// authenticates everything before it (GMAC: GCM with all of it as
// additional data and nothing to encrypt). modePrivacy: body is the
// datagram encrypted, and everything before body is authenticated as
// additional data. keyID names the group key (Key.String); inc and addr
// are the sender's incarnation and address, seq its datagram counter
// (from 1, one per datagram, never reused within an incarnation). A
// datagram sent to one member has flagUnicast in its mode byte and is
// bound to its recipient's address without carrying it: with Auth the
// sender's key for that recipient seals it, with Privacy the address is
// appended to the additional data. It opens only at that member, so it
// cannot be replayed to another.
//
// Version 1 authenticated with HMAC-SHA-256; GMAC costs a fraction of it
// per byte (AES and carry-less multiplication are in hardware on amd64 and
// arm64), which is what keeps Auth's cost within 15% of an unsealed group.
const (
	version     = 2
	modeAuth    = 1
	modePrivacy = 2
	flagUnicast = 0x80

	fixedLen   = 25 // magic, version, mode, keyID, inc, seq, addrLen
	tagLen     = 16 // GCM's
	maxAddrLen = 255
)

// Window is the replay window: how many of a sender's most recent
// datagram sequence numbers are remembered. A datagram more than Window
// behind the newest one heard from its sender is rejected as a replay
// (reordering that deep is recovered by retransmission).
const Window = 4096

// maxPeers bounds the senders whose replay state is kept; beyond it the
// one heard from least recently is forgotten. Only authenticated senders
// (holders of the key) create state.
const maxPeers = 4096

// Options configure a Guard.
type Options struct {
	// Me is the member the guard seals for: its address and incarnation
	// are in every datagram it seals. Incarnations of one address must
	// grow from one start to the next (stack.Start takes the start time in
	// nanoseconds): receivers reject datagrams of an incarnation older
	// than one they have heard from the same address.
	Me stack.Endpoint
	// Keys is the key ring.
	Keys Keys
	// Privacy encrypts every datagram (AES-256-GCM) besides
	// authenticating it; without it datagrams are authenticated (GMAC)
	// and travel in the clear. Every member of a group must agree: a
	// datagram sealed in the other mode is rejected.
	Privacy bool
}

// Guard implements stack.Guard: it seals this member's datagrams and
// opens the others'. Like a layer it is driven by one goroutine, except
// SetKeys, which may be called from any goroutine.
type Guard struct {
	me      stack.Endpoint
	mode    byte
	ring    atomic.Pointer[ring]
	seq     uint64
	header  []byte // fixed part of this member's header, seq zero
	peers   map[string]*peer
	clock   uint64 // counts Opens, for least-recently-heard eviction
	ownAddr string
}

var _ stack.Guard = (*Guard)(nil)

// ring is an immutable key ring, with what each key derives.
type ring struct {
	seal   *keyState
	accept []*keyState // seal first
}

// keyState is one key and what is derived from it. The sender's AEADs
// are used only by the goroutine driving the guard.
type keyState struct {
	id    [4]byte
	key   Key
	own   cipher.AEAD            // this member's, for several recipients
	ownTo map[string]cipher.AEAD // Auth: this member's, for one recipient
	ctl   []byte                 // the key of control tags (control.go)
}

// peer is what is remembered of one sender address.
type peer struct {
	inc     uint64
	max     uint64 // newest sequence number accepted
	bits    [Window / 64]uint64
	aeads   map[aeadKey]cipher.AEAD // the sender's, for inc
	touched uint64
}

// aeadKey names one of a sender's AEADs: per group key, and (Auth) for
// datagrams to several members or to this one.
type aeadKey struct {
	id      [4]byte
	unicast bool
}

// New returns a guard for opts.Me.
func New(opts Options) (*Guard, error) {
	if len(opts.Me.Addr) > maxAddrLen {
		return nil, fmt.Errorf("auth: address %q longer than %d bytes", opts.Me.Addr, maxAddrLen)
	}
	g := &Guard{me: opts.Me, mode: modeAuth, peers: map[string]*peer{}, ownAddr: opts.Me.Addr}
	if opts.Privacy {
		g.mode = modePrivacy
	}
	if err := g.SetKeys(opts.Keys); err != nil {
		return nil, err
	}
	h := make([]byte, fixedLen, fixedLen+len(opts.Me.Addr))
	h[0], h[1], h[2], h[3] = stack.SealedMagic[0], stack.SealedMagic[1], version, g.mode
	binary.BigEndian.PutUint64(h[8:], opts.Me.Inc)
	h[24] = byte(len(opts.Me.Addr))
	g.header = append(h, opts.Me.Addr...)
	// Datagrams of this address's earlier incarnations (replays of what a
	// previous life of this member sent) are stale here too.
	g.peers[opts.Me.Addr] = &peer{inc: opts.Me.Inc}
	return g, nil
}

// SetKeys replaces the key ring: from now on datagrams are sealed with
// k.Seal and accepted if sealed with k.Seal or any of k.Accept. It is safe
// to call from any goroutine while the guard is in use (the stack's
// SetKeys does it); Keys documents the three steps of a key roll.
func (g *Guard) SetKeys(k Keys) error {
	var zero Key
	if k.Seal == zero {
		return fmt.Errorf("auth: %w: the sealing key is all zeros", ErrBadKey)
	}
	r := &ring{seal: g.derive(k.Seal)}
	r.accept = append(r.accept, r.seal)
	for _, a := range k.Accept {
		if a == zero {
			return fmt.Errorf("auth: %w: an accepted key is all zeros", ErrBadKey)
		}
		if a != k.Seal {
			r.accept = append(r.accept, g.derive(a))
		}
	}
	g.ring.Store(r)
	return nil
}

func (g *Guard) derive(k Key) *keyState {
	return &keyState{id: k.id(), key: k, own: g.senderAEAD(k, g.me.Addr, g.me.Inc, ""), ownTo: map[string]cipher.AEAD{}, ctl: controlKey(k, g.mode)}
}

// senderAEAD returns the AES-256-GCM instance of one sender incarnation
// (and, with Auth, of its datagrams to one recipient, to): its key is
// HMAC-SHA-256(group key, label ‖ addr ‖ inc ‖ to), lengths included, so
// that the nonces (the sender's datagram counter) of two senders, of two
// incarnations of one, or of one's datagrams to two recipients never meet
// under one AES key, and a datagram sealed for one recipient opens at no
// other.
func (g *Guard) senderAEAD(k Key, addr string, inc uint64, to string) cipher.AEAD {
	label := "maestro auth v2\x00"
	if g.mode == modePrivacy {
		label = "maestro privacy v2\x00"
	}
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(label))
	m.Write([]byte{byte(len(addr))})
	m.Write([]byte(addr))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], inc)
	m.Write(b[:])
	m.Write([]byte{byte(len(to))})
	m.Write([]byte(to))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return a
}

// Overhead returns how many bytes Seal adds.
func (g *Guard) Overhead() int { return len(g.header) + tagLen }

// maxOwnTo bounds the per-recipient AEADs a sender keeps (Auth).
const maxOwnTo = 1024

// Seal protects one datagram for the member at address to (or, to empty,
// for several): authenticated (Auth) or encrypted (Privacy). Every call
// takes the next sequence number.
func (g *Guard) Seal(pkt []byte, to string) []byte {
	r := g.ring.Load()
	ks := r.seal
	g.seq++
	out := make([]byte, len(g.header), g.Overhead()+len(pkt))
	copy(out, g.header)
	copy(out[4:8], ks.id[:])
	binary.BigEndian.PutUint64(out[16:], g.seq)
	if to != "" {
		out[3] |= flagUnicast
	}
	if g.mode == modePrivacy {
		return ks.own.Seal(out, nonce(g.seq), pkt, aad(out, to))
	}
	a := ks.own
	if to != "" {
		if a = ks.ownTo[to]; a == nil {
			if len(ks.ownTo) >= maxOwnTo {
				clear(ks.ownTo)
			}
			a = g.senderAEAD(ks.key, g.me.Addr, g.me.Inc, to)
			ks.ownTo[to] = a
		}
	}
	out = append(out, pkt...)
	var tag [tagLen]byte
	return append(out, a.Seal(tag[:0], nonce(g.seq), nil, out)...)
}

// aad is GCM's additional data with Privacy: the header, and the
// recipient's address for a datagram sealed for one member.
func aad(header []byte, to string) []byte {
	if to == "" {
		return header
	}
	return append(header[:len(header):len(header)], to...)
}

// nonce is GCM's 12-byte nonce for a sequence number: 4 zero bytes and
// the counter. Under one sender key (one address and incarnation) the
// counter never repeats.
func nonce(seq uint64) []byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[4:], seq)
	return n[:]
}

// Open verifies a datagram: the magic and mode, a key of the ring, the
// tag, then the sender's incarnation and the replay window (see the
// package documentation for the rule). Only a datagram that passes every
// check changes the guard's state.
func (g *Guard) Open(pkt []byte) ([]byte, stack.Endpoint, error) {
	var from stack.Endpoint
	if len(pkt) < fixedLen || pkt[0] != stack.SealedMagic[0] || pkt[1] != stack.SealedMagic[1] {
		return nil, from, fmt.Errorf("not sealed: %w", stack.ErrAuth)
	}
	if pkt[2] != version {
		return nil, from, fmt.Errorf("sealed datagram version %d: %w", pkt[2], stack.ErrAuth)
	}
	if pkt[3]&^flagUnicast != g.mode {
		return nil, from, fmt.Errorf("sealed in mode %d, this member uses %d (Auth and Privacy members mixed): %w", pkt[3]&^flagUnicast, g.mode, stack.ErrAuth)
	}
	to := ""
	if pkt[3]&flagUnicast != 0 {
		to = g.me.Addr // sealed for one member: for this one, or it fails
	}
	n := int(pkt[24])
	hlen := fixedLen + n
	if len(pkt) < hlen+tagLen {
		return nil, from, fmt.Errorf("sealed datagram of %d bytes: %w", len(pkt), stack.ErrAuth)
	}
	var id [4]byte
	copy(id[:], pkt[4:8])
	var ks *keyState
	for _, k := range g.ring.Load().accept {
		if k.id == id {
			ks = k
			break
		}
	}
	if ks == nil {
		return nil, from, fmt.Errorf("sealed with unknown key %x: %w", id, stack.ErrAuth)
	}
	from.Inc = binary.BigEndian.Uint64(pkt[8:])
	seq := binary.BigEndian.Uint64(pkt[16:])
	addr := pkt[fixedLen:hlen]
	if from.Inc == g.me.Inc && string(addr) == g.me.Addr {
		return nil, from, fmt.Errorf("this member's own datagram, reflected: %w", stack.ErrReplay)
	}
	p := g.peers[string(addr)]
	// Cheap checks before the cryptography; state changes only after it.
	if p != nil {
		if err := p.check(from.Inc, seq); err != nil {
			return nil, from, err
		}
	}
	ak := aeadKey{id: id, unicast: g.mode == modeAuth && to != ""}
	var a cipher.AEAD
	if p != nil && p.inc == from.Inc {
		a = p.aeads[ak]
	}
	if a == nil {
		boundTo := "" // the recipient the sender's key is bound to (Auth)
		if ak.unicast {
			boundTo = to
		}
		a = g.senderAEAD(ks.key, string(addr), from.Inc, boundTo)
	}
	var inner []byte
	if g.mode == modePrivacy {
		var err error
		inner, err = a.Open(nil, nonce(seq), pkt[hlen:], aad(pkt[:hlen], to))
		if err != nil {
			return nil, from, fmt.Errorf("decryption: %w", stack.ErrAuth)
		}
	} else {
		end := len(pkt) - tagLen
		if _, err := a.Open(nil, nonce(seq), pkt[end:], pkt[:end]); err != nil {
			return nil, from, fmt.Errorf("bad tag: %w", stack.ErrAuth)
		}
		inner = pkt[hlen:end]
	}
	from.Addr = string(addr)
	if p == nil {
		p = g.addPeer(from.Addr)
		p.inc = from.Inc
		p.max = 0
	}
	g.clock++
	p.touched = g.clock
	p.accept(from.Inc, seq)
	if p.aeads == nil {
		p.aeads = map[aeadKey]cipher.AEAD{}
	}
	p.aeads[ak] = a
	return inner, from, nil
}

// addPeer makes room for and returns fresh state for addr.
func (g *Guard) addPeer(addr string) *peer {
	if len(g.peers) >= maxPeers {
		var victim string
		oldest := ^uint64(0)
		for a, p := range g.peers {
			if a != g.ownAddr && (p.touched < oldest || p.touched == oldest && a < victim) {
				victim, oldest = a, p.touched
			}
		}
		delete(g.peers, victim)
	}
	p := &peer{}
	g.peers[addr] = p
	return p
}

// check applies the incarnation rule and the replay window without
// changing anything.
func (p *peer) check(inc, seq uint64) error {
	switch {
	case seq == 0:
		return fmt.Errorf("sequence number 0: %w", stack.ErrAuth)
	case inc < p.inc:
		return fmt.Errorf("incarnation %x, already heard %x: %w", inc, p.inc, stack.ErrStaleIncarnation)
	case inc > p.inc:
		return nil // a later incarnation: a restart
	case seq > p.max:
		return nil
	case p.max-seq >= Window:
		return fmt.Errorf("sequence number %d, %d behind the newest: %w", seq, p.max-seq, stack.ErrReplay)
	case p.bits[(seq%Window)/64]&(1<<(seq%64)) != 0:
		return fmt.Errorf("sequence number %d seen before: %w", seq, stack.ErrReplay)
	}
	return nil
}

// accept records an authenticated datagram that passed check.
func (p *peer) accept(inc, seq uint64) {
	if inc > p.inc {
		p.inc, p.max, p.bits, p.aeads = inc, 0, [Window / 64]uint64{}, nil
	}
	if seq > p.max {
		if seq-p.max >= Window {
			p.bits = [Window / 64]uint64{}
		} else {
			for s := p.max + 1; s < seq; s++ {
				p.bits[(s%Window)/64] &^= 1 << (s % 64)
			}
		}
		p.max = seq
	}
	p.bits[(seq%Window)/64] |= 1 << (seq % 64)
}

// Inspect shows what anyone on the path sees of a sealed datagram,
// without the key: the sender's address and incarnation, its sequence
// number, whether it is encrypted, and — with Auth alone — the datagram's
// content (nil with Privacy). ok is false if pkt is not a sealed datagram.
// Tests use it to play the attacker.
func Inspect(pkt []byte) (from stack.Endpoint, seq uint64, encrypted bool, content []byte, ok bool) {
	if len(pkt) < fixedLen || pkt[0] != stack.SealedMagic[0] || pkt[1] != stack.SealedMagic[1] || pkt[2] != version {
		return from, 0, false, nil, false
	}
	hlen := fixedLen + int(pkt[24])
	encrypted = pkt[3]&^flagUnicast == modePrivacy
	if len(pkt) < hlen+tagLen {
		return from, 0, false, nil, false
	}
	from = stack.Endpoint{Addr: string(pkt[fixedLen:hlen]), Inc: binary.BigEndian.Uint64(pkt[8:])}
	seq = binary.BigEndian.Uint64(pkt[16:])
	if !encrypted {
		content = pkt[hlen : len(pkt)-tagLen]
	}
	return from, seq, encrypted, content, true
}
