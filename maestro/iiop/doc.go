// Package iiop implements the wire side of Maestro's interoperability tools
// (dissertation §3.3): GIOP 1.0–1.2 messages over the CDR encoding of
// package cdr (whose Encoder, Decoder and related names it re-exports as
// aliases, so iiop.Encoder is cdr.Encoder), interoperable
// object references (IORs) and corbaloc URLs, and the IIOP bridge — a server
// that accepts connections from unmodified CORBA clients and hands their
// requests to a Handler, and a client that invokes operations on an IOR.
//
// The package knows nothing of object groups or ORBs; maestro/orb builds
// request managers on top of it.
//
// Every decoder in this package is bounds-checked: lengths, counts and nesting
// depths are validated against the bytes actually present, so hostile input
// yields an error and never a panic or an unbounded allocation.
package iiop
