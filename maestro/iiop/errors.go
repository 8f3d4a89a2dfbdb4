package iiop

import (
	"errors"

	"github.com/maestro-go/maestro/maestro/iiop/cdr"
)

// Sentinel errors callers may branch on with errors.Is.
var (
	// ErrTruncated means a decoder needed more bytes than the input holds
	// (the cdr package's error).
	ErrTruncated = cdr.ErrTruncated
	// ErrTooDeep means nested encapsulations or recursive values exceeded
	// MaxDepth (the cdr package's error).
	ErrTooDeep = cdr.ErrTooDeep
	// ErrMessageTooLarge means a GIOP message (after reassembly) exceeds the
	// configured maximum message size.
	ErrMessageTooLarge = errors.New("iiop: GIOP message too large")
	// ErrBadMessage means a GIOP message could not be parsed.
	ErrBadMessage = errors.New("iiop: malformed GIOP message")
	// ErrClosed means the server, client or connection has been closed.
	ErrClosed = errors.New("iiop: closed")
	// ErrUnknownRequest means a reply was attempted for a request that is not
	// pending (already answered, cancelled, or its connection is gone).
	ErrUnknownRequest = errors.New("iiop: no such pending request")
	// ErrBadIOR means a stringified or encoded IOR could not be parsed.
	ErrBadIOR = errors.New("iiop: malformed IOR")
	// ErrNoProfile means an IOR holds no usable IIOP profile.
	ErrNoProfile = errors.New("iiop: no usable IIOP profile")
)
