// Package clsv is the second level of Maestro's object-group hierarchy
// (§2.3–§2.4.1): group members that are clients or servers, with a
// fault-tolerant framework for transferring the servers' state.
//
// A member joins as a client. A member created in Server mode then becomes
// a state-transferring server ("xfer server") in the next view — the
// state-transfer view of Figure 2.6 — gets the state from the up-to-date
// servers however the application likes (AskState/SendState, or CSX on
// top), calls XferDone, and becomes a normal server in a following view.
// The first server of a group founds its state: alone in its view for
// Options.JoinGrace, it becomes a server without transfer.
//
// Roles are decided by the coordinator at every view change and published
// in the view message, so every member of a view sees the same servers,
// clients and xfer servers. The coordinator learns where every member comes
// from (the view it was in and that view's roles), so when partitions
// merge it can tell the components apart: the servers of the component
// with the most servers (ties: the one holding the smallest server id)
// stay up to date, and the servers of the others become xfer servers and
// receive its state. A transfer in progress restarts in every new view —
// when its source crashes or the group re-partitions, the application
// learns it from AcceptedView's StartXfer.
//
// While a view has xfer servers, messages are held back according to the
// transfer safety level (§2.3.1): under Protected transfer, Generic
// messages wait; under Atomic, Generic and Safe messages wait; Xfer
// messages never wait, and with Free transfer nothing does. Held messages
// go out in their original order in the first view without xfer servers.
// Because casts are view-synchronous, a message is always delivered in the
// view it was sent in, so "held during transfer" holds at every receiver.
package clsv
