package gmp

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Protocol is the membership protocol. It remembers, across views, the
// highest logical time it has seen (so the views it proposes always move
// forward) and the proposal it must keep resending until acknowledged.
type Protocol struct {
	// Sync says the Sync layer is in the stack: flushes then wait for the
	// cut to be delivered before answering FLUSH_OK.
	Sync bool

	maxLtime uint64
	resend   *resend
	seen     map[string]installed // per address, the newest view it is known to have installed
}

// resend is a proposed view the coordinator keeps sending to the members
// that have not acknowledged it.
type resend struct {
	id      stack.ViewID
	body    []byte
	pending map[stack.Endpoint]bool
	order   []stack.Endpoint // pending's keys in a fixed order
	until   time.Time
	last    time.Time
}

// Name returns "Gmp".
func (*Protocol) Name() string { return "Gmp" }

// NewLayer returns the membership layer for a view.
func (p *Protocol) NewLayer(env *stack.Env) stack.Layer {
	v := env.View
	if v.ID.Ltime > p.maxLtime {
		p.maxLtime = v.ID.Ltime
	}
	l := &layer{
		p: p, env: env, v: v, n: v.N(), me: v.Rank,
		suspects: make([]bool, v.N()),
		leaving:  make([]bool, v.N()),
		needAck:  v.Rank != 0 && v.N() > 1,
	}
	if p.resend != nil && p.resend.id == v.ID {
		l.resend = p.resend
	}
	p.resend = nil
	return l
}

type layer struct {
	p   *Protocol
	env *stack.Env
	v   *stack.View
	n   int
	me  int

	suspects []bool // members this member no longer trusts (own or adopted)
	leaving  []bool // members that asked to leave

	blocked   bool
	reconf    bool // a new view was asked for
	selfLeave bool
	exitAt    time.Time

	flushNum  uint64
	coord     *coordFlush // the flush this member runs as coordinator
	follow    *follow     // the flush this member takes part in
	mergeTo   *mergeTarget
	mergeFrom *mergeReq
	granted   *pendingGrant // a merge request waiting for its requester's confirmation

	needAck  bool
	resend   *resend
	lastNote time.Time // last SUSPECT/LEAVE sent to the coordinator
}

// follow is this member's part in a flush.
type follow struct {
	tag       stack.FlushTag
	failed    []int
	survivors []int
	leavers   []int
	synced    bool
	ann       stack.Annotations
	since     time.Time
	lastOK    time.Time
}

// coordFlush is a flush this member coordinates.
type coordFlush struct {
	tag      stack.FlushTag
	msg      *flushMsg
	ok       map[int]stack.Annotations
	started  time.Time
	lastSend time.Time
	complete bool
	own      prev
	proposal *viewMsg
	propDue  time.Time // when to stop waiting for the view message
}

// mergeTarget is the component this member's component asked to join.
type mergeTarget struct {
	coord  stack.Endpoint
	addr   string
	into   stack.ViewID
	req    *mergeReq
	sentAt time.Time
	last   time.Time
}

func (l *layer) now() time.Time { return l.env.Now() }

// coordRank is the member this member believes coordinates the view.
func (l *layer) coordRank() int {
	for r := 0; r < l.n; r++ {
		if !l.suspects[r] {
			return r
		}
	}
	return l.me
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECtrl:
		ev.Msg.PushByte(kindPass)
		l.env.PassDown(ev)
	case stack.ESuspect:
		l.suspect(ev.Ranks)
	case stack.ELeave:
		l.leave()
	case stack.EMerge:
		l.mergeRequested(ev)
	case stack.EViewMsg:
		l.viewMsgReady(ev.TargetID, ev.Bytes)
	case stack.EReconfigure:
		l.reconfigure()
	default:
		l.env.PassDown(ev)
	}
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECtrl:
		kind, err := ev.Msg.PopByte()
		if err != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		if kind == kindPass {
			l.env.PassUp(ev)
			return
		}
		l.ctrl(kind, ev.Peer, ev.Msg.Reader())
	case stack.ESuspect:
		l.suspect(ev.Ranks)
	case stack.ESyncDone:
		if l.follow != nil && ev.Flush == l.follow.tag && !l.follow.synced {
			l.synced()
		}
	case stack.EGlobal:
		if ev.Target != target {
			l.env.PassUp(ev)
			return
		}
		l.global(ev.From, ev.Bytes)
	default:
		l.env.PassUp(ev)
	}
}

