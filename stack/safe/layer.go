package safe

import (
	"fmt"
	"slices"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/primary"
	"github.com/maestro-go/maestro/stack/wire"
)

// layer is the Safe layer of one view.
type layer struct {
	p    *Protocol
	env  *stack.Env
	n    int
	me   int
	info primary.ViewInfo // the Primary layer's verdict on the view
	ch   choice           // the log chosen for the view
	hasC bool

	// In a primary view.
	voters      []bool    // by rank
	allVote     bool      // every member of the view is a voter
	acked       []uint64  // by rank: how far each member's log reaches
	delivered   []uint64  // by rank: how far each member has delivered, as it last said
	ackedBy     []bool    // by rank: has acknowledged in this view (installed it)
	established bool      // a majority of the replicas installed this view
	frozen      bool      // this member's log is not the chosen one: it delivers nothing
	idx         []uint64  // by rank: casts of this view seen from each sender
	viewStart   uint64    // position at which this view's own order begins
	blocked     bool      // a flush started: deliveries wait for the view's end
	ackDirty    bool      // this member holds more than it last told
	ackAll      bool      // ... and every other member must be told at once
	ackTo       []bool    // by rank: ... and these members must be told at once
	lastFull    time.Time // when every other member was last told
	safeTo      uint64    // a position another member told this one a majority holds
	told        uint64    // the highest such position this member told everyone

	// Fetching the chosen log from its holder (in a non-primary view).
	fetching   bool
	fetchStart uint64
	fetched    []entry
	synced     bool // holds the chosen log and its holder's exact epochs

	// The counts of the run the chosen state ends inside, up to the
	// chosen base, as an up-to-date member told them (base.go).
	baseAt    epoch
	hasBaseAt bool
}

func newLayer(p *Protocol, env *stack.Env) *layer {
	n := env.View.N()
	l := &layer{p: p, env: env, n: n, me: env.View.Rank}
	l.info, _ = primary.Info(env.ViewAnn)
	if b, ok := env.ViewAnn[annKey]; ok {
		l.ch, l.hasC = decodeChoice(b)
	}
	return l
}

func (l *layer) majority() int { return l.info.Majority() }

// Start brings this member to the chosen log: a member of a non-primary
// view fetches what it lacks; a member of a primary view holds it (or the
// view would not be primary) and delivers it as soon as a majority of the
// replicas acknowledge holding it here — not at once: a member that
// promised the view but never installed it may lack the end of it.
func (l *layer) Start() {
	if l.hasC {
		l.adoptChoice()
	}
	if !l.info.Primary {
		l.tellBase()
		l.fetch()
		return
	}
	p := l.p
	if l.hasC && !p.observer && (p.base != l.ch.base || p.end() != l.ch.end) {
		// The veto makes this impossible; deliver nothing rather than
		// something other members do not deliver.
		l.env.Log.Error("primary view installed with a log other than the chosen one", "base", p.base, "end", p.end(), "chosen base", l.ch.base, "chosen end", l.ch.end)
		l.env.Metrics.Drop("safe-log-mismatch")
		l.frozen = true
	}
	if l.hasC && p.observer && p.base > l.ch.end {
		// An observer that delivered beyond the chosen log numbers the
		// view's casts as everyone does, from the chosen log's end.
		p.jumpTo(l.ch.end, epoch{}, false, l.ch.hist)
		p.logStart = l.ch.end
	}
	p.last = l.info.Number
	p.holdOnlyLog()
	l.voters = make([]bool, l.n)
	l.acked = make([]uint64, l.n)
	l.delivered = make([]uint64, l.n)
	l.ackedBy = make([]bool, l.n)
	l.idx = make([]uint64, l.n)
	l.allVote = true
	for r := 0; r < l.n; r++ {
		l.voters[r] = slices.Contains(l.info.UpToDate, l.env.View.MemberID(r))
		l.allVote = l.allVote && l.voters[r]
		l.acked[r] = p.base
	}
	l.ackedBy[l.me] = true
	l.ackTo = make([]bool, l.n)
	l.viewStart = p.end()
	l.ackDirty, l.ackAll = true, true
	l.checkEstablished()
}

// checkEstablished notes when a majority of the replicas have installed
// this primary view (acknowledged in it): from then on every later primary
// view follows its order, so what its chosen log does not hold is dead.
func (l *layer) checkEstablished() {
	if l.established {
		return
	}
	n := 0
	for r, by := range l.ackedBy {
		if by && l.voters[r] {
			n++
		}
	}
	if n >= l.majority() {
		l.establish()
	}
}

