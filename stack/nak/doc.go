// Package nak is the reliable-delivery layer: FIFO reliable multicast and
// point-to-point within a view, with negative acknowledgements.
//
// Every cast carries its sender's sequence number. A receiver that sees a
// gap, or learns from a status report that a sender has sent more than it
// received, asks for the missing messages (a NAK) — from the sender, or, if
// the sender has failed, from any member whose status shows it holds them
// (retransmission by any holder, as in FTMP). Members report what they have
// received; a message every surviving member has received is stable and is
// garbage-collected. Point-to-point messages work the same way per pair.
//
// For view changes the layer obeys the flush: EFail freezes the failed
// senders at what was delivered so far, and ECut raises the limits to the
// cut agreed by Sync and reports ECutDone once everything up to it has been
// delivered — never anything beyond it.
package nak
