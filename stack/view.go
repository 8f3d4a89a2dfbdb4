package stack

import (
	"hash/fnv"
	"strconv"
)

// ViewID identifies a view. Views are ordered by logical time first and by
// coordinator second; every member installs views in strictly increasing
// ViewID order, which gives the Consistent Ordering property of §4.3.1.
type ViewID struct {
	Ltime uint64   // logical time: one more than the highest ltime of the views it succeeds
	Coord Endpoint // the member that proposed the view (its rank 0)
}

// Less reports whether v orders before o.
func (v ViewID) Less(o ViewID) bool {
	if v.Ltime != o.Ltime {
		return v.Ltime < o.Ltime
	}
	return v.Coord.less(o.Coord)
}

// String renders the id as "<ltime>@<coordinator>".
func (v ViewID) String() string {
	return strconv.FormatUint(v.Ltime, 10) + "@" + v.Coord.String()
}

// Hash returns the 64-bit value that tags every packet sent in the view.
func (v ViewID) Hash() uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(v.Ltime >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(v.Coord.ID()))
	return h.Sum64()
}

// View is an installed membership view as the stack sees it. Ranks are
// indexes into Members; rank 0 is the coordinator. A View is immutable once
// installed.
type View struct {
	ID      ViewID
	Members []Endpoint
	Rank    int    // this member's rank
	Hash    uint64 // ID.Hash(), cached

	ids []EndpID // Members[i].ID(), cached
}

// MemberID returns the identifier of the member of rank r.
func (v *View) MemberID(r int) EndpID { return v.ids[r] }

// NewView builds the view with the given id and members as seen by me
// (Rank is -1 if me is not a member) and caches its hash.
func NewView(id ViewID, members []Endpoint, me Endpoint) *View {
	return newView(id, members, me)
}

func newView(id ViewID, members []Endpoint, me Endpoint) *View {
	v := &View{ID: id, Members: members, Rank: -1, Hash: id.Hash(), ids: make([]EndpID, len(members))}
	for i, m := range members {
		if m == me {
			v.Rank = i
		}
		v.ids[i] = m.ID()
	}
	return v
}

// N returns the number of members.
func (v *View) N() int { return len(v.Members) }

// RankOf returns the rank of endpoint e, or -1 if e is not a member.
func (v *View) RankOf(e Endpoint) int {
	for i, m := range v.Members {
		if m == e {
			return i
		}
	}
	return -1
}

// Contains reports whether e is a member.
func (v *View) Contains(e Endpoint) bool { return v.RankOf(e) >= 0 }