// establish notes that a majority of the replicas installed this view.
func (l *layer) establish() {
	if l.established {
		return
	}
	l.established = true
	l.p.est = l.info.Number
	// The view's log, which every member holds, is now the lineage
	// itself: a cut of an older one describes all of it.
	l.p.hist.cut = false
	l.resolve(true)
	l.deliver()
}

// adoptChoice makes this member follow the view's chosen log, in one
// step. Held messages of an older order become undecided: the chosen log
// includes them or rules them out. The member then holds the chosen
// lineage up to where its own log ends (possibly nothing beyond its
// state: a state delivered is a prefix of every later lineage), knows its
// epochs, and fetches the rest.
//
// An observer takes no part in the choice and holds no application state:
// it skips to the chosen state's position, and what it holds beyond the
// chosen log is undecided; having delivered more than the chosen log is
// no matter.
func (l *layer) adoptChoice() {
	p, ch := l.p, l.ch
	switch {
	case ch.last > p.last && !p.observer && p.end() <= ch.end && p.heldHistory().prefixOf(ch.hist, p.logStart, p.end()):
		// Its log is a prefix of the chosen one: it holds the chosen
		// lineage up to its end already.
		p.last = ch.last
		p.own, p.ownEnd = p.heldHistory(), p.end()
		p.hist, p.histEnd = ch.hist, ch.end
	case ch.last > p.last || (ch.last < p.last && p.observer):
		p.undecided = append(p.undecided, p.log...)
		p.log, p.logStart, p.last = nil, p.base, ch.last
		// The chosen log's epochs, as its holder reported them: complete
		// for every older primary view, perhaps not for the last (its
		// end-of-view deliveries came after the report), which the fetch
		// completes. This member's own runs described its old log, not
		// the chosen one: they go.
		p.hist, p.histEnd = ch.hist, ch.end
		p.own, p.ownEnd = history{}, 0
	case ch.last < p.last:
		return // a voter never follows a newer order than the chosen one
	}
	// That some primary view was established is a fact about the group:
	// the chosen lineage, the newest here, descends from it.
	p.est = max(p.est, ch.est)
	if p.observer {
		if ch.base > p.base {
			p.jumpTo(ch.base, epoch{}, false, ch.hist)
		}
		if p.end() > ch.end {
			// What it holds beyond the chosen log is undecided; its
			// positions must be the replicas'.
			p.hist, p.histEnd = p.hist.upTo(ch.end, p.held()), ch.end
			k := 0
			if ch.end > p.logStart {
				k = int(ch.end - p.logStart)
			}
			p.undecided = append(p.undecided, p.log[k:]...)
			p.log = p.log[:k]
			if p.logStart > ch.end {
				p.logStart = max(ch.end, p.base)
			}
		}
	}
	if p.logStart < p.base {
		p.trimTo(p.base)
	}
	l.resolve(false)
}

// deliverOld delivers a message of an earlier view (its sender need not
// be a member of this one). The entry has left the log.
func (l *layer) deliverOld(e entry) {
	l.env.PassUp(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: wire.WrapMsg(e.msg), Control: &stack.Control{From: e.from}})
}

// resolve reports as aborted the undecided messages that the log (its
// epochs) rules out, and forgets those it includes. final says a primary
// view is being installed: nothing undecided remains.
func (l *layer) resolve(final bool) {
	p := l.p
	kept := p.undecided[:0]
	held := p.heldHistory()
	for _, e := range p.undecided {
		f := p.hist.fateOf(p.est, e.id, final)
		if f == inLog && held.fateOf(p.est, e.id, final) != inLog {
			f = undecided // the chosen log holds it, this member not yet: it may never fetch it
		}
		switch f {
		case undecided:
			kept = append(kept, e)
		case dead:
			l.env.PassUp(&stack.Event{Type: stack.EAbort, Peer: stack.AllPeers, Msg: wire.NewMsg(e.msg), Control: &stack.Control{From: e.from}})
		case unknown:
			if !final {
				kept = append(kept, e) // a fuller history may come with the fetch
				continue
			}
			l.env.Log.Warn("fate of an undelivered cast unknown: the history has no whole run of its primary view (forgotten, or split where a state transfer covers it)", "primary", e.id.primary)
			l.env.Metrics.Drop("safe-fate-unknown")
		}
	}
	clear(p.undecided[len(kept):])
	p.undecided = kept
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ESend, stack.ECtrl:
		ev.Msg.PushByte(kindPass)
	case stack.EUpToDate:
		l.upToDate()
	}
	l.env.PassDown(ev)
}

