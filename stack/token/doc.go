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
// The token is a control message (best effort), so the holder retransmits
// it every Config.Retransmit until the receiver acknowledges it. Each pass
// increments the token's visit counter, and a member accepts only a token
// with a higher visit than any it has seen: retransmissions, duplicates and
// stale tokens are acknowledged and ignored. The token with a given visit
// is made once, by one pass to one receiver, so at any time at most one
// member holds the token. A token lost with a member that fails is not
// regenerated: the view change that excludes that member ends the view.
//
// # Idle behaviour
//
// The token circulates in rank order while something changes — a visit
// stamped casts, or a member's entry of the stability vector advanced —
// and parks once it has made a quiet round: when it reaches the member
// that stamped last (the park place, named in the token) after n-1 visits
// in a row that changed nothing. So an idle group sends nothing, and every
// member has seen the final token (and learnt the park place) before the
// token stops. A member that wants the token — it has casts waiting, or it
// delivered casts its stability entry does not count yet — sends a request
// to the park place; a parked holder passes the token straight to the
// requester. Requests are sent only when the token might not come back on
// its own (the member can tell from the last token it passed), and are
// repeated every Retransmit while the want lasts. Parking at the last
// stamper is chosen for latency: a lone sender finds the token parked at
// itself and orders its next cast at once, with no round trip; the quiet
// round after each burst is what lets every member's stability entry catch
// up, which the stability vector needs, and costs nothing once the group is
// idle.
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
// survivor of the flush holds them after Sync's cut. A token received after
// EBlock is acknowledged and kept, but nothing is stamped with it. At
// EAnnotate every member reports, under stack.MemberKey("Token", id),
// whether it holds the token and, if so, the token's next number.
//
// When the view ends, the members of a component all hold the same casts
// (Sync), so they all decide alike from the flush's annotations. If one of
// the survivors reported holding the token, no member anywhere can have
// stamped a number at or beyond that token's next number N (the token is
// unique and the holder froze), so the component that includes it is the
// only one that may extend the order: if it has delivered every number
// below N, it delivers the casts that were sent unordered, by sender rank
// and in each sender's order. Every other component — and this one if it
// lacks a number below N — delivers only the contiguous prefix of numbered
// casts it holds. Everything not delivered (numbered casts beyond a gap,
// casts sent unordered) is reported with EAbort, at the sender too (its
// own casts come back to it through Nak). Since every component delivers
// a prefix of the one global numbering, and only the token's component
// appends to it, any member's deliveries in a view are a prefix of any
// other's.
//
// At EAnnotate the member holding the token knows exactly what its
// component will deliver at the view's end (the unordered casts, if
// nothing below N is missing) and adds it to EndCasts; the others add
// nothing, a lower bound.
package token
