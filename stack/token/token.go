package token

import (
	"slices"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Header kinds. Casts carry kindOrdered or kindUnordered; point-to-point
// messages and the control messages of the layers above carry kindPass;
// the layer's own control messages carry the others.
const (
	kindPass      = 0 // ESend or ECtrl of a layer above: not ordered
	kindOrdered   = 1 // a cast stamped by the token holder: its global number
	kindUnordered = 2 // a cast sent without a number when the flush started
	kindToken     = 3 // ECtrl: the token offered (visit, next number, quiet visits, park place, per-member vectors)
	kindAck       = 4 // ECtrl: the token of this visit arrived; give it (repeated until committed)
	kindCommit    = 5 // ECtrl: the giver let the token of this visit go: use it
	kindRequest   = 6 // ECtrl: the sender wants the token (the last visit it held)

	annLayer = "Token" // annotations go under stack.MemberKey(annLayer, id)

	annHolding = 1 // annotation flag: this member holds the token

	// A visit stamps at most maxVisitCasts casts and maxVisitBytes bytes
	// (but always at least one cast), so a busy member cannot starve others.
	maxVisitCasts = 512
	maxVisitBytes = 512 << 10
)

// Protocol is the rotating-token total order.
type Protocol struct{}

// Name returns "Token".
func (Protocol) Name() string { return "Token" }

// NewLayer returns the layer for a view. The token starts at rank 0,
// parked (nothing has changed yet).
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	n := env.View.N()
	l := &layer{
		env:       env,
		n:         n,
		me:        env.View.Rank,
		deliver:   1,
		byG:       make(map[uint64]numbered),
		unordered: make([][]*wire.Msg, n),
		requests:  make([]uint64, n),
		emitted:   make([]uint64, n),
		seen:      1,
		counted:   true,
		tok: token{
			visit: 1, next: 1, quiet: uint64(n), park: 0,
			stable: make([]uint64, n), visitOf: make([]uint64, n),
		},
		lastToken: env.Now(),
	}
	l.tok.visitOf[0] = 1
	if l.me == 0 {
		l.holding = true
		l.heldAt = 1
	}
	return l
}

// token is the token's content. A member keeps a copy of the last token
// it saw; it is the token itself while the member holds it.
type token struct {
	visit   uint64   // incremented by every pass
	next    uint64   // next global number to stamp
	quiet   uint64   // visits in a row that changed nothing
	park    int      // the member that stamped last: where the token parks
	stable  []uint64 // per member: ordered casts delivered, as it last reported
	visitOf []uint64 // per member: the last visit at which it held the token
}

// numbered is a stamped cast waiting for its turn.
type numbered struct {
	sender int
	msg    *wire.Msg
}

// passed is the last token this member gave away.
type passed struct {
	visit uint64
	to    int
	body  []byte
	sent  time.Time
	acked bool // the receiver has it and was told to use it
}

// offer is a token received and not yet committed by its giver.
type offer struct {
	tok     token
	from    int
	lastAck time.Time
}

type layer struct {
	env   *stack.Env
	n, me int

	// Delivery.
	deliver   uint64              // next global number to deliver
	byG       map[uint64]numbered // stamped casts received, not yet delivered
	unordered [][]*wire.Msg       // per sender, casts sent unordered at the flush

	// This member's casts waiting for the token.
	pending []*wire.Msg

	// The token.
	tok          token     // the token (holding) or the last one seen
	seen         uint64    // highest visit received
	holding      bool      // this member holds tok
	heldAt       uint64    // the last visit this member held
	counted      bool      // tok.quiet already accounts for this visit
	stamped      int       // casts stamped in this visit
	stampedBytes int       // their bytes
	out          *passed   // the last token given away
	offered      *offer    // a token received, waiting for its giver's commit
	lastStamp    time.Time // when this member last stamped a cast
	lastToken    time.Time // when the token last arrived (or the view began)
	lastReq      time.Time // when this member last asked for the token
	requested    bool      // asked since the token last left
	requests     []uint64  // per member: 1 + the last visit it held when it asked; 0 = no request

	emitted []uint64 // the stability vector last passed up
	blocked bool     // the flush started: no more ordering in this view
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		if l.blocked {
			// The engine sends no casts after EBlock; one that comes anyway
			// could not be part of the flush's cut, so it is never delivered.
			l.env.Metrics.Drop("token-cast-after-block")
			l.env.PassUp(&stack.Event{Type: stack.EAbort, Peer: l.me, Msg: ev.Msg})
			return
		}
		l.pending = append(l.pending, ev.Msg)
		if l.holding {
			l.stamp(false)
		}
	case stack.ESend, stack.ECtrl:
		ev.Msg.PushByte(kindPass)
		l.env.PassDown(ev)
	default:
		l.env.PassDown(ev)
	}
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		l.castUp(ev)
	case stack.ESend:
		if k, err := ev.Msg.PopByte(); err != nil || k != kindPass {
			l.env.Metrics.Drop("token-malformed")
			return
		}
		l.env.PassUp(ev)
	case stack.ECtrl:
		l.ctrlUp(ev)
	case stack.EBlock:
		l.block()
		l.env.PassUp(ev)
	case stack.EAnnotate:
		l.annotate(ev)
		l.env.PassUp(ev)
	case stack.EViewEnd:
		l.endView(ev.Ann)
		l.env.PassUp(ev)
	default:
		l.env.PassUp(ev)
	}
}

