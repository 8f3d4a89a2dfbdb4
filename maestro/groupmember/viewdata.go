package groupmember

import (
	"slices"

	"github.com/maestro-go/maestro/maestro/message"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/primary"
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

	// Primary says casts are allowed in the view: with the Primary
	// property, that the view is primary (§4.4.2); without it, always.
	Primary bool
	// The rest is set only with the Primary property. PrimaryNum is the
	// view's primary number (0 when not primary). UpToDate lists the
	// replicas holding the most advanced state, Stale those that must
	// receive it (and report it with UpToDate) before the view can be
	// primary; Zombies the replicas not counted toward this view's
	// majority (in a primary view they count again from then on).
	// Counted of Replicas is how many replicas of the view count toward
	// the majority of the configured number; NotPrimary says why a view is
	// not primary.
	PrimaryNum        uint64
	UpToDate, Stale   []EndpID
	Zombies           []EndpID
	Counted, Replicas int
	NotPrimary        string
}

// IsStale reports whether this member must receive the up-to-date state.
func (v *ViewData) IsStale() bool { return slices.Contains(v.Stale, v.Me) }

// Contains reports whether id is a member of the view.
func (v *ViewData) Contains(id EndpID) bool { return slices.Contains(v.Members, id) }

// newViewData describes v relative to the previous view (nil at first),
// with its primary verdict (nil without the Primary property).
func newViewData(v *stack.View, prev *ViewData, me stack.Endpoint, pi *primary.ViewInfo) *ViewData {
	vd := &ViewData{ID: v.ID.String(), Ltime: v.ID.Ltime, Me: me.ID(), Rank: v.RankOf(me), Primary: true}
	if pi != nil {
		vd.Primary, vd.PrimaryNum, vd.NotPrimary = pi.Primary, pi.Number, pi.Reason
		vd.UpToDate, vd.Stale, vd.Zombies = pi.UpToDate, pi.Stale, pi.Zombies
		vd.Counted, vd.Replicas = pi.Counted, pi.Replicas
	}
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