// upToDate: the application installed the most advanced state, that of
// position ch.base.
func (l *layer) upToDate() {
	p := l.p
	if !l.hasC || p.observer || p.base >= l.ch.base {
		return
	}
	end := p.end()
	p.jumpTo(l.ch.base, l.baseAt, l.hasBaseAt, l.ch.hist)
	if p.logStart < p.base {
		p.trimTo(p.base)
	}
	if p.end() > end && p.histEnd < l.ch.end {
		// The state covers positions the log did not reach: the chosen
		// log's epochs describe them.
		p.hist, p.histEnd = p.hist.extend(l.ch.hist), l.ch.end
	}
	p.completeRun()
	if !l.fetching {
		l.fetch()
	}
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		l.ordered(ev)
		return
	case stack.EAbort:
		l.aborted(ev)
		return
	case stack.ECtrl:
		k, err := ev.Msg.PopByte()
		switch {
		case err != nil:
			l.env.Metrics.Drop("safe-malformed")
		case k == kindPass:
			l.env.PassUp(ev)
		case k == kindStable:
			l.stable(ev.Peer, ev.Msg.Reader())
		default:
			l.env.Metrics.Drop("safe-malformed")
		}
		return
	case stack.ESend:
		k, err := ev.Msg.PopByte()
		switch {
		case err != nil:
			l.env.Metrics.Drop("safe-malformed")
		case k == kindPass:
			l.env.PassUp(ev)
		case k == kindFetch:
			l.serve(ev.Peer, ev.Msg.Reader())
		case k == kindEntries:
			l.entries(ev.Peer, ev.Msg.Reader())
		case k == kindEnd:
			l.fetchEnd(ev.Peer, ev.Msg.Reader())
		case k == kindBase:
			l.baseTold(ev.Msg.Reader())
		default:
			l.env.Metrics.Drop("safe-malformed")
		}
		return
	case stack.EStable:
		l.stableVector(ev.Vector)
		return
	case stack.EBlock:
		l.blocked = true
	case stack.EAnnotate:
		l.annotate(ev)
	case stack.EViewEnd:
		l.endView(ev.Ann)
	case stack.EViewAnn:
		l.choose(ev)
	}
	l.env.PassUp(ev)
}

// ordered appends a totally ordered cast to the log. The entry keeps the
// cast's bytes without copying them, as Nak keeps them for
// retransmission: a cast coming up is a received datagram's or Nak's
// looped-back copy (wire.WrapMsg), whose content no layer writes (they
// pop; a push reallocates), and the event goes no further.
func (l *layer) ordered(ev *stack.Event) {
	if !l.info.Primary || ev.Peer < 0 || ev.Peer >= l.n {
		l.env.Metrics.Drop("safe-cast-not-primary")
		return
	}
	l.idx[ev.Peer]++
	e := entry{id: msgID{primary: l.info.Number, rank: ev.Peer, index: l.idx[ev.Peer]}, from: l.env.View.Members[ev.Peer], msg: ev.Msg.Bytes()}
	l.p.appendOrdered(e, l.n)
	l.acked[l.me] = l.p.end()
	l.noteAck(ev.Peer)
	l.deliver()
}

// aborted keeps a cast the total order could not order: another member
// may have ordered it, so only a later primary view decides its fate.
func (l *layer) aborted(ev *stack.Event) {
	if !l.info.Primary || ev.Peer < 0 || ev.Peer >= l.n {
		l.env.Metrics.Drop("safe-abort-not-primary")
		return
	}
	l.idx[ev.Peer]++
	l.p.undecided = append(l.p.undecided, entry{id: msgID{primary: l.info.Number, rank: ev.Peer, index: l.idx[ev.Peer]}, from: l.env.View.Members[ev.Peer], msg: append([]byte(nil), ev.Msg.Bytes()...)})
}

