// Package csx is the third level of Maestro's object-group hierarchy
// (§2.4.2): clients and servers with a pull-style, transactional state
// transfer that the application can use without thinking about crashes,
// partitions and merges.
//
// Every state transfer is a transaction with an XferID. When a member
// becomes an xfer server, StateTransfer(id) runs in a goroutine of its own.
// It calls GetState(ctx, id, request) — as often as it likes, one call at a
// time, to fetch the state in portions — which asks the oldest up-to-date
// server (whose AskState callback answers with SendState) and blocks until
// the state arrives. When the transfer is complete it calls XferDone(id).
// If the source crashes or the group partitions or merges, the transaction
// is terminated: GetState returns an error wrapping ErrXferTerminated, late
// replies are discarded (so no GetState ever returns a stale or mixed
// state), and a new transaction starts in the new view with a new
// StateTransfer call.
package csx