// castUp files a cast from the network (or this member's own, looped back
// by Nak) and delivers what is in order.
func (l *layer) castUp(ev *stack.Event) {
	kind, err := ev.Msg.PopByte()
	if err != nil {
		l.env.Metrics.Drop("token-malformed")
		return
	}
	switch kind {
	case kindOrdered:
		r := ev.Msg.Reader()
		g := r.Uvarint()
		if r.Err() != nil || g == 0 || ev.Msg.Skip(r.Consumed()) != nil {
			l.env.Metrics.Drop("token-malformed")
			return
		}
		if _, dup := l.byG[g]; dup || g < l.deliver {
			l.env.Metrics.Drop("token-duplicate-number")
			return
		}
		l.byG[g] = numbered{ev.Peer, ev.Msg}
		l.deliverReady()
	case kindUnordered:
		l.unordered[ev.Peer] = append(l.unordered[ev.Peer], ev.Msg)
	default:
		l.env.Metrics.Drop("token-malformed")
	}
}

// deliverReady delivers the stamped casts that are next in number order.
func (l *layer) deliverReady() {
	for {
		c, ok := l.byG[l.deliver]
		if !ok {
			return
		}
		delete(l.byG, l.deliver)
		l.deliver++
		l.env.PassUp(&stack.Event{Type: stack.ECast, Peer: c.sender, Msg: c.msg})
	}
}

func (l *layer) ctrlUp(ev *stack.Event) {
	kind, err := ev.Msg.PopByte()
	if err != nil {
		l.env.Metrics.Drop("token-malformed")
		return
	}
	if kind == kindPass {
		l.env.PassUp(ev)
		return
	}
	r := ev.Msg.Reader()
	switch kind {
	case kindToken:
		t, ok := decodeToken(r, l.n)
		if !ok {
			l.env.Metrics.Drop("token-malformed")
			return
		}
		l.tokenUp(ev.Peer, t)
	case kindAck, kindCommit:
		visit := r.Uvarint()
		if r.Err() != nil {
			l.env.Metrics.Drop("token-malformed")
			return
		}
		if kind == kindAck {
			l.ackUp(ev.Peer, visit)
		} else {
			l.commitUp(ev.Peer, visit)
		}
	case kindRequest:
		heldAt := r.Uvarint()
		if r.Err() != nil || heldAt >= 1<<62 {
			l.env.Metrics.Drop("token-malformed")
			return
		}
		if heldAt+1 > l.requests[ev.Peer] {
			l.requests[ev.Peer] = heldAt + 1
		}
	default:
		l.env.Metrics.Drop("token-malformed")
	}
}

// tokenUp receives a token offered by a peer: acknowledge it and, if it is
// newer than any seen, keep it until the giver commits it.
func (l *layer) tokenUp(from int, t token) {
	l.ctrl(from, visitBody(kindAck, t.visit))
	if t.visit <= l.seen {
		l.env.Metrics.Drop("token-stale")
		return
	}
	l.seen = t.visit
	l.offered = &offer{tok: t, from: from, lastAck: l.env.Now()}
}

// ackUp: the member this one gave the token to has it. Unless the flush has
// started here (then this member keeps the right to the token and reports
// it), tell the receiver to use it; repeated acknowledgements get the
// commit again.
func (l *layer) ackUp(from int, visit uint64) {
	o := l.out
	if o == nil || o.visit != visit || o.to != from {
		return
	}
	if !o.acked {
		if l.blocked {
			return
		}
		o.acked = true
	}
	l.ctrl(from, visitBody(kindCommit, visit))
}

