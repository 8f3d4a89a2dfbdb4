// Package admin is a running member's window for operators: an HTTP
// server, opt-in on an address of the operator's choosing (loopback when
// only a port is given), that serves the member's current view, role,
// primary status and protocol metrics — Prometheus text exposition format
// at /metrics and JSON (a Status) at /debug/maestro — and the client side
// of `maestro status ADDR`, which prints that JSON as a table.
//
// The package knows nothing of the object-group hierarchy: it reads a
// Source, which groupmember.Member implements; higher layers (clsv, csx,
// the Replicated Updates ORB) add their role and serving state to the
// Status the member builds, through groupmember.Member.Annotate.
package admin
