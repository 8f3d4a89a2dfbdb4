package total

import (
	"sort"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

const (
	kindPass    = 0 // point-to-point or control message, not ordered
	kindData    = 1 // a cast from a member other than the sequencer: lseq
	kindOrdered = 2 // a cast from the sequencer: its global sequence number
	kindOrder   = 3 // the sequencer's ordering of other members' casts

	annKey = "Total"
)

// Protocol is the total-order protocol.
type Protocol struct{}

// Name returns "Total".
func (Protocol) Name() string { return "Total" }

// NewLayer returns the layer for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	return &layer{
		env:     env,
		isSeq:   env.View.Rank == 0,
		nextG:   1,
		deliver: 1,
		orders:  make(map[uint64]ident),
		byG:     make(map[uint64]*stack.Event),
		pending: make(map[ident]*stack.Event),
	}
}

// ident names a cast from a member other than the sequencer.
type ident struct {
	sender int
	lseq   uint64
}

// run orders count consecutive casts of one sender.
type run struct {
	sender int
	lseq   uint64
	count  uint64
}

type layer struct {
	env   *stack.Env
	isSeq bool

	myLseq    uint64 // this member's unordered casts so far
	nextG     uint64 // sequencer: next global number to assign
	announced uint64 // sequencer: highest number already in the cast stream
	batch     []run  // sequencer: assignments not yet announced
	batchFrom uint64 // first global number of batch
	blocked   bool

	// Casts waiting for delivery are kept as the events that brought them
	// up, which are handed up again when their turn comes: no layer below
	// uses an event once it has passed it up.
	deliver  uint64                  // next global number to deliver
	orders   map[uint64]ident        // known assignments not yet delivered
	byG      map[uint64]*stack.Event // sequencer casts, by global number
	pending  map[ident]*stack.Event  // received casts waiting for their number
	assigned map[ident]bool          // sequencer: casts already numbered
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		if l.isSeq {
			g := l.nextG
			l.nextG++
			l.flushBatch() // keep announcements in global order
			l.announced = g
			ev.Msg.PushKind(kindOrdered, g)
		} else {
			l.myLseq++
			ev.Msg.PushKind(kindData, l.myLseq)
		}
		l.env.PassDown(ev)
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
	case stack.ESend, stack.ECtrl:
		if k, err := ev.Msg.PopByte(); err != nil || k != kindPass {
			l.env.Metrics.Drop("total-malformed")
			return
		}
		l.env.PassUp(ev)
	case stack.EBlock:
		l.flushBatch()
		l.blocked = true
		l.env.PassUp(ev)
	case stack.EAnnotate:
		if l.isSeq {
			ev.Ann[annKey] = l.finalOrder()
			// The final order numbers everything held here, so every
			// survivor delivers all of it when the view ends.
			ev.EndCasts = uint64(len(l.pending) + len(l.byG))
		}
		l.env.PassUp(ev)
	case stack.EViewEnd:
		l.endView(ev.Ann[annKey])
		l.env.PassUp(ev)
	default:
		l.env.PassUp(ev)
	}
}

func (l *layer) castUp(ev *stack.Event) {
	kind, err := ev.Msg.PopByte()
	if err != nil {
		l.env.Metrics.Drop("total-malformed")
		return
	}
	r := ev.Msg.Reader()
	switch kind {
	case kindData:
		lseq := r.Uvarint()
		if r.Err() != nil || ev.Peer == 0 || ev.Msg.Skip(r.Consumed()) != nil {
			l.env.Metrics.Drop("total-malformed")
			return
		}
		id := ident{ev.Peer, lseq}
		l.pending[id] = ev
		if l.isSeq && !l.blocked {
			l.assign(id)
		}
	case kindOrdered:
		g := r.Uvarint()
		if r.Err() != nil || ev.Peer != 0 || ev.Msg.Skip(r.Consumed()) != nil {
			l.env.Metrics.Drop("total-malformed")
			return
		}
		if g == l.deliver {
			// Its turn already (the common case: the sequencer's casts
			// arrive in order): up at once, without a trip through byG.
			l.deliver++
			l.env.PassUp(ev)
			break
		}
		l.byG[g] = ev
	case kindOrder:
		if ev.Peer != 0 {
			l.env.Metrics.Drop("total-malformed")
			return
		}
		if !l.learn(r) {
			l.env.Metrics.Drop("total-malformed")
			return
		}
	default:
		l.env.Metrics.Drop("total-malformed")
		return
	}
	l.deliverReady()
}

