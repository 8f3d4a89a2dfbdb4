package primary

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// layer is the Primary layer of one view.
type layer struct {
	p       *Protocol
	env     *stack.Env
	info    ViewInfo
	decided bool // a flush decided info (not so for the view a member starts in)
	stale   bool // this member must receive the up-to-date state
	coord   bool // rank 0: reinstalls the view when it can be primary

	flushN  map[stack.FlushTag]uint64 // coordinator: the number each of its flushes carried
	done    map[int]bool              // coordinator: stale members that have the state
	doneDue time.Time                 // stale member: when to repeat its done report
	sentAt  time.Time
	reinst  time.Time // coordinator: when to reinstall (zero: not planned)
	asked   bool      // coordinator: reinstall requested in this view
}

func (l *layer) Start() {
	if !l.info.Primary {
		l.env.PassUp(&stack.Event{Type: stack.ECastHold})
		l.planReinstall()
	}
}

// planReinstall schedules, at the coordinator, the reinstallation of a
// non-primary view that can become primary: it holds a majority and
// nobody waits for state.
func (l *layer) planReinstall() {
	if !l.coord || l.info.Primary || l.asked {
		return
	}
	if !l.decided {
		// The view a member starts in is installed without a flush, so
		// nothing decided it. A group of one replica is a majority alone:
		// a flush decides that view, and no other member would come to
		// start one.
		if l.p.opts.Replicas == 1 && !l.p.opts.Observer && !l.p.zombie && l.reinst.IsZero() {
			l.reinst = l.env.Now().Add(l.p.reinstallDelay(l.env.Config))
		}
		return
	}
	if l.info.Counted < l.info.Majority() || l.info.Counted > l.info.Replicas {
		return
	}
	for _, id := range l.info.Stale {
		if r := l.rank(id); r < 0 || !l.done[r] {
			return
		}
	}
	if l.reinst.IsZero() {
		l.reinst = l.env.Now().Add(l.p.reinstallDelay(l.env.Config))
	}
}

func (l *layer) rank(id stack.EndpID) int {
	v := l.env.View
	for r := 0; r < v.N(); r++ {
		if v.MemberID(r) == id {
			return r
		}
	}
	return -1
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		if !l.info.Primary {
			// The engine holds casts in a non-primary view; this is a cast
			// that slipped through, and it must not be sent.
			l.env.Metrics.Drop("primary-cast-not-primary")
			return
		}
	case stack.ECtrl:
		ev.Msg.PushByte(kindPass)
	case stack.EUpToDate:
		l.upToDate()
	}
	l.env.PassDown(ev)
}

// upToDate: the application installed the up-to-date state.
func (l *layer) upToDate() {
	if !l.stale {
		return
	}
	l.stale = false
	l.p.svn = l.info.SVN
	l.reportDone()
}

func (l *layer) reportDone() {
	if l.coord {
		l.markDone(0)
		return
	}
	m := wire.NewMsg(nil)
	m.PushByte(kindDone)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: m})
	l.sentAt = l.env.Now()
}

func (l *layer) markDone(r int) {
	if !l.coord || r < 0 || r >= l.env.View.N() || l.done[r] {
		return
	}
	l.done[r] = true
	l.planReinstall()
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		if !l.info.Primary {
			l.env.Metrics.Drop("primary-cast-not-primary")
			return
		}
		l.p.svn.Count++
	case stack.ECtrl:
		k, err := ev.Msg.PopByte()
		switch {
		case err != nil:
			l.env.Metrics.Drop("primary-malformed")
			return
		case k == kindDone:
			l.markDone(ev.Peer)
			return
		case k != kindPass:
			l.env.Metrics.Drop("primary-malformed")
			return
		}
	case stack.EFlushAnn:
		n := l.p.ppsn + 1
		if l.flushN == nil {
			l.flushN = map[stack.FlushTag]uint64{}
		}
		l.flushN[ev.Flush] = n
		ev.Ann[annKey] = encodeNumber(n)
	case stack.EFlush:
		l.promise(ev)
	case stack.EAnnotate:
		l.annotate(ev)
	case stack.EViewAnn:
		l.annotateView(ev)
	}
	l.env.PassUp(ev)
}

// promise adopts the primary number a flush carries if it is larger than
// any promised before (the PPSN rule).
func (l *layer) promise(ev *stack.Event) {
	b, ok := ev.Ann[annKey]
	if !ok {
		return
	}
	n, ok := decodeNumber(b)
	if !ok {
		l.env.Metrics.Drop("primary-malformed")
		return
	}
	if n > l.p.ppsn {
		l.p.ppsn = n
		l.p.promisedTag, l.p.promisedN = ev.Flush, n
	}
}

// annotate reports this member's state to the flush's coordinator.
func (l *layer) annotate(ev *stack.Event) {
	r := report{
		view:      l.env.View.Hash,
		voter:     !l.p.opts.Observer,
		zombie:    l.p.zombie,
		inPrimary: l.info.Primary,
		svn:       l.p.svn,
		ppsn:      l.p.ppsn,
	}
	if l.info.Primary {
		r.svn.Count += ev.EndCasts
	}
	if l.p.promisedTag == ev.Flush && l.p.promisedN > 0 {
		r.promise = l.p.promisedN
	}
	ev.Ann[reportKey(l.env.Me.ID())] = r.encode()
}

// annotateView decides, at the coordinator, whether the view it proposes
// is primary.
func (l *layer) annotateView(ev *stack.Event) {
	p := proposal{
		members:  ev.View.Members,
		prevs:    ev.Prevs,
		reports:  map[stack.EndpID]report{},
		replicas: l.p.opts.Replicas,
	}
	for _, m := range ev.View.Members {
		if b, ok := ev.Ann[reportKey(m.ID())]; ok {
			if r, ok := decodeReport(b); ok {
				p.reports[m.ID()] = r
			}
		}
	}
	// Leavers' reports count for their component's end of view.
	for k, b := range ev.Ann {
		if len(k) > len(annKey) && k[:len(annKey)+1] == annKey+"@" {
			id := stack.EndpID(k[len(annKey)+1:])
			if _, seen := p.reports[id]; !seen {
				if r, ok := decodeReport(b); ok {
					p.reports[id] = r
				}
			}
		}
	}
	for _, n := range l.flushN {
		p.number = max(p.number, n)
	}
	if b, ok := ev.ViewAnn[stack.VetoPrimary]; ok {
		p.veto = string(b)
	}
	if b, ok := ev.ViewAnn[stack.UpToDateKey]; ok {
		r := wire.NewReader(b)
		es := stack.GetEndpoints(r)
		if r.Err() == nil {
			p.upToDate = map[stack.EndpID]bool{}
			for _, e := range es {
				p.upToDate[e.ID()] = true
			}
		}
	}
	info := decide(p)
	if info.Primary {
		// The view is the end of the flush this coordinator ran last.
		l.p.retries = 0
	} else if len(l.flushN) > 0 {
		l.p.retries++
	}
	ev.ViewAnn[annKey] = info.encode()
}

func (l *layer) Tick(now time.Time) {
	if l.stale || l.info.Primary {
		return
	}
	if !l.coord && !l.sentAt.IsZero() && now.Sub(l.sentAt) >= 10*l.env.Config.Retransmit {
		l.reportDone() // the coordinator may not have heard it
	}
	if l.coord && !l.reinst.IsZero() && !now.Before(l.reinst) && !l.asked {
		l.asked = true
		l.env.Log.Debug("reinstalling the view as primary", "view", l.env.View.ID)
		l.env.PassDown(&stack.Event{Type: stack.EReconfigure})
	}
}
