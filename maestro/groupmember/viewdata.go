package groupmember

import (
	"slices"

	"github.com/maestro-go/maestro/maestro/message"

	"github.com/maestro-go/maestro/stack"
)

// EndpID identifies a member incarnation ("<addr>/<incarnation>").
type EndpID = stack.EndpID

// ViewData describes an installed view as seen by one member.
type ViewData struct {
	ID          string   // the view's identifier, "<ltime>@<coordinator>"
	Ltime       uint64   // the view's logical time; increases with every view
	Members     []EndpID // in rank order; Members[0] is the coordinator
	New         []EndpID // members that were not in this member's previous view
	Departed    []EndpID // members of the previous view that are not in this one
	Coordinator EndpID
	Me          EndpID
	Rank        int // this member's index in Members
	// Infos, Prev and PrevMsgs are set only in the ViewData given to
	// ViewMsg. Infos holds each member's info (SetInfo) as it was when the
	// view change began (members that never set one are absent); Prev the
	// view each member comes from (by ID); PrevMsgs the view message each
	// of those views was installed with.
	Infos    map[EndpID]*message.Message
	Prev     map[EndpID]string
	PrevMsgs map[string]*message.Message
}

// Contains reports whether id is a member of the view.
func (v *ViewData) Contains(id EndpID) bool { return slices.Contains(v.Members, id) }

// newViewData describes v relative to the previous view (nil at first).
func newViewData(v *stack.View, prev *ViewData, me stack.Endpoint) *ViewData {
	vd := &ViewData{ID: v.ID.String(), Ltime: v.ID.Ltime, Me: me.ID(), Rank: v.RankOf(me)}
	for _, m := range v.Members {
		vd.Members = append(vd.Members, m.ID())
	}
	if len(vd.Members) > 0 {
		vd.Coordinator = vd.Members[0]
	}
	var before []EndpID
	if prev != nil {
		before = prev.Members
	}
	for _, m := range vd.Members {
		if !slices.Contains(before, m) {
			vd.New = append(vd.New, m)
		}
	}
	for _, m := range before {
		if !slices.Contains(vd.Members, m) {
			vd.Departed = append(vd.Departed, m)
		}
	}
	return vd
}
