// Package safe is the globally safe delivery layer (§4.4.3): a cast is
// delivered only once a majority of the group's replicas holds it in its
// total order, so no delivery is ever rolled back, whatever partitions and
// crashes follow; a cast that never reaches a majority before a newer
// primary view overtakes it is reported with AbortCast, and only then.
//
// The layer sits between the Primary layer and the total order (Total or
// Token). In a primary view every member appends the casts the total
// order gives it to a log of held messages, numbered by their position in
// the group's history, and says how far its log reaches: a member that
// ordered a cast tells everyone, the others tell the orderer, rank 0
// passes on what a majority holds (ack.go), and the Token layer's
// stability vector says it too; a message is delivered when a majority of
// the replicas hold it.
//
// When a primary view ends, its survivors deliver as far as the best
// informed of them knew a majority held (not everything they hold, even
// as a majority: the final order of the suffix reaches a survivor only
// with the next view); the rest stays held across views. A member that
// adopted another's log but has not fetched it yet never reports more
// than it holds. This is the internal transfer of unsafe messages of
// §4.4.3, done as Viewstamped Replication chooses a log: the coordinator
// of every view names the replica whose log is the most advanced — the
// highest primary view it follows, then the longest — and the position
// the most advanced application state has reached; the others fetch the
// held messages beyond that position from it, in the background of the
// application's own state transfer, which goes the other way when the
// replica with the longest log delivered less (Fig 4.15). Until every
// member holds the same messages the layer vetoes the view's being primary
// (stack.VetoPrimary). The next primary view starts by delivering them:
// any message a majority ever held is in the log chosen for it, because
// that majority and the primary view's share a replica.
//
// Messages are identified by the primary view they were cast in, their
// sender's rank in it and their index among its casts; since the total
// order keeps each sender's casts in order, a run of positions ordered in
// one primary view (an epoch) is described by a count per sender. A
// member that holds a message outside the chosen log learns its fate from
// the epochs: if the chosen log follows a newer primary view and lacks it,
// it is dead and aborted; a message the total order aborted at a view's
// end (it was never ordered here) is kept until the next primary view says
// whether it was ordered and kept elsewhere. A member that takes the
// chosen state by transfer is told, by a member whose state it is, how
// many casts of each sender the run that state ends inside holds up to
// it (base.go): with the state and its own log it can then count that
// run, and every run its state covers, even if the rest of the chosen log
// never reaches it.
package safe
