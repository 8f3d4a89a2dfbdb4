// Package cdr is CORBA's Common Data Representation (CORBA 3.0 §15.3):
// an Encoder and a Decoder of the IDL types in either byte order, with
// alignment counted from a logical offset, encapsulations, strings and
// wide strings in the negotiated code sets, and the GIOP versions and
// code sets that change how values are written. It knows nothing of GIOP
// messages, IORs or connections (package iiop, which re-exports these
// names), so generated marshalling code and readers see this layer alone.
//
// Decoders never panic on hostile input: every read checks its length,
// sequence counts are checked against the bytes left before anything is
// allocated, nesting is bounded, and the first error sticks (Err).
package cdr
