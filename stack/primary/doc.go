// Package primary is the primary-views layer (§4.4.1–§4.4.2, §4.4.4): of
// all the views a partitioned group may have at once, at most one is
// primary, and only a primary view may cast — so the group's replicated
// state never forks.
//
// Every member keeps a state version number SVN = (primary view number,
// casts delivered in that view), a potential primary sequence number
// (PPSN), and whether it is a zombie: a reincarnation (its stable storage
// shows it ran before) that does not count toward a majority until it has
// up-to-date state in a primary view (§4.4.4). A proposed view is primary
// only if
//
//   - its non-zombie replicas are a majority of the configured number of
//     replicas (Options.Replicas), and no more than that number;
//   - all its replicas have equal SVNs (the same state);
//   - it is the next view of a single component (a merge is never primary
//     at once: it is reinstalled as primary once its members have the
//     same state, Fig 4.10);
//   - every member promised the flush's primary number, and no layer
//     below vetoed (stack.VetoPrimary: the Safe layer, while members still
//     differ in the messages they hold).
//
// Numbering (Fig 4.11). A coordinator that starts a flush sends, with it,
// the number N = its PPSN + 1. A member that accepts the flush promises N
// if N exceeds its PPSN, which then becomes N; it reports the promise in
// its flush annotation. The view the flush ends in is primary, numbered
// N, only if every member promised N. Two primary views with the same
// number would need two majorities that both promised it, and the member
// they share promises each number once; a member that took part in a
// primary flush numbered N promises only larger numbers afterwards, so
// primary numbers grow along every chain of views. This is the PPSN rule
// of §4.4.2 with the promise made explicit, which keeps numbers unique
// even though our membership layer does not guarantee that a later
// coordinator accepted every earlier flush.
//
// State transfer. When replicas with different SVNs meet, the view is not
// primary; its view annotation (ViewInfo) names the up-to-date replicas
// and the stale ones. The application transfers the state from the former
// to the latter and each stale member reports it with an EUpToDate
// downcall; when all have, the coordinator reinstalls the view, now
// primary. A non-primary view that holds a majority with equal states is
// reinstalled at once.
//
// The layer adds no header to casts: in a primary view it only counts
// them (§4.5 found its cost insignificant). In a non-primary view it has
// the engine hold the application's casts (ECastHold) until a primary view.
package primary
