package stack

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/maestro-go/maestro/stack/wire"
)

// Sentinel errors of the downcalls.
var (
	// ErrClosed: the member has left the group or was never started.
	ErrClosed = errors.New("stack: closed")
	// ErrNotMember: the destination is not a member of the current view.
	ErrNotMember = errors.New("stack: not a member of the current view")
	// ErrTooLarge: the message exceeds Config.MaxMessage.
	ErrTooLarge = errors.New("stack: message too large")
	// ErrNotPrimary: the view is not primary (Primary property), so casts
	// may not be sent now.
	ErrNotPrimary = errors.New("stack: not in a primary view")
)

// Starter is implemented by layers that act as soon as their view is
// installed, after the application has been told of it and before any
// packet of the view is handled (the Safe layer delivers the messages a
// new primary view inherits; the Primary layer holds casts).
type Starter interface{ Start() }

// CoreOptions configure a Core.
type CoreOptions struct {
	Group     string     // group name; packets of other groups are dropped
	Me        Endpoint   // this member's identity
	Config    Config     // timing and sizes (zero fields take defaults)
	Protocols []Protocol // the layers, top first (see stack/props)
	Out       Outputs    // where packets and upcalls go
	Metrics   *Metrics   // counters; a fresh set if nil
	Log       *slog.Logger
	Seed      uint64 // seeds the layers' pseudo-random choices
	// Guard, if set, seals every datagram sent and opens every datagram
	// received (the Auth and Privacy properties, package stack/auth):
	// whatever it rejects is dropped and counted before any layer sees it.
	// Without it, plain datagrams are accepted, but a datagram claiming
	// rank r only from r's transport address.
	Guard Guard
	// ExternalConsume says the runtime reports with Consumed when the
	// application has processed a cast (for flow control). When false, a
	// cast counts as consumed as soon as it is handed to Out.Upcall.
	ExternalConsume bool
}

// maxRanks bounds the view size a packet may claim.
const maxRanks = 1 << 12

// maxStash and maxStashBytes bound the packets kept for views not
// installed yet; pastViews is how many recent views' packets are known to
// be stale and dropped at once.
const (
	maxStash      = 1024
	maxStashBytes = 4 << 20
	pastViews     = 16
)

// Core is the deterministic heart of a stack: the current view's layers,
// the packet envelope, packing, and the application's queue. It performs no
// I/O and reads no clock; it is driven by Start, Receive, Tick, Idle and the
// downcalls, all of which must be called from one goroutine. Calls made from
// inside an Outputs callback are queued and run as soon as the current event
// has been handled.
type Core struct {
	opt     CoreOptions
	cfg     Config
	gh      uint32
	log     *slog.Logger
	metrics *Metrics

	now time.Time
	rng uint64

	chain       *chain
	started     bool
	exited      bool
	blocked     bool
	flowBlocked bool
	castsHeld   bool // the view forbids casts (ECastHold): only sends go out
	leaving     bool

	queue      []appReq
	injected   uint64 // application messages taken from queue so far
	stash      []stashed
	scratch    [][]byte // receive's list of a datagram's messages, reused
	stashBytes int
	past       []uint64 // hashes of views this member has left
	deferred   []func()
	depth      int
	install    *Event

	consumed     []uint64
	consumedSent bool
	// consumedEv is the EConsumed event, reused: layers handle it at
	// once and keep nothing of it (flow copies the counts).
	consumedEv  Event
	consumedCtl Control

	info []byte // the application's info, carried into flushes

	warned map[string]bool // kinds of rejected datagrams already logged
}

// source is who a datagram came from: the transport's address, or, with a
// Guard, the authenticated sender (address and incarnation).
type source struct {
	addr   string
	inc    uint64
	authed bool
}

// stashed is a datagram (opened) of a view not installed yet.
type stashed struct {
	src source
	pkt []byte
}

type appReq struct {
	send    bool
	dest    Endpoint
	payload []byte
}

