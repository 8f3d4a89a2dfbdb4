package primary

import (
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Header kinds of the layer's control messages (first byte).
const (
	kindPass = 0 // another layer's control message
	kindDone = 1 // to the coordinator: I installed the up-to-date state of this view
)

// Annotation keys.
const (
	// annKey carries the flush's primary number (flush annotation) and the
	// view's ViewInfo (view annotation).
	annKey = "Primary"
)

// reportKey is the flush annotation key of one member's report.
func reportKey(id stack.EndpID) string { return stack.MemberKey(annKey, id) }

// report is what a member tells the coordinator when its part of a flush
// is done.
type report struct {
	view      uint64 // hash of the view the member is leaving
	voter     bool   // a replica (not an observer)
	zombie    bool
	inPrimary bool // the view it is leaving is primary
	svn       SVN  // its SVN once the view has ended (see stack.Control.EndCasts)
	ppsn      uint64
	promise   uint64 // the primary number it promised for this flush, or 0
}

const (
	flagVoter = 1 << iota
	flagZombie
	flagInPrimary
)

func (r report) encode() []byte {
	var w wire.Writer
	w.Uint64(r.view)
	var f byte
	if r.voter {
		f |= flagVoter
	}
	if r.zombie {
		f |= flagZombie
	}
	if r.inPrimary {
		f |= flagInPrimary
	}
	w.Byte(f)
	w.Uvarint(r.svn.Primary)
	w.Uvarint(r.svn.Count)
	w.Uvarint(r.ppsn)
	w.Uvarint(r.promise)
	return w.B
}

func decodeReport(b []byte) (report, bool) {
	rd := wire.NewReader(b)
	var r report
	r.view = rd.Uint64()
	f := rd.Byte()
	r.voter, r.zombie, r.inPrimary = f&flagVoter != 0, f&flagZombie != 0, f&flagInPrimary != 0
	r.svn.Primary = rd.Uvarint()
	r.svn.Count = rd.Uvarint()
	r.ppsn = rd.Uvarint()
	r.promise = rd.Uvarint()
	return r, rd.Err() == nil && rd.Remaining() == 0
}

func encodeNumber(n uint64) []byte {
	var w wire.Writer
	w.Uvarint(n)
	return w.B
}

func decodeNumber(b []byte) (uint64, bool) {
	r := wire.NewReader(b)
	n := r.Uvarint()
	return n, r.Err() == nil && r.Remaining() == 0
}
