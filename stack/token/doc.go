// Package token is the rotating-token total order (§4.3.3, §4.5): the
// alternative to the sequencer of package total, with the same contract
// toward the layers above and below it.
//
// # Ordering
//
// A view has one token. It starts at rank 0 and carries the next global
// sequence number of the view. Only the member holding the token orders
// casts: it stamps the casts the application handed it with consecutive
// numbers and multicasts them (reliably, through Nak); every member
// delivers casts in number order, and a gap waits. A cast the application
// hands over while this member does not hold the token waits in the layer
// until the token comes. A visit is bounded (maxVisitCasts casts and
// maxVisitBytes bytes, at least one cast) so that a busy member cannot
// starve the others; everything already waiting is stamped in one visit up
// to that bound, so a busy sender orders whole batches per visit, and the
// number travels in the cast's own header: the token adds no message and
// no round per cast.
//
// # Passing the token
//
// The token is a control message (best effort) and passing it takes three:
// the giver offers the token, repeating the offer every Config.Retransmit
// until the receiver acknowledges it; the acknowledgement (which the
// receiver repeats until answered) makes the giver commit it; only then
// may the receiver stamp or pass it on. Each pass increments the token's
// visit counter, and a member takes an offer only if its visit is higher
// than any it has seen: retransmissions, duplicates and stale tokens are
// acknowledged and ignored. The token of a given visit is made once, by one
// pass to one receiver, and a member owns the token from the commit that
// gives it until it commits it to the next: so at most one member owns it
// at any time. The giver keeps the ownership while the offer is
// unacknowledged — whether the receiver never got it (it failed, or the
// network split) or its acknowledgement was lost — and never commits once
// its flush has started. A single offer message would be faster, but a
// token on its way to a member that is then excluded would leave the
// survivors unable to tell whether that member (perhaps alive in another
// component) had it; with the commit, the giver's component knows it still
// owns the token and can end the view with the casts it holds ordered
// (below) instead of aborting them. A token lost with a member that fails
// is not regenerated: the view change that excludes that member ends the
// view.
//
// # Who gets the token, and idle behaviour
//
// A member that has casts waiting and does not hold the token asks every
// member for it (one small control message each, repeated every
// Retransmit while it waits, since it cannot know where the token is);
// whoever holds it hands it straight to the first asker after itself in
// rank order, at the end of its visit. A holder that has stamped keeps the
// token for a Retransmit interval after its last cast unless someone asks:
// a lone sender thus orders every cast at once, as the sequencer of Total
// orders its own, with no message about the token. When nobody asks and
// the last holder has stopped casting, the token goes round in rank order
// while something changes (a visit stamped casts, or a member's stability
// entry advanced) and parks once it has made a quiet round: when it
// reaches the member that stamped last (the park place, named in the
// token) after n-1 visits in a row that changed nothing. So an idle group
// sends nothing — no token ping-pong — every member has seen the final
// stability vector before the token stops, and the last sender finds the
// token at hand when it casts again. A member whose stability entry lags
// (casts reached it after the token's last visit) asks for the token after
// a Retransmit interval, so stability catches up without a constant
// rotation; the price is that, while a lone sender keeps casting, the
// vector advances only every Retransmit or so, and the sender's casts wait
// for the token when it has gone to update someone's entry.
//
// # Stability (§4.5)
//
// The token carries the stability vector: entry r is how many of the
// view's ordered casts member r had delivered (in order) when it last held
// the token. Each holder updates its own entry; whenever the vector a
// member knows advances, it passes it up as EStable.
//
// # View changes: Strong Prefix (§4.3.3)
//
// At EBlock a member stops ordering: if it holds the token it stamps every
// cast still waiting (the view is ending, so no bound applies) and keeps
// the token; otherwise it sends its waiting casts unordered, so that every
// survivor of the flush holds them after Sync's cut. From then on it
// passes and commits nothing: a token committed to it later is kept, but
// nothing is stamped with it. At EAnnotate every member reports, under
// stack.MemberKey("Token", id), whether it owns the token and the token's
// next number; the owner adds its final order: how many unordered casts
// it holds from each member.
//
// When the view ends, the members of a component all hold the same casts
// (Sync), so they all decide alike from the flush's annotations. If one of
// the survivors reported owning the token, no member anywhere can have
// stamped a number at or beyond that token's next number N (the owner is
// unique and froze, and only owners stamp), so the component that includes
// it is the only one that may extend the order: if it has delivered every
// number below N, it delivers the owner's final order — the casts that
// were sent unordered, by sender rank and in each sender's order, as many
// of each as the owner holds (with Sync, exactly what every survivor
// holds; a member lacking one would stop there). Every other component —
// and this one if it lacks a number below N — delivers only the
// contiguous prefix of numbered casts it holds. Everything not delivered (numbered casts beyond a gap,
// casts sent unordered) is reported with EAbort, at the sender too (its
// own casts come back to it through Nak). Since every component delivers
// a prefix of the one global numbering, and only the token's component
// appends to it, any member's deliveries in a view are a prefix of any
// other's.
//
// At EAnnotate the member owning the token knows exactly what its
// component will deliver at the view's end (the unordered casts, if
// nothing below N is missing) and adds it to EndCasts; the others add
// nothing, a lower bound.
package token