// commitUp: the giver let the offered token go; it is this member's now.
func (l *layer) commitUp(from int, visit uint64) {
	o := l.offered
	if o == nil || o.tok.visit != visit || o.from != from {
		return
	}
	l.offered = nil
	t := o.tok
	for i, s := range l.tok.stable {
		t.stable[i] = max(t.stable[i], s)
	}
	l.tok = t
	l.tok.visitOf[l.me] = t.visit
	l.heldAt = t.visit
	l.holding = true
	l.counted = false
	l.stamped, l.stampedBytes = 0, 0
	l.requested = false
	l.lastToken = l.env.Now()
	l.emitStable()
	if !l.blocked {
		l.stamp(false)
	}
}

// stamp numbers the waiting casts and sends them: within the visit's bound,
// or all of them when the view is ending.
func (l *layer) stamp(all bool) {
	for len(l.pending) > 0 {
		m := l.pending[0]
		if !all && l.stamped > 0 && (l.stamped >= maxVisitCasts || l.stampedBytes+m.Len() > maxVisitBytes) {
			return
		}
		l.pending[0] = nil
		l.pending = l.pending[1:]
		g := l.tok.next
		l.tok.next++
		l.tok.park = l.me
		l.lastStamp = l.env.Now()
		l.stamped++
		l.stampedBytes += m.Len()
		var w wire.Writer
		w.Byte(kindOrdered)
		w.Uvarint(g)
		m.Push(w.B)
		l.env.PassDown(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: m})
	}
	l.pending = nil
}

// Idle ends a visit: the token moves on, or parks, once the stack has no
// more input (so casts arriving in one burst are stamped in one visit). A
// member without the token asks for it if it needs it.
func (l *layer) Idle() {
	l.release()
	l.maybeRequest(false)
}

// release decides what the holder does with the token: hand it to a member
// that asked for it; keep it while this member is casting (it lingers, so
// a lone sender orders its casts at once); otherwise pass it to the next
// rank while things change, and park it at the last stamper once it has
// gone round without a change.
func (l *layer) release() {
	if !l.holding || l.blocked {
		return
	}
	changed := l.stamped > 0
	if d := l.deliver - 1; d > l.tok.stable[l.me] {
		l.tok.stable[l.me] = d
		changed = true
		l.emitStable()
	}
	switch {
	case changed:
		l.tok.quiet = 0
		l.counted = true
	case !l.counted:
		l.tok.quiet++
		l.counted = true
	}
	l.stamped, l.stampedBytes = 0, 0
	if r := l.outstanding(); r >= 0 {
		l.requests[r] = 0
		l.pass(r)
		return
	}
	if len(l.pending) > 0 {
		l.stamp(false) // nobody else is waiting: another visit's worth
		return
	}
	if l.lingering() {
		return
	}
	if l.tok.quiet < uint64(l.n-1) || l.tok.park != l.me {
		l.pass((l.me + 1) % l.n)
	}
	// Otherwise the token stays parked here.
}

// lingering reports whether this member stamped a cast less than a
// retransmission interval ago: it keeps the token unless someone asks.
func (l *layer) lingering() bool {
	return l.env.Now().Sub(l.lastStamp) < l.env.Config.Retransmit
}

// outstanding returns the first member after this one (in rank order) that
// asked for the token and has not held it since, or -1.
func (l *layer) outstanding() int {
	for k := 1; k < l.n; k++ {
		r := (l.me + k) % l.n
		q := l.requests[r]
		if q == 0 {
			continue
		}
		heldAt := q - 1
		if l.tok.visitOf[r] <= heldAt && heldAt < l.tok.visit {
			return r
		}
		l.requests[r] = 0 // served since, or impossible
	}
	return -1
}

// pass offers the token to member to, repeating the offer until it is
// acknowledged.
func (l *layer) pass(to int) {
	l.tok.visit++
	l.seen = l.tok.visit
	l.holding = false
	body := encodeToken(&l.tok)
	l.out = &passed{visit: l.tok.visit, to: to, body: body, sent: l.env.Now()}
	l.ctrl(to, body)
	l.requested = false
}

// wants reports whether this member needs the token: casts wait, or it
// delivered casts its stability entry does not count yet.
func (l *layer) wants() bool {
	return len(l.pending) > 0 || l.deliver-1 > l.tok.stable[l.me]
}