// assign gives the next global number to a cast (sequencer only).
func (l *layer) assign(id ident) {
	if l.assigned == nil {
		l.assigned = make(map[ident]bool)
	}
	if l.assigned[id] {
		return
	}
	l.assigned[id] = true
	g := l.nextG
	l.nextG++
	l.orders[g] = id
	if n := len(l.batch); n > 0 && l.batch[n-1].sender == id.sender && l.batch[n-1].lseq+l.batch[n-1].count == id.lseq {
		l.batch[n-1].count++
		return
	}
	if len(l.batch) == 0 {
		l.batchFrom = g
	}
	l.batch = append(l.batch, run{id.sender, id.lseq, 1})
}

// Idle announces the assignments made since the last announcement.
func (l *layer) Idle() { l.flushBatch() }

func (l *layer) flushBatch() {
	if len(l.batch) == 0 || l.blocked {
		return
	}
	var w wire.Writer
	w.Byte(kindOrder)
	encodeRuns(&w, l.batchFrom, l.batch)
	l.announced = l.batchFrom
	for _, r := range l.batch {
		l.announced += r.count
	}
	l.announced--
	l.batch = l.batch[:0]
	m := wire.NewMsg(nil)
	m.Push(w.B)
	l.env.PassDown(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: m})
}

func encodeRuns(w *wire.Writer, from uint64, runs []run) {
	w.Uvarint(from)
	w.Uvarint(uint64(len(runs)))
	for _, r := range runs {
		w.Uvarint(uint64(r.sender))
		w.Uvarint(r.lseq)
		w.Uvarint(r.count)
	}
}

// learn records the assignments of an ORDER message or final order.
func (l *layer) learn(r *wire.Reader) bool {
	g := r.Uvarint()
	n := r.Count(1<<20, 3)
	if r.Err() != nil || g == 0 {
		return false
	}
	maxSender := l.env.View.N() - 1
	for i := 0; i < n; i++ {
		sender := r.Int(maxSender)
		lseq := r.Uvarint()
		count := r.Uvarint()
		if r.Err() != nil || sender == 0 || count == 0 || count > 1<<24 {
			return false
		}
		for k := uint64(0); k < count; k++ {
			if g >= l.deliver {
				l.orders[g] = ident{sender, lseq + k}
			}
			g++
		}
	}
	return r.Err() == nil
}

// deliverReady delivers, in global order, every cast whose number and
// content are both known.
func (l *layer) deliverReady() {
	for {
		g := l.deliver
		if ev, ok := l.byG[g]; ok {
			delete(l.byG, g)
			l.deliver++
			l.env.PassUp(ev) // ECast from rank 0, as it came
			continue
		}
		id, ok := l.orders[g]
		if !ok {
			return
		}
		ev, ok := l.pending[id]
		if !ok {
			return
		}
		delete(l.orders, g)
		delete(l.pending, id)
		delete(l.assigned, id)
		l.deliver++
		l.env.PassUp(ev) // ECast from id.sender, as it came
	}
}

// finalOrder (sequencer, at the end of a flush) numbers every cast it
// holds that was never numbered and returns every number not yet announced
// in the stream, as the annotation the next view carries. The unannounced
// assignments stay in the batch, so a restarted flush returns a longer
// final order that starts the same way.
func (l *layer) finalOrder() []byte {
	var ids []ident
	for id := range l.pending {
		if !l.assigned[id] {
			ids = append(ids, id)
		}
	}
	sortIdents(ids)
	for _, id := range ids {
		l.assign(id)
	}
	from := l.announced + 1
	if len(l.batch) > 0 {
		from = l.batchFrom
	}
	var w wire.Writer
	encodeRuns(&w, from, l.batch)
	return w.B
}

func sortIdents(ids []ident) {
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].sender != ids[j].sender {
			return ids[i].sender < ids[j].sender
		}
		return ids[i].lseq < ids[j].lseq
	})
}

// endView delivers what the final order allows and aborts the rest.
func (l *layer) endView(final []byte) {
	if final != nil && !l.learn(wire.NewReader(final)) {
		l.env.Metrics.Drop("total-malformed")
	}
	l.deliverReady()
	var left []ident
	for id := range l.pending {
		left = append(left, id)
	}
	sortIdents(left)
	gs := make([]uint64, 0, len(l.byG))
	for g := range l.byG {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i] < gs[j] })
	for _, g := range gs {
		ev := l.byG[g]
		ev.Type = stack.EAbort
		l.env.PassUp(ev)
	}
	for _, id := range left {
		ev := l.pending[id]
		ev.Type = stack.EAbort
		l.env.PassUp(ev)
	}
	l.pending = map[ident]*stack.Event{}
	l.byG = map[uint64]*stack.Event{}
}

func (l *layer) Tick(time.Time) {}
