package gmp

import (
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Control messages inside a view (first byte of the layer header).
const (
	kindPass    = 0
	kindSuspect = 1 // ranks the sender suspects
	kindLeave   = 2 // the sender wants to leave
	kindFlush   = 3 // flush number, failed, survivors, leavers
	kindFlushOK = 4 // flush tag, annotations
	kindViewAck = 5 // the sender installed this view
	kindReconf  = 6 // the sender asks for a new view with the same members
)

// Messages exchanged outside views (EGlobal with Target "gmp").
const (
	globalMergeReq     = 1
	globalMergeDeny    = 2
	globalView         = 3
	globalMergeGrant   = 4 // the coordinator will merge the request named, if confirmed
	globalMergeConfirm = 5 // the requester still waits for that merge
)

// target is the EGlobal target name of this layer.
const target = "gmp"

// prev names the flush that ends a previous view and what it carries.
type prev struct {
	id  stack.ViewID
	tag stack.FlushTag
	ann stack.Annotations
}

func putPrev(w *wire.Writer, p prev) {
	stack.PutViewID(w, p.id)
	w.Uvarint(uint64(p.tag.Coord))
	w.Uvarint(p.tag.Num)
	stack.PutAnnotations(w, p.ann)
}

func getPrev(r *wire.Reader) prev {
	var p prev
	p.id = stack.GetViewID(r)
	p.tag.Coord = r.Int(stack.MaxMembers)
	p.tag.Num = r.Uvarint()
	p.ann = stack.GetAnnotations(r)
	return p
}

// viewMsg proposes a new view. It goes to every member of the new view and
// to the members leaving, who exit when they receive it.
type viewMsg struct {
	id      stack.ViewID
	members []stack.Endpoint
	leavers []stack.Endpoint
	prevs   []prev
	viewAnn stack.Annotations // what the proposer's layers attach (EViewAnn)
	appMsg  []byte

	// Known to the proposer only (not encoded): where each member comes
	// from, and the view messages of those views.
	from     map[stack.Endpoint]stack.ViewID
	prevMsgs map[stack.ViewID][]byte
}

func (m *viewMsg) encode() []byte {
	var w wire.Writer
	w.Byte(globalView)
	stack.PutViewID(&w, m.id)
	stack.PutEndpoints(&w, m.members)
	stack.PutEndpoints(&w, m.leavers)
	w.Uvarint(uint64(len(m.prevs)))
	for _, p := range m.prevs {
		putPrev(&w, p)
	}
	stack.PutAnnotations(&w, m.viewAnn)
	w.Bytes(m.appMsg)
	return w.B
}

func decodeView(r *wire.Reader) (*viewMsg, error) {
	m := &viewMsg{}
	m.id = stack.GetViewID(r)
	m.members = stack.GetEndpoints(r)
	m.leavers = stack.GetEndpoints(r)
	n := r.Count(16, 8)
	for i := 0; i < n && r.Err() == nil; i++ {
		m.prevs = append(m.prevs, getPrev(r))
	}
	m.viewAnn = stack.GetAnnotations(r)
	m.appMsg = r.Bytes(r.Remaining())
	return m, r.Err()
}

// mergeReq asks the coordinator of a larger view to absorb the sender's
// component, which has already been flushed.
type mergeReq struct {
	from      stack.ViewID     // the requester's view
	into      stack.ViewID     // the view the requester wants to join
	members   []stack.Endpoint // every member of the requester's view
	survivors []stack.Endpoint // who moves into the merged view
	leavers   []stack.Endpoint // who leaves with the flush
	prev      prev             // the requester's completed flush
	ltime     uint64           // highest logical time the requester knows
	viewMsg   []byte           // the view message of the requester's view
}

func (m *mergeReq) encode() []byte {
	var w wire.Writer
	w.Byte(globalMergeReq)
	stack.PutViewID(&w, m.from)
	stack.PutViewID(&w, m.into)
	stack.PutEndpoints(&w, m.members)
	stack.PutEndpoints(&w, m.survivors)
	stack.PutEndpoints(&w, m.leavers)
	putPrev(&w, m.prev)
	w.Uvarint(m.ltime)
	w.Bytes(m.viewMsg)
	return w.B
}

func decodeMergeReq(r *wire.Reader) (*mergeReq, error) {
	m := &mergeReq{}
	m.from = stack.GetViewID(r)
	m.into = stack.GetViewID(r)
	m.members = stack.GetEndpoints(r)
	m.survivors = stack.GetEndpoints(r)
	m.leavers = stack.GetEndpoints(r)
	m.prev = getPrev(r)
	m.ltime = r.Uvarint()
	m.viewMsg = r.Bytes(r.Remaining())
	return m, r.Err()
}

// mergeGrant names a merge request (its view and flush) and a nonce: the
// coordinator's grant, and the requester's confirmation echoing it.
type mergeGrant struct {
	from  stack.ViewID
	tag   stack.FlushTag
	nonce uint64
}

func (g mergeGrant) encode(kind byte) []byte {
	var w wire.Writer
	w.Byte(kind)
	stack.PutViewID(&w, g.from)
	w.Uvarint(uint64(g.tag.Coord))
	w.Uvarint(g.tag.Num)
	w.Uint64(g.nonce)
	return w.B
}

func decodeMergeGrant(r *wire.Reader) (mergeGrant, error) {
	var g mergeGrant
	g.from = stack.GetViewID(r)
	g.tag.Coord = r.Int(stack.MaxMembers)
	g.tag.Num = r.Uvarint()
	g.nonce = r.Uint64()
	return g, r.Err()
}

// names reports whether the grant is for request req.
func (g mergeGrant) names(req *mergeReq) bool {
	return req != nil && g.from == req.from && g.tag == req.prev.tag
}

func encodeMergeDeny(from stack.ViewID) []byte {
	var w wire.Writer
	w.Byte(globalMergeDeny)
	stack.PutViewID(&w, from)
	return w.B
}

// flushMsg starts (or restarts) a flush.
type flushMsg struct {
	num       uint64
	failed    []int
	survivors []int
	leavers   []int
	ann       stack.Annotations // what the coordinator's layers send along (EFlushAnn)
}

func (f *flushMsg) encode() []byte {
	var w wire.Writer
	w.Byte(kindFlush)
	w.Uvarint(f.num)
	stack.PutRanks(&w, f.failed)
	stack.PutRanks(&w, f.survivors)
	stack.PutRanks(&w, f.leavers)
	stack.PutAnnotations(&w, f.ann)
	return w.B
}

func decodeFlush(r *wire.Reader, n int) (*flushMsg, error) {
	f := &flushMsg{}
	f.num = r.Uvarint()
	f.failed = stack.GetRanks(r, n)
	f.survivors = stack.GetRanks(r, n)
	f.leavers = stack.GetRanks(r, n)
	f.ann = stack.GetAnnotations(r)
	return f, r.Err()
}

func contains(rs []int, r int) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func containsEndpoint(es []stack.Endpoint, e stack.Endpoint) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

// overlap reports whether two member lists share an address: the same
// member, or two incarnations of one (only one of which can be alive — an
// address hosts one process at a time — so a view must never hold both).
func overlap(a, b []stack.Endpoint) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Addr == y.Addr {
				return true
			}
		}
	}
	return false
}