// NewCore builds a Core. It does nothing until Start.
func NewCore(opt CoreOptions) (*Core, error) {
	if opt.Group == "" {
		return nil, errors.New("stack: empty group name")
	}
	if opt.Out == nil {
		return nil, errors.New("stack: no Outputs")
	}
	if err := opt.Config.Validate(); err != nil {
		return nil, err
	}
	c := &Core{opt: opt, cfg: opt.Config.Defaults(), gh: groupHash(opt.Group), metrics: opt.Metrics, log: opt.Log}
	if c.metrics == nil {
		c.metrics = new(Metrics)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if opt.Guard != nil {
		// Sealed datagrams must stay within MaxPacket.
		c.cfg.MaxPacket -= opt.Guard.Overhead()
		c.cfg.MaxViewMsg = min(c.cfg.MaxViewMsg, c.cfg.MaxPacket-256)
	}
	c.rng = opt.Seed ^ 0x9e3779b97f4a7c15 ^ opt.Me.Inc
	fragments := false
	for _, p := range opt.Protocols {
		if f, ok := p.(Fragmenter); ok && f.Fragments() {
			fragments = true
		}
	}
	if limit := c.cfg.MaxPacket - unfragmentedOverhead; !fragments && c.cfg.MaxMessage > limit {
		c.cfg.MaxMessage = limit
	}
	return c, nil
}

// Me returns this member's endpoint.
func (c *Core) Me() Endpoint { return c.opt.Me }

// Config returns the effective configuration.
func (c *Core) Config() Config { return c.cfg }

// Metrics returns the stack's counters.
func (c *Core) Metrics() *Metrics { return c.metrics }

// View returns the installed view, or nil before Start and after exit.
func (c *Core) View() *View {
	if c.chain == nil {
		return nil
	}
	return c.chain.view
}

// Exited reports whether the member has left the group.
func (c *Core) Exited() bool { return c.exited }

// Backlog returns how many application messages wait for the stack to
// accept them (during a flush or while the flow-control window is closed).
func (c *Core) Backlog() int { return len(c.queue) }

// Injected returns how many application messages (casts and sends) the
// Core has taken from its queue and sent or dropped, since it started.
func (c *Core) Injected() uint64 { return c.injected }

func (c *Core) rand() uint64 {
	c.rng += 0x9e3779b97f4a7c15
	z := c.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// do runs f now, or after the event being handled if called re-entrantly,
// then performs any view installation f caused and runs queued calls.
func (c *Core) do(f func()) {
	if c.depth > 0 {
		c.deferred = append(c.deferred, f)
		return
	}
	c.depth++
	f()
	c.settle()
	c.depth--
}

// settle runs what the work at depth 1 deferred: a view to install, then
// deferred work, until none is left. The hot entry points (idle, enqueue)
// call it themselves instead of going through do, so that the closure do
// takes is only made when the work must be deferred.
func (c *Core) settle() {
	for c.install != nil || len(c.deferred) > 0 {
		if ev := c.install; ev != nil {
			c.install = nil
			c.installView(ev.View, ev.Bytes, ev.ViewAnn)
			continue
		}
		next := c.deferred[0]
		c.deferred = c.deferred[1:]
		next()
	}
}

// clock is the time layers see: that of the event being handled.
func (c *Core) clock() time.Time { return c.now }

func (c *Core) setNow(now time.Time) {
	if now.After(c.now) {
		c.now = now
	}
}

// Start installs the singleton view {me} (§2.2.2: a member joins into a
// view of its own and merges with the others as they discover each other).
func (c *Core) Start(now time.Time) {
	c.do(func() {
		if c.started {
			return
		}
		c.started = true
		c.setNow(now)
		me := c.opt.Me
		c.installView(newView(ViewID{Ltime: 0, Coord: me}, []Endpoint{me}, me), nil, nil)
	})
}

func (c *Core) installView(v *View, viewMsg []byte, viewAnn Annotations) {
	if c.exited {
		return
	}
	if v.Rank < 0 {
		c.log.Error("view without this member", "view", v.ID)
		return
	}
	if c.chain != nil {
		c.chain.flushPacks() // the last datagrams of the view ending
		c.past = append(c.past, c.chain.view.Hash)
		if len(c.past) > pastViews {
			c.past = c.past[1:]
		}
	}
	ch := newChain(c, v, viewMsg, viewAnn)
	c.chain = ch
	c.blocked = false
	c.flowBlocked = false
	c.castsHeld = false
	c.consumed = make([]uint64, v.N())
	c.consumedSent = false
	c.metrics.ViewsInstalled.Add(1)
	c.log.Debug("view installed", "view", v.ID, "members", v.N())
	c.opt.Out.Upcall(Upcall{Kind: UpView, View: v, Payload: viewMsg, Ann: viewAnn, ViewHash: v.Hash})
	for _, l := range ch.layers {
		if s, ok := l.(Starter); ok && c.chain == ch && c.install == nil {
			s.Start()
		}
	}
	if c.chain != ch || c.install != nil {
		return
	}
	if c.leaving {
		// The leave was not part of the flush that made this view: ask again.
		c.chain.down(-1, &Event{Type: ELeave})
		if c.chain == nil || c.install != nil {
			return
		}
	}
	stash := c.stash
	c.stash, c.stashBytes = nil, 0
	for _, st := range stash {
		c.receive(st.src, st.pkt)
	}
	c.drainQueue()
}

// Receive hands the Core a datagram from addr. The Core keeps pkt: the
// caller must not reuse it. The space behind it, up to cap(pkt), is the
// Core's too (the fragmenter may append a message's following fragments
// there): a caller that cannot give it away passes pkt[:len(pkt):len(pkt)].
func (c *Core) Receive(now time.Time, addr string, pkt []byte) {
	c.do(func() {
		c.setNow(now)
		c.metrics.PacketsReceived.Add(1)
		c.metrics.BytesReceived.Add(uint64(len(pkt)))
		if c.chain == nil {
			return
		}
		if src, inner, ok := c.open(addr, pkt); ok {
			c.receive(src, inner)
		}
	})
}

// open passes a datagram through the Guard, if any: it returns the
// datagram's content and who sent it, or counts and drops it.
func (c *Core) open(addr string, pkt []byte) (source, []byte, bool) {
	sealed := len(pkt) >= 2 && pkt[0] == SealedMagic[0] && pkt[1] == SealedMagic[1]
	g := c.opt.Guard
	if g == nil {
		if sealed {
			c.metrics.Drop("auth-needed")
			c.warnOnce("auth-needed", "dropping sealed datagrams: this group is keyed (Auth) and this member has no group key; give it the group's key file (-key-file, Options.KeyFile or MAESTRO_GROUP_KEY)", "from", addr)
			return source{}, nil, false
		}
		return source{addr: addr}, pkt, true
	}
	inner, from, err := g.Open(pkt)
	switch {
	case err == nil:
		return source{addr: from.Addr, inc: from.Inc, authed: true}, inner, true
	case errors.Is(err, ErrReplay):
		c.metrics.Drop("auth-replay")
	case errors.Is(err, ErrStaleIncarnation):
		c.metrics.Drop("auth-stale")
	case !sealed && len(pkt) >= 2 && pkt[0] == envMagic0 && pkt[1] == envMagic1:
		c.metrics.Drop("auth")
		c.warnOnce("auth-plain", "dropping unauthenticated datagrams: a member without the group key is sending to this keyed group", "from", addr)
	default:
		c.metrics.Drop("auth")
		c.warnOnce("auth", "dropping datagrams that fail authentication (sealed with another group key, or forged)", "from", addr, "err", err)
	}
	return source{}, nil, false
}

// warnOnce logs a rejected kind of datagram the first time it is seen;
// later ones are only counted in Metrics.
func (c *Core) warnOnce(kind, msg string, args ...any) {
	if c.warned[kind] {
		return
	}
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	c.warned[kind] = true
	c.log.Warn(msg+" (further ones are only counted in metrics)", args...)
}

func (c *Core) receive(src source, pkt []byte) {
	if c.chain == nil {
		return
	}
	// The scratch slice is taken, not shared, should a nested receive
	// (stashed datagrams replayed) ever run while this one's messages are
	// being handed up.
	scratch := c.scratch
	c.scratch = nil
	p, err := parsePacket(pkt, c.gh, maxRanks, scratch)
	defer func() {
		clear(p.msgs)
		c.scratch = p.msgs[:0]
	}()
	if err != nil {
		c.dropPacket(err)
		return
	}
	ch := c.chain
	if p.kind == packetGlobal {
		// The endpoint a global datagram names must be its sender.
		if p.from.Addr != src.addr || src.authed && p.from.Inc != src.inc {
			c.metrics.Drop("bad-source")
			return
		}
		ch.up(len(ch.layers), &Event{Type: EGlobal, Control: &Control{From: p.from, Target: p.target, Bytes: p.body, Addr: src.addr}})
		return
	}
	if p.viewHash != ch.view.Hash {
		c.stashPacket(p.viewHash, src, pkt)
		return
	}
	if p.rank >= ch.view.N() || p.rank == ch.view.Rank {
		c.metrics.Drop("bad-rank")
		return
	}
	// A datagram claiming rank r is believed only from r's address (and,
	// authenticated, from r's incarnation).
	if m := ch.view.Members[p.rank]; m.Addr != src.addr || src.authed && m.Inc != src.inc {
		c.metrics.Drop("bad-source")
		return
	}
	// One allocation for the events and messages of the whole datagram.
	rs := make([]eventMsg, len(p.msgs))
	for i, m := range p.msgs {
		if c.chain != ch {
			return
		}
		ev := rs[i].wrap(ERecv, p.rank, m)
		if p.lastRoom && i == len(p.msgs)-1 {
			ev.Msg.WrapWithRoom(m) // the datagram's free space goes with it
		}
		ch.up(len(ch.layers), ev)
	}
}

// stashPacket keeps a packet of a view that may be installed here soon
// (its members often start sending before everyone has installed it).
func (c *Core) stashPacket(viewHash uint64, src source, pkt []byte) {
	for _, h := range c.past {
		if h == viewHash {
			c.metrics.Drop("stale-view")
			return
		}
	}
	for len(c.stash) > 0 && (len(c.stash) >= maxStash || c.stashBytes+len(pkt) > maxStashBytes) {
		c.stashBytes -= len(c.stash[0].pkt)
		c.stash[0] = stashed{}
		c.stash = c.stash[1:]
		c.metrics.Drop("stash-full")
	}
	c.stash = append(c.stash, stashed{src, pkt})
	c.stashBytes += len(pkt)
}

func (c *Core) dropPacket(err error) {
	switch {
	case errors.Is(err, errOtherGroup):
		c.metrics.Drop("other-group")
	case errors.Is(err, errNotOurs):
		c.metrics.Drop("not-maestro")
	case errors.Is(err, errBadVersion):
		c.metrics.Drop("bad-version")
	case errors.Is(err, errBadChecksum):
		c.metrics.Drop("bad-checksum")
	default:
		c.metrics.Drop("malformed")
	}
}

// Tick gives every layer the time.
func (c *Core) Tick(now time.Time) {
	c.do(func() {
		c.setNow(now)
		ch := c.chain
		if ch == nil {
			return
		}
		for _, l := range ch.layers {
			if c.chain != ch {
				return
			}
			l.Tick(now)
		}
	})
}

// reportConsumed tells the layers (flow control) how many casts the
// application has consumed, when that changed.
func (c *Core) reportConsumed(ch *chain) {
	if c.chain == ch && !c.consumedSent {
		c.consumedSent = true
		c.consumedCtl = Control{Vector: append(c.consumedCtl.Vector[:0], c.consumed...)}
		c.consumedEv = Event{Type: EConsumed, Control: &c.consumedCtl}
		ch.down(-1, &c.consumedEv)
	}
}

// Idle tells the layers that no more input is queued: batched work goes
// out, and packed datagrams are flushed to the network.
func (c *Core) Idle() { c.idle(true) }

// IdleOpen is Idle for a driver whose transport is still busy sending
// earlier datagrams: batched work goes out, but datagrams that are still
// being filled stay open to take the messages that come meanwhile (sent
// now, they would only wait behind the others). The driver must call Idle
// once the transport is free; datagrams that fill up go out at once.
func (c *Core) IdleOpen() { c.idle(false) }

func (c *Core) idle(flush bool) {
	if c.depth > 0 {
		c.deferred = append(c.deferred, func() { c.idleNow(flush) })
		return
	}
	c.depth++
	c.idleNow(flush)
	c.settle()
	c.depth--
}

func (c *Core) idleNow(flush bool) {
	ch := c.chain
	if ch == nil {
		return
	}
	c.reportConsumed(ch)
	for _, l := range ch.layers {
		if i, ok := l.(Idler); ok && c.chain == ch {
			i.Idle()
		}
	}
	if flush && c.chain == ch {
		ch.flushPacks()
	}
}

// Cast queues a reliable multicast of payload to the view. It is sent at
// once unless a flush or flow control holds it back, in which case it goes
// out, in order, as soon as possible (possibly in the next view).
func (c *Core) Cast(payload []byte) error {
	if err := c.checkSend(payload); err != nil {
		return err
	}
	if c.exited || !c.started {
		return ErrClosed
	}
	c.do(func() {
		c.queue = append(c.queue, appReq{payload: payload})
		c.drainQueue()
	})
	return nil
}

// Send queues a reliable point-to-point message to dest. It is dropped
// (and counted) if dest is no longer a member when it is sent.
func (c *Core) Send(dest Endpoint, payload []byte) error {
	if err := c.checkSend(payload); err != nil {
		return err
	}
	if c.exited || !c.started {
		return ErrClosed
	}
	if v := c.View(); v == nil || !v.Contains(dest) {
		return fmt.Errorf("send to %s: %w", dest, ErrNotMember)
	}
	c.do(func() {
		c.queue = append(c.queue, appReq{send: true, dest: dest, payload: payload})
		c.drainQueue()
	})
	return nil
}

// checkSend validates a message. It reads only the configuration, so the
// runtime may call it from any goroutine; exit is detected on the stack
// goroutine.
// enqueue queues an application message whatever its destination; a send
// to a member that is gone is dropped (and counted) when its turn comes.
// The runtime uses it so that every message it hands over is accounted
// for in Injected.
func (c *Core) enqueue(r appReq) {
	if c.depth > 0 {
		c.deferred = append(c.deferred, func() { c.enqueueNow(r) })
		return
	}
	c.depth++
	c.enqueueNow(r)
	c.settle()
	c.depth--
}

func (c *Core) enqueueNow(r appReq) {
	c.queue = append(c.queue, r)
	c.drainQueue()
}

func (c *Core) checkSend(payload []byte) error {
	if len(payload) > c.cfg.MaxMessage {
		return fmt.Errorf("%d bytes (limit %d): %w", len(payload), c.cfg.MaxMessage, ErrTooLarge)
	}
	return nil
}

// drainQueue hands the queued application messages to the layers, in
// order, as far as the view allows: nothing during a flush, no casts while
// flow control or the view holds them. When the view holds casts (not
// primary), sends behind a held cast still go, so that state transfer can
// make the view primary.
func (c *Core) drainQueue() {
	if c.castsHeld {
		c.drainSends()
		return
	}
	for len(c.queue) > 0 && c.ready() && !c.flowBlocked && !c.castsHeld {
		r := c.queue[0]
		c.queue[0] = appReq{}
		c.queue = c.queue[1:]
		c.inject(r)
	}
}

// ready reports whether the installed view accepts application messages.
func (c *Core) ready() bool { return c.chain != nil && !c.blocked && c.install == nil }

// drainSends takes the queued sends out of the queue, leaving the casts.
func (c *Core) drainSends() {
	kept := c.queue[:0]
	for i, r := range c.queue {
		if !c.ready() {
			kept = append(kept, c.queue[i:]...)
			break
		}
		if r.send {
			c.inject(r)
			continue
		}
		kept = append(kept, r)
	}
	clear(c.queue[len(kept):])
	c.queue = kept
}

// inject hands one application message to the top layer.
func (c *Core) inject(r appReq) {
	c.injected++
	ch := c.chain
	if !r.send {
		c.metrics.CastsSent.Add(1)
		ch.down(-1, CopiedEvent(ECast, AllPeers, r.payload))
		return
	}
	rank := ch.view.RankOf(r.dest)
	if rank < 0 {
		c.metrics.Drop("send-dest-gone")
		return
	}
	c.metrics.SendsSent.Add(1)
	if rank == ch.view.Rank {
		c.opt.Out.Upcall(Upcall{Kind: UpSend, From: c.opt.Me, FromID: ch.view.ids[rank], Payload: r.payload, ViewHash: ch.view.Hash, Rank: rank})
		return
	}
	ch.down(-1, &Event{Type: ESend, Peer: rank, Msg: wire.NewMsg(r.payload)})
}

// Suspect reports members the application believes have failed (§2.2.4).
// Endpoints not in the current view are ignored.
func (c *Core) Suspect(ids ...Endpoint) {
	c.do(func() {
		ch := c.chain
		if ch == nil {
			return
		}
		var ranks []int
		for _, id := range ids {
			if r := ch.view.RankOf(id); r >= 0 && r != ch.view.Rank {
				ranks = append(ranks, r)
			}
		}
		if len(ranks) > 0 {
			ch.down(-1, &Event{Type: ESuspect, Control: &Control{Ranks: ranks}})
		}
	})
}

// Leave starts leaving the group; UpExit follows when the others have
// installed a view without this member (or Config.LeaveTimeout passed).
func (c *Core) Leave() {
	c.do(func() {
		c.leaving = true
		if ch := c.chain; ch != nil {
			ch.down(-1, &Event{Type: ELeave})
		}
	})
}

// SetInfo sets this member's application info: a small byte string that
// every flush carries to the coordinator, which sees the infos of all
// members of a proposed view in UpViewMsgReq (to compute roles for the
// view message, say).
func (c *Core) SetInfo(info []byte) {
	c.do(func() { c.info = append([]byte(nil), info...) })
}

// Reconfigure asks the coordinator to install a new view even if the
// membership has not changed; the flush carries fresh infos and the
// coordinator is asked for a new view message.
func (c *Core) Reconfigure() {
	c.do(func() {
		if ch := c.chain; ch != nil {
			ch.down(-1, &Event{Type: EReconfigure})
		}
	})
}

// UpToDate reports that the application has installed the state of the
// up-to-date members of the current view (see the Primary property): the
// layers then count this member as up to date.
func (c *Core) UpToDate() {
	c.do(func() {
		if ch := c.chain; ch != nil {
			ch.down(-1, &Event{Type: EUpToDate})
		}
	})
}

// ViewMsgReply answers an UpViewMsgReq with the view message (may be nil).
func (c *Core) ViewMsgReply(id ViewID, msg []byte) {
	c.do(func() {
		if ch := c.chain; ch != nil {
			ch.down(-1, &Event{Type: EViewMsg, Control: &Control{TargetID: id, Bytes: msg}})
		}
	})
}

// Consumed reports that the application has processed n casts from the
// member of rank rank in the view with hash viewHash (flow-control credit;
// only used with CoreOptions.ExternalConsume).
func (c *Core) Consumed(viewHash uint64, rank, n int) {
	// Counting touches no layer, so it needs none of do's ordering.
	c.consume(viewHash, rank, n)
}

func (c *Core) consume(viewHash uint64, rank, n int) {
	if ch := c.chain; ch != nil && ch.view.Hash == viewHash && rank >= 0 && rank < len(c.consumed) {
		c.consumed[rank] += uint64(n)
		c.consumedSent = false
	}
}

// sender returns who sent a delivered or aborted cast: the member of rank
// ev.Peer, or, for a cast of an earlier view (Peer is AllPeers; the Safe
// layer delivers those), ev.From.
func (c *Core) sender(v *View, ev *Event) (Endpoint, EndpID) {
	if ev.Peer >= 0 && ev.Peer < v.N() {
		return v.Members[ev.Peer], v.ids[ev.Peer]
	}
	if ev.Control != nil {
		return ev.From, ev.From.ID()
	}
	return Endpoint{}, ""
}

// topUp receives events leaving the top layer for the application.
func (c *Core) topUp(ch *chain, ev *Event) {
	if ch != c.chain {
		return
	}
	v := ch.view
	switch ev.Type {
	case ECast:
		c.metrics.CastsDelivered.Add(1)
		from, id := c.sender(v, ev)
		c.opt.Out.Upcall(Upcall{Kind: UpCast, From: from, FromID: id, Payload: ev.Msg.Bytes(), ViewHash: v.Hash, Rank: ev.Peer})
		if !c.opt.ExternalConsume {
			c.consume(v.Hash, ev.Peer, 1)
		}
	case ESend:
		c.metrics.SendsDelivered.Add(1)
		c.opt.Out.Upcall(Upcall{Kind: UpSend, From: v.Members[ev.Peer], FromID: v.ids[ev.Peer], Payload: ev.Msg.Bytes(), ViewHash: v.Hash, Rank: ev.Peer})
	case EAbort:
		c.metrics.Aborted.Add(1)
		from, id := c.sender(v, ev)
		c.opt.Out.Upcall(Upcall{Kind: UpAbort, From: from, FromID: id, Payload: ev.Msg.Bytes(), ViewHash: v.Hash, Rank: ev.Peer})
	case EBlock:
		c.blocked = true
		c.opt.Out.Upcall(Upcall{Kind: UpBlock, ViewHash: v.Hash})
	case EView:
		c.install = ev
	case EExit:
		c.exited = true
		ch.flushPacks()
		c.chain = nil
		c.queue = nil
		c.opt.Out.Upcall(Upcall{Kind: UpExit})
	case EViewMsgReq:
		infos := make(map[EndpID][]byte)
		for k, b := range ev.Ann {
			if strings.HasPrefix(k, InfoPrefix) {
				infos[EndpID(k[len(InfoPrefix):])] = b
			}
		}
		prev := make(map[EndpID]ViewID, len(ev.Prevs))
		for e, id := range ev.Prevs {
			prev[e.ID()] = id
		}
		c.opt.Out.Upcall(Upcall{Kind: UpViewMsgReq, View: ev.View, Ann: ev.ViewAnn, Infos: infos, Prev: prev, PrevMsgs: ev.PrevMsgs})
	case EAnnotate:
		if c.info != nil {
			ev.Ann[InfoPrefix+string(v.ids[v.Rank])] = c.info
		}
	case ECastHold:
		c.castsHeld = true
	case EFlowBlock:
		c.flowBlocked = true
	case EFlowUnblock:
		c.flowBlocked = false
		c.drainQueue()
	case EGlobal:
		c.metrics.Drop("global-no-target")
	case ECtrl:
		c.metrics.Drop("ctrl-no-target")
	}
}
