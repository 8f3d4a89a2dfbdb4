package safe

import (
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Header kinds (first byte of the layer's header on control messages and
// point-to-point messages; casts carry no header of this layer).
const (
	kindPass    = 0 // another layer's message
	kindStable  = 1 // ECtrl: the sender holds the group's history up to a position, has delivered up to another, and knows a majority holds up to a third
	kindFetch   = 2 // ESend: send me your held messages after a position
	kindEntries = 3 // ESend: held messages, from a position on
	kindEnd     = 4 // ESend: the fetched log is complete: its lineage, end and epochs
	kindBase    = 5 // ESend: the run the sender's state (the chosen one) ends inside, counted up to that position
)

// annKey names the layer's view annotation (the chosen log).
const annKey = "Safe"

// maxBatch bounds the content of one kindEntries message.
const maxBatch = 256 << 10

func reportKey(id stack.EndpID) string { return stack.MemberKey(annKey, id) }

// reportEpochs bounds the epochs a member reports in a flush (and a view
// annotation carries): the most recent ones, which are those a member
// holding undelivered messages may need.
const reportEpochs = 32

// report is a member's state at the end of its part of a flush, as it
// will be once the view has ended.
type report struct {
	view      uint64 // hash of the view the member leaves
	voter     bool
	inPrimary bool
	last      uint64 // primary view whose order its log follows
	est       uint64 // newest primary view it knows established in that lineage
	base      uint64 // position delivered once the view has ended (predicted)
	end       uint64 // end of its log once the view has ended (predicted)
	// start is where the log it holds begins. Past base it has a gap: it
	// adopted a log whose start was beyond its state, waiting for a state
	// transfer that never came, and holds nothing from base to start.
	start  uint64
	synced bool // it holds the log chosen for its view, with exact epochs
	hist   history
}

func (r report) encode() []byte {
	var w wire.Writer
	w.Uint64(r.view)
	w.Bool(r.voter)
	w.Bool(r.inPrimary)
	w.Uvarint(r.last)
	w.Uvarint(r.est)
	w.Uvarint(r.base)
	w.Uvarint(r.end)
	w.Uvarint(r.start)
	w.Bool(r.synced)
	putHistory(&w, r.hist.recent(reportEpochs))
	return w.B
}

func decodeReport(b []byte) (report, bool) {
	rd := wire.NewReader(b)
	r := report{view: rd.Uint64(), voter: rd.Bool(), inPrimary: rd.Bool(), last: rd.Uvarint(), est: rd.Uvarint(), base: rd.Uvarint(), end: rd.Uvarint(), start: rd.Uvarint(), synced: rd.Bool()}
	r.hist = getHistory(rd)
	return r, rd.Err() == nil && rd.Remaining() == 0 && r.base <= r.end && r.start <= r.end
}

// choice is the layer's view annotation: the log every member of the view
// must hold before it can be primary.
type choice struct {
	holder stack.EndpID // the member with the most advanced log
	last   uint64       // the primary view it follows
	est    uint64       // the newest primary view known established (any member's knowledge)
	end    uint64       // its end
	base   uint64       // the most advanced application state (position delivered)
	hist   history      // the chosen log's most recent epochs
}

func (c choice) encode() []byte {
	var w wire.Writer
	w.String(string(c.holder))
	w.Uvarint(c.last)
	w.Uvarint(c.est)
	w.Uvarint(c.end)
	w.Uvarint(c.base)
	putHistory(&w, c.hist.recent(reportEpochs))
	return w.B
}

func decodeChoice(b []byte) (choice, bool) {
	r := wire.NewReader(b)
	c := choice{holder: stack.EndpID(r.String(stack.MaxAddrLen + 24)), last: r.Uvarint(), est: r.Uvarint(), end: r.Uvarint(), base: r.Uvarint()}
	c.hist = getHistory(r)
	return c, r.Err() == nil && r.Remaining() == 0 && c.base <= c.end
}

func putEntry(w *wire.Writer, e entry) {
	w.Uvarint(e.id.primary)
	w.Uvarint(uint64(e.id.rank))
	w.Uvarint(e.id.index)
	stack.PutEndpoint(w, e.from)
	w.Bytes(e.msg)
}

func getEntry(r *wire.Reader, maxMsg int) entry {
	var e entry
	e.id.primary = r.Uvarint()
	e.id.rank = r.Int(stack.MaxMembers)
	e.id.index = r.Uvarint()
	e.from = stack.GetEndpoint(r)
	e.msg = append([]byte(nil), r.Bytes(maxMsg)...)
	return e
}

func putHistory(w *wire.Writer, h history) {
	w.Uvarint(h.since)
	w.Bool(h.cut)
	w.Uvarint(uint64(len(h.runs)))
	for _, e := range h.runs {
		w.Uvarint(e.primary)
		w.Uvarint(e.first)
		w.Bool(e.split)
		w.Uvarint(uint64(len(e.counts)))
		for _, c := range e.counts {
			w.Uvarint(c)
		}
	}
}

func getHistory(r *wire.Reader) history {
	var h history
	h.since = r.Uvarint()
	h.cut = r.Bool()
	n := r.Count(maxEpochs, 3)
	es := make([]epoch, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		e := epoch{primary: r.Uvarint(), first: r.Uvarint(), split: r.Bool()}
		k := r.Count(stack.MaxMembers, 1)
		e.counts = make([]uint64, k)
		for j := range e.counts {
			e.counts[j] = r.Uvarint()
		}
		es = append(es, e)
	}
	h.runs = es
	return h
}