func (l *layer) stable(from int, r *wire.Reader) {
	pos, delivered, safe := r.Uvarint(), r.Uvarint(), r.Uvarint()
	if r.Err() != nil || from < 0 || from >= l.n {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	if !l.info.Primary {
		return
	}
	l.delivered[from] = max(l.delivered[from], delivered)
	if !l.ackedBy[from] {
		l.ackedBy[from] = true
		l.checkEstablished()
	}
	changed := false
	// Only a voter's word is taken: an observer starts the view taking
	// every voter to hold what it delivered itself, which may lie beyond
	// the chosen state, where a voter that never installed the view may
	// lack positions.
	if safe > l.safeTo && l.voters[from] {
		l.safeTo = safe
		if safe > l.viewStart {
			// A majority holds a cast of this view, so a majority
			// installed it.
			l.establish()
		}
		changed = true
	}
	if pos > l.acked[from] {
		l.acked[from] = pos
		l.relayLearnt()
		changed = true
	}
	if changed {
		l.deliver()
	}
}

// stableVector takes the total order's stability vector: how many of this
// view's ordered casts each member has delivered. A member that delivered
// one installed the view, so it also holds what the view inherited; a
// zero says nothing (the member may never have installed it).
func (l *layer) stableVector(v []uint64) {
	if !l.info.Primary || len(v) != l.n {
		return
	}
	changed := false
	for r, c := range v {
		if c == 0 {
			continue
		}
		if !l.ackedBy[r] {
			l.ackedBy[r] = true
			l.checkEstablished()
		}
		if pos := l.viewStart + c; pos > l.acked[r] {
			l.acked[r] = pos
			changed = true
		}
	}
	if changed {
		l.deliver()
	}
}

// watermark returns the last position this member knows a majority of
// the replicas hold: from their acknowledgements, or as another member
// told it.
func (l *layer) watermark() uint64 { return max(l.heldByMajority(), l.safeTo) }

// heldByMajority returns the last position a majority of the replicas
// hold by their acknowledgements: the k-th highest of the voters' (k =
// the majority). It runs for every ordered cast, so it allocates nothing
// for a group of up to 16 members.
func (l *layer) heldByMajority() uint64 {
	l.acked[l.me] = l.p.end()
	var buf [16]uint64
	hold := buf[:0]
	for r, v := range l.voters {
		if v {
			hold = append(hold, l.acked[r])
		}
	}
	k := l.majority()
	if len(hold) < k {
		return l.p.base
	}
	slices.Sort(hold)
	return max(hold[len(hold)-k], l.p.base)
}

// deliver hands up the held messages a majority holds.
func (l *layer) deliver() {
	if !l.info.Primary || l.blocked {
		return
	}
	l.deliverTo(l.watermark())
}

// deliverTo delivers the held messages up to position pos: those of this
// view from their sender's rank, those inherited from an earlier primary
// view from their sender's endpoint.
func (l *layer) deliverTo(pos uint64) {
	p := l.p
	if l.frozen {
		return
	}
	for p.base < pos && len(p.log) > 0 {
		e := p.log[0]
		p.log[0] = entry{}
		p.log = p.log[1:]
		p.logStart++
		p.base++
		p.noteDelivered(e.id)
		// The entry has left the log: its bytes (the layer's own copy)
		// go up as they are.
		if e.id.primary == l.info.Number {
			l.env.PassUp(stack.WrappedEvent(stack.ECast, e.id.rank, e.msg))
		} else {
			l.deliverOld(e)
		}
	}
	if len(p.log) == 0 {
		p.log = nil
	}
}

// annotate reports what this member will hold and have delivered once the
// view ends, and tells the layer above how many more casts it delivers.
func (l *layer) annotate(ev *stack.Event) {
	p := l.p
	r := report{view: l.env.View.Hash, voter: !p.observer, inPrimary: l.info.Primary, last: p.last, est: p.est, base: p.base, end: p.end(), start: p.logStart, hist: p.heldHistory(),
		synced: l.info.Primary || l.synced}
	if l.info.Primary {
		// Deliver at the end only what a majority is known to hold in
		// order. Not everything the survivors hold, even if they are a
		// majority: the final order of the suffix reaches a survivor only
		// with the next view, and one that misses it holds the suffix
		// unordered. What is held but not known safe stays held, and the
		// next primary view delivers it.
		r.end += ev.EndCasts
		r.base = min(l.watermark(), r.end)
		r.start = min(r.start, r.base) // a primary member holds its whole log
		ev.EndCasts = r.base - p.base
	} else {
		ev.EndCasts = 0
	}
	ev.Ann[reportKey(l.env.Me.ID())] = r.encode()
}

// endView delivers, at the end of a primary view, as far as the member of
// the component that knew most predicted (every survivor does the same).
func (l *layer) endView(ann stack.Annotations) {
	if !l.info.Primary {
		return
	}
	target := l.p.base
	for k, b := range ann {
		if r, ok := decodeReport(b); ok && isReportKey(k) && r.view == l.env.View.Hash && r.base > target {
			target = r.base
		}
	}
	if target > l.p.end() {
		l.env.Log.Error("view ends with messages to deliver that this member does not hold", "target", target, "end", l.p.end())
		l.env.Metrics.Drop("safe-end-missing")
	}
	l.deliverTo(target)
}

func isReportKey(k string) bool { return len(k) > len(annKey)+1 && k[:len(annKey)+1] == annKey+"@" }

// choose names, at the coordinator proposing a view, the most advanced log
// and application state among the members, and vetoes the view's being
// primary while its members differ.
func (l *layer) choose(ev *stack.Event) {
	reports := map[stack.EndpID]report{}
	for k, b := range ev.Ann {
		if !isReportKey(k) {
			continue
		}
		if r, ok := decodeReport(b); ok {
			reports[stack.EndpID(k[len(annKey)+1:])] = r
		}
	}
	// A component leaving a primary view ends as its best-informed member
	// predicted.
	type ends struct{ base, end uint64 }
	comp := map[uint64]ends{}
	for _, r := range reports {
		if r.inPrimary {
			c := comp[r.view]
			comp[r.view] = ends{max(c.base, r.base), max(c.end, r.end)}
		}
	}
	final := func(r report) report {
		if r.inPrimary {
			r.base, r.end = comp[r.view].base, comp[r.view].end
		}
		return r
	}
	var c choice
	var members []report
	var veto string
	found := false
	var holderStart uint64
	for _, m := range ev.View.Members {
		id := m.ID()
		r, ok := reports[id]
		if !ok {
			veto = fmt.Sprintf("no safe-delivery report from %s", id)
			continue
		}
		r = final(r)
		members = append(members, r)
		if !r.voter {
			continue
		}
		c.base = max(c.base, r.base)
		c.est = max(c.est, r.est)
		// Among equal logs the one with no gap — that holds every
		// position it reports — is the one to fetch from.
		if !found || r.last > c.last || (r.last == c.last && (r.end > c.end || (r.end == c.end && r.start < holderStart))) {
			c.holder, c.last, c.end, c.hist, found = id, r.last, r.end, r.hist, true
			holderStart = r.start
		}
	}
	if !found {
		return
	}
	if c.base > c.end {
		l.env.Log.Error("the most advanced state is beyond the most advanced log", "state", c.base, "log", c.end)
		veto = "inconsistent logs"
	}
	for _, r := range members {
		// Every member follows the chosen lineage (it knows the epochs that
		// decide the fate of what others still hold) and holds the chosen
		// log: replicas exactly, with the chosen state; an observer at
		// least as far.
		// A replica with a gap between the chosen state and the start of
		// its log does not hold the positions in it, whatever end it
		// reports: it fetches them first.
		ok := r.last == c.last && r.end == c.end && r.base == c.base && r.start <= c.base
		if !r.voter {
			ok = r.last == c.last && r.end >= c.end
		}
		ok = ok && r.synced
		if !ok {
			veto = "members do not yet hold the same messages"
		}
	}
	ev.ViewAnn[annKey] = c.encode()
	// The replicas that delivered the most are up to date, whatever the
	// primary view they were last in.
	var upToDate []stack.Endpoint
	for _, m := range ev.View.Members {
		if r, ok := reports[m.ID()]; ok && r.voter && final(r).base == c.base {
			upToDate = append(upToDate, m)
		}
	}
	var w wire.Writer
	stack.PutEndpoints(&w, upToDate)
	ev.ViewAnn[stack.UpToDateKey] = w.B
	if veto != "" {
		ev.ViewAnn[stack.VetoPrimary] = []byte(veto)
	}
}

// Holder returns the member whose log a view's annotations name as the
// most advanced (the one the others fetch held messages from), for tools
// and tests that show where a view's internal transfer comes from.
func Holder(ann stack.Annotations) (stack.EndpID, bool) {
	b, ok := ann[annKey]
	if !ok {
		return "", false
	}
	c, ok := decodeChoice(b)
	return c.holder, ok
}
