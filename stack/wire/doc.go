// Package wire holds the byte-level building blocks the protocol stack uses
// to put headers on messages and read them back: a message buffer that layers
// prepend headers to on the way down and strip on the way up, and a bounded
// decoder that turns malformed input into errors instead of panics.
package wire