func (l *layer) ctrl(kind byte, from int, r *wire.Reader) {
	switch kind {
	case kindSuspect:
		ranks := stack.GetRanks(r, l.n)
		if r.Err() != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		if !l.suspects[from] {
			l.suspect(ranks)
		}
	case kindLeave:
		if !l.suspects[from] && !l.leaving[from] {
			l.leaving[from] = true
			l.react()
		}
	case kindFlush:
		f, err := decodeFlush(r, l.n)
		if err != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		l.flushUp(from, f)
	case kindFlushOK:
		var tag stack.FlushTag
		tag.Coord = r.Int(l.n - 1)
		tag.Num = r.Uvarint()
		ann := stack.GetAnnotations(r)
		if r.Err() != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		l.flushOK(from, tag, ann)
	case kindViewAck:
		if l.resend != nil {
			delete(l.resend.pending, l.v.Members[from])
		}
	case kindReconf:
		if !l.suspects[from] {
			l.reconfigure()
		}
	default:
		l.env.Metrics.Drop("gmp-unknown-kind")
	}
}

func (l *layer) global(from stack.Endpoint, body []byte) {
	r := wire.NewReader(body)
	switch kind := r.Byte(); kind {
	case globalView:
		m, err := decodeView(r)
		if err != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		l.viewUp(m)
	case globalMergeReq:
		m, err := decodeMergeReq(r)
		if err != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		l.mergeReqUp(from, m)
	case globalMergeGrant, globalMergeConfirm:
		g, err := decodeMergeGrant(r)
		if err != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		if kind == globalMergeGrant {
			l.grantUp(from, g)
		} else {
			l.confirmUp(from, g)
		}
	case globalMergeDeny:
		id := stack.GetViewID(r)
		if r.Err() != nil {
			l.env.Metrics.Drop("gmp-malformed")
			return
		}
		if l.mergeTo != nil && l.mergeTo.req != nil && id == l.v.ID {
			l.env.Log.Debug("merge refused", "by", from)
			l.mergeTo = nil
			l.proposeOwn()
		}
	default:
		l.env.Metrics.Drop("gmp-unknown-kind")
	}
}

// suspect records suspicions and lets the coordinator act on them.
func (l *layer) suspect(ranks []int) {
	changed := false
	for _, r := range ranks {
		if r >= 0 && r < l.n && r != l.me && !l.suspects[r] {
			l.suspects[r] = true
			changed = true
		}
	}
	if changed {
		l.react()
	}
}

func (l *layer) leave() {
	if l.selfLeave {
		return
	}
	l.selfLeave = true
	l.exitAt = l.now().Add(l.env.Config.LeaveTimeout)
	if l.n == 1 {
		l.exit()
		return
	}
	l.leaving[l.me] = true
	l.react()
}

// reconfigure asks for a new view with the same members: the coordinator
// flushes; another member passes the request on to it.
func (l *layer) reconfigure() {
	if l.reconf {
		return
	}
	l.reconf = true
	l.react()
}

func (l *layer) exit() {
	l.env.PassUp(&stack.Event{Type: stack.EExit})
}

// needsFlush reports whether the view must be replaced.
func (l *layer) needsFlush() bool {
	if l.blocked || l.reconf || l.mergeTo != nil || l.mergeFrom != nil {
		return true
	}
	for r := 0; r < l.n; r++ {
		if l.suspects[r] || l.leaving[r] {
			return true
		}
	}
	return false
}

// react is called whenever suspicions, leaves or merges change: the
// coordinator starts or restarts a flush, the others tell the coordinator.
func (l *layer) react() {
	if f := l.follow; f != nil && l.suspects[f.tag.Coord] {
		l.follow = nil // our coordinator is gone; a new one will flush
	}
	c := l.coordRank()
	if c != l.me {
		l.coord, l.mergeTo, l.mergeFrom = nil, nil, nil
		l.notifyCoordinator(c)
		return
	}
	if cf := l.coord; cf != nil {
		for _, s := range cf.msg.survivors {
			if l.suspects[s] || (l.leaving[s] && !contains(cf.msg.leavers, s)) {
				l.mergeTo = nil
				l.startFlush()
				return
			}
		}
		return
	}
	if l.needsFlush() {
		l.startFlush()
	}
}