// maybeRequest asks every member for the token (this member cannot know
// where it is; whoever holds it will hand it over). From Idle, once per
// wait, for casts waiting; from Tick, for any want, when the token has not
// come for a retransmission interval, and again every interval.
func (l *layer) maybeRequest(tick bool) {
	if l.holding || l.offered != nil || l.blocked || l.n == 1 || !l.wants() {
		return
	}
	now := l.env.Now()
	if tick {
		rt := l.env.Config.Retransmit
		if now.Sub(l.lastToken) < rt || now.Sub(l.lastReq) < rt {
			return
		}
	} else if len(l.pending) == 0 || l.requested {
		return
	}
	l.requested = true
	l.lastReq = now
	var w wire.Writer
	w.Byte(kindRequest)
	w.Uvarint(l.heldAt)
	l.ctrl(stack.AllPeers, w.B)
}

func (l *layer) Tick(now time.Time) {
	rt := l.env.Config.Retransmit
	if o := l.out; o != nil && !o.acked && now.Sub(o.sent) >= rt {
		o.sent = now
		l.ctrl(o.to, o.body)
	}
	if o := l.offered; o != nil && now.Sub(o.lastAck) >= rt {
		o.lastAck = now
		l.ctrl(o.from, visitBody(kindAck, o.tok.visit))
	}
	l.maybeRequest(true)
}

// emitStable passes the stability vector up when it has advanced.
func (l *layer) emitStable() {
	adv := false
	for i, s := range l.tok.stable {
		if s > l.emitted[i] {
			l.emitted[i] = s
			adv = true
		}
	}
	if adv {
		l.env.PassUp(&stack.Event{Type: stack.EStable, Control: &stack.Control{Vector: append([]uint64(nil), l.emitted...)}})
	}
}

// block starts the end of the view: order nothing more, and get every
// waiting cast to the survivors — stamped if this member holds the token,
// unordered otherwise.
func (l *layer) block() {
	if l.blocked {
		return
	}
	if l.holding {
		l.stamp(true)
	} else {
		for _, m := range l.pending {
			m.PushByte(kindUnordered)
			l.env.PassDown(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: m})
		}
		l.pending = nil
	}
	l.blocked = true
	// An offered token makes this member the holder only if the commit
	// arrives before this member's annotation: hurry it.
	if o := l.offered; o != nil {
		o.lastAck = l.env.Now()
		l.ctrl(o.from, visitBody(kindAck, o.tok.visit))
	}
}

// annotation is what a member reports of the token in a flush. The owner
// adds its final order: how many of each member's unordered casts it
// holds, which its component delivers, by rank, after the numbered casts.
type annotation struct {
	holding bool     // this member owns the token
	visit   uint64   // the highest visit this member has seen
	next    uint64   // the token's next number, as this member knows it
	deliv   uint64   // ordered casts this member has delivered
	counts  []uint64 // owner: unordered casts held, per member
}

func (a annotation) encode() []byte {
	var w wire.Writer
	var flags byte
	if a.holding {
		flags |= annHolding
	}
	w.Byte(flags)
	w.Uvarint(a.visit)
	w.Uvarint(a.next)
	w.Uvarint(a.deliv)
	if a.holding {
		w.Uvarint(uint64(len(a.counts)))
		for _, c := range a.counts {
			w.Uvarint(c)
		}
	}
	return w.B
}

// decodeAnnotation decodes a member's annotation in a view of n members.
func decodeAnnotation(b []byte, n int) (annotation, bool) {
	r := wire.NewReader(b)
	flags := r.Byte()
	a := annotation{holding: flags&annHolding != 0, visit: r.Uvarint(), next: r.Uvarint(), deliv: r.Uvarint()}
	if a.holding {
		k := r.Count(n, 1)
		if r.Err() == nil && k != n {
			return annotation{}, false
		}
		a.counts = make([]uint64, k)
		for i := range a.counts {
			a.counts[i] = r.Uvarint()
		}
	}
	if r.Err() != nil || r.Remaining() != 0 || flags&^annHolding != 0 || a.next == 0 {
		return annotation{}, false
	}
	return a, true
}

// annotate reports this member's token state to the flush and, at the
// owner, the final order and how many casts the view's end will deliver.
func (l *layer) annotate(ev *stack.Event) {
	a := annotation{holding: l.owns(), visit: l.seen, next: l.tok.next, deliv: l.deliver - 1}
	if a.holding {
		a.counts = make([]uint64, l.n)
		for s, ms := range l.unordered {
			a.counts[s] = uint64(len(ms))
		}
		if l.canExtend(a.next) {
			for _, c := range a.counts {
				ev.EndCasts += c
			}
		}
	}
	ev.Ann[stack.MemberKey(annLayer, l.env.View.MemberID(l.me))] = a.encode()
}

