package primary

import (
	"fmt"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// ViewInfo is the Primary layer's verdict on a view, decided by the
// coordinator that proposed it and carried to every member with the view
// (stack.Upcall.Ann; decode it with Info).
type ViewInfo struct {
	// Primary says the view is primary: its members may cast.
	Primary bool
	// Number is the primary view number (0 when not primary).
	Number uint64
	// PPSN is the potential primary sequence number every member adopts.
	PPSN uint64
	// SVN is the state version of the up-to-date replicas: what a stale
	// replica's state becomes once it has received theirs.
	SVN SVN
	// UpToDate lists the replicas holding the most advanced state, Stale
	// those that must receive it before the view can be primary.
	UpToDate, Stale []stack.EndpID
	// Zombies lists the replicas that do not count toward the majority yet.
	Zombies []stack.EndpID
	// Replicas is the configured number of replicas; Counted how many
	// replicas of the view count toward the majority (non-zombies).
	Replicas, Counted int
	// Reason says why the view is not primary (empty when it is).
	Reason string
}

// Majority returns how many counted replicas a primary view needs.
func (v ViewInfo) Majority() int { return v.Replicas/2 + 1 }

// IsStale reports whether id must receive the state.
func (v ViewInfo) IsStale(id stack.EndpID) bool { return containsID(v.Stale, id) }

// String summarises the verdict for logs and operators.
func (v ViewInfo) String() string {
	if v.Primary {
		return fmt.Sprintf("primary #%d (%d of %d replicas)", v.Number, v.Counted, v.Replicas)
	}
	return fmt.Sprintf("not primary (%d of %d replicas): %s", v.Counted, v.Replicas, v.Reason)
}

// Info decodes the ViewInfo a view was installed with; ok is false when
// the view carries none (a member's first, singleton view, or a stack
// without the Primary property).
func Info(ann stack.Annotations) (v ViewInfo, ok bool) {
	b, present := ann[annKey]
	if !present {
		return ViewInfo{}, false
	}
	r := wire.NewReader(b)
	v.Primary = r.Bool()
	v.Number = r.Uvarint()
	v.PPSN = r.Uvarint()
	v.SVN.Primary = r.Uvarint()
	v.SVN.Count = r.Uvarint()
	v.UpToDate = getIDs(r)
	v.Stale = getIDs(r)
	v.Zombies = getIDs(r)
	v.Replicas = r.Int(stack.MaxMembers * 16)
	v.Counted = r.Int(stack.MaxMembers)
	v.Reason = r.String(1024)
	if r.Err() != nil || r.Remaining() != 0 {
		return ViewInfo{}, false
	}
	return v, true
}

// Put writes the verdict into a view's annotations, where Info finds it
// (the coordinator's layer does; layer tests build views with it).
func (v ViewInfo) Put(ann stack.Annotations) { ann[annKey] = v.encode() }

func (v ViewInfo) encode() []byte {
	var w wire.Writer
	w.Bool(v.Primary)
	w.Uvarint(v.Number)
	w.Uvarint(v.PPSN)
	w.Uvarint(v.SVN.Primary)
	w.Uvarint(v.SVN.Count)
	putIDs(&w, v.UpToDate)
	putIDs(&w, v.Stale)
	putIDs(&w, v.Zombies)
	w.Uvarint(uint64(v.Replicas))
	w.Uvarint(uint64(v.Counted))
	w.String(v.Reason)
	return w.B
}

func putIDs(w *wire.Writer, ids []stack.EndpID) {
	w.Uvarint(uint64(len(ids)))
	for _, id := range ids {
		w.String(string(id))
	}
}

func getIDs(r *wire.Reader) []stack.EndpID {
	n := r.Count(stack.MaxMembers, 1)
	if r.Err() != nil || n == 0 {
		return nil
	}
	ids := make([]stack.EndpID, n)
	for i := range ids {
		ids[i] = stack.EndpID(r.String(stack.MaxAddrLen + 24))
	}
	return ids
}

func containsID(ids []stack.EndpID, id stack.EndpID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