// notifyCoordinator tells the coordinator about suspicions and leaves it
// has not acted on yet.
func (l *layer) notifyCoordinator(c int) {
	var news []int
	for r := 0; r < l.n; r++ {
		if l.suspects[r] && (l.follow == nil || !contains(l.follow.failed, r)) {
			news = append(news, r)
		}
	}
	if len(news) > 0 {
		var w wire.Writer
		w.Byte(kindSuspect)
		stack.PutRanks(&w, news)
		l.ctrlTo(c, w.B)
	}
	if l.selfLeave && (l.follow == nil || !contains(l.follow.leavers, l.me)) {
		l.ctrlTo(c, []byte{kindLeave})
	}
	if l.reconf && l.follow == nil {
		l.ctrlTo(c, []byte{kindReconf})
	}
	l.lastNote = l.now()
}

func (l *layer) ctrlTo(to int, body []byte) {
	m := wire.NewMsg(nil)
	m.Push(body)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: to, Msg: m})
}

func (l *layer) Tick(now time.Time) {
	cfg := l.env.Config
	retry := 5 * cfg.Retransmit
	if l.needAck {
		l.needAck = false
		l.ctrlTo(0, []byte{kindViewAck})
	}
	if rs := l.resend; rs != nil {
		if now.After(rs.until) || len(rs.pending) == 0 {
			l.resend = nil
		} else if now.Sub(rs.last) >= retry {
			rs.last = now
			for _, e := range rs.order {
				if !rs.pending[e] {
					continue
				}
				l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: e.Addr, Target: target, Bytes: rs.body}})
			}
		}
	}
	if l.selfLeave && now.After(l.exitAt) {
		l.env.Log.Warn("leave not confirmed in time; exiting anyway")
		l.exit()
		return
	}
	if f := l.follow; f != nil {
		if f.synced && now.Sub(f.lastOK) >= retry {
			l.sendFlushOK()
		}
		if now.Sub(f.since) > 3*cfg.FlushTimeout && f.tag.Coord != l.me {
			l.suspect([]int{f.tag.Coord})
			return
		}
	}
	l.expireGrant(now)
	if cf := l.coord; cf != nil {
		l.coordTick(now, cf)
		return
	}
	if l.coordRank() != l.me && l.needsFlush() && now.Sub(l.lastNote) >= 2*retry {
		l.notifyCoordinator(l.coordRank())
	}
}

func (l *layer) coordTick(now time.Time, cf *coordFlush) {
	cfg := l.env.Config
	if !cf.complete {
		if now.Sub(cf.started) > cfg.FlushTimeout {
			var silent []int
			for _, s := range cf.msg.survivors {
				if _, ok := cf.ok[s]; !ok && s != l.me {
					silent = append(silent, s)
				}
			}
			l.env.Log.Debug("flush timed out", "silent", silent)
			l.suspect(silent)
			return
		}
		if now.Sub(cf.lastSend) >= 5*cfg.Retransmit {
			cf.lastSend = now
			body := cf.msg.encode()
			for _, s := range cf.msg.survivors {
				if _, ok := cf.ok[s]; !ok && s != l.me {
					l.ctrlTo(s, body)
				}
			}
		}
		return
	}
	if cf.proposal != nil && now.After(cf.propDue) {
		l.sendView(cf.proposal)
		return
	}
	if mt := l.mergeTo; mt != nil && mt.req != nil {
		if now.Sub(mt.sentAt) > cfg.FlushTimeout {
			l.env.Log.Debug("merge timed out", "into", mt.into)
			l.mergeTo = nil
			l.proposeOwn()
			return
		}
		if now.Sub(mt.last) >= 10*cfg.Retransmit {
			mt.last = now
			l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: mt.addr, Target: target, Bytes: mt.req.encode()}})
		}
	}
}
