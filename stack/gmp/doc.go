// Package gmp is the partitionable group membership protocol (§4.3.1).
//
// The coordinator of a view — its lowest-ranked member that nobody it
// trusts suspects — installs the next view in two phases. It first runs a
// flush: it tells the survivors to stop sending (EBlock), to freeze the
// failed members (EFail) and to synchronise their deliveries (Sync), and
// each survivor answers FLUSH_OK once it has delivered the flush's cut, with
// the annotations its layers want carried into the next view. When every
// survivor has answered, the coordinator proposes the new view; a member
// installs a proposal only if it names the flush this member completed.
//
// Partitions are healed by merging: the coordinator of the smaller view (by
// ViewID) flushes its own component, then asks the other coordinator, who
// flushes its component and proposes one view holding both — once the
// requester has confirmed the grant it was sent, with the grant's nonce,
// so that a request that arrives late (or is replayed) after its sender
// has merged elsewhere, left or crashed changes nothing; a request from a
// view one of its survivors is known to have moved on from is refused at
// once (superseded.go). A merge is
// refused when the two components' previous views overlap, which keeps
// Agreement on Successors — and, since overlapping means sharing an
// address, a view never holds two incarnations of one address, even when
// a request from an incarnation long gone arrives late.
//
// Properties kept (checked by the simulator): Validity, Consistent Ordering
// (views are installed in increasing ViewID order), Agreement on Successors
// and, with Sync, View Atomic Delivery.
package gmp