// owns reports whether this member has the right to the token: it holds
// it, or gave it away and the receiver has not acknowledged it (then the
// receiver may not use it, and once the flush has started here, never
// will). At most one member owns the token at any time, and a member
// that owns it when its flush starts owns it until the view ends.
func (l *layer) owns() bool {
	return l.holding || (l.out != nil && !l.out.acked)
}

// canExtend reports whether this member has delivered every number below
// next and holds no other: the component of the token's owner may then
// append the unordered casts.
func (l *layer) canExtend(next uint64) bool {
	return l.deliver == next && len(l.byG) == 0
}

// owner returns the annotation of the one survivor of the flush that owns
// the token.
func (l *layer) owner(ann stack.Annotations) (annotation, bool) {
	var own annotation
	found := 0
	for r := 0; r < l.n; r++ {
		b, ok := ann[stack.MemberKey(annLayer, l.env.View.MemberID(r))]
		if !ok {
			continue
		}
		a, ok := decodeAnnotation(b, l.n)
		if !ok {
			l.env.Metrics.Drop("token-malformed")
			continue
		}
		if a.holding {
			found++
			own = a
		}
	}
	if found > 1 {
		l.env.Metrics.Drop("token-two-owners")
	}
	return own, found == 1
}

// endView delivers what the view's end allows and aborts the rest. With
// Sync every survivor holds the casts the owner holds, so all deliver its
// final order; a member that lacks a number below the owner's next, or one
// of the casts of the final order, stops there (its deliveries are still
// a prefix of the owner's).
func (l *layer) endView(ann stack.Annotations) {
	l.deliverReady()
	if own, ok := l.owner(ann); ok && l.canExtend(own.next) {
		for s := 0; s < l.n; s++ {
			ms := l.unordered[s]
			k := min(uint64(len(ms)), own.counts[s])
			for _, m := range ms[:k] {
				l.deliver++
				l.env.PassUp(&stack.Event{Type: stack.ECast, Peer: s, Msg: m})
			}
			l.unordered[s] = ms[k:]
			if k < own.counts[s] {
				break
			}
		}
	}
	gs := make([]uint64, 0, len(l.byG))
	for g := range l.byG {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	for _, g := range gs {
		c := l.byG[g]
		l.env.PassUp(&stack.Event{Type: stack.EAbort, Peer: c.sender, Msg: c.msg})
	}
	l.byG = map[uint64]numbered{}
	for s, ms := range l.unordered {
		for _, m := range ms {
			l.env.PassUp(&stack.Event{Type: stack.EAbort, Peer: s, Msg: m})
		}
		l.unordered[s] = nil
	}
	for _, m := range l.pending {
		l.env.PassUp(&stack.Event{Type: stack.EAbort, Peer: l.me, Msg: m})
	}
	l.pending = nil
	l.blocked = true
}

func (l *layer) ctrl(to int, body []byte) {
	m := wire.NewMsg(nil)
	m.Push(body)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: to, Msg: m})
}

func visitBody(kind byte, visit uint64) []byte {
	var w wire.Writer
	w.Byte(kind)
	w.Uvarint(visit)
	return w.B
}

func encodeToken(t *token) []byte {
	var w wire.Writer
	w.Byte(kindToken)
	w.Uvarint(t.visit)
	w.Uvarint(t.next)
	w.Uvarint(t.quiet)
	w.Uvarint(uint64(t.park))
	w.Uvarint(uint64(len(t.stable)))
	for i := range t.stable {
		w.Uvarint(t.stable[i])
		w.Uvarint(t.visitOf[i])
	}
	return w.B
}

// decodeToken decodes a token of a view of n members, checking that it is
// consistent: a passed token (visit 2 on), no member having delivered or
// held beyond what the token says exists.
func decodeToken(r *wire.Reader, n int) (token, bool) {
	t := token{visit: r.Uvarint(), next: r.Uvarint(), quiet: r.Uvarint()}
	t.park = r.Int(n - 1)
	k := r.Count(n, 2)
	if r.Err() != nil || k != n || t.visit < 2 || t.next == 0 {
		return token{}, false
	}
	t.stable = make([]uint64, n)
	t.visitOf = make([]uint64, n)
	for i := 0; i < n; i++ {
		t.stable[i] = r.Uvarint()
		t.visitOf[i] = r.Uvarint()
		if t.stable[i] >= t.next || t.visitOf[i] >= t.visit {
			return token{}, false
		}
	}
	if r.Err() != nil || r.Remaining() != 0 {
		return token{}, false
	}
	return t, true
}
