package cdr

import "errors"

// Sentinel errors callers may branch on with errors.Is.
var (
	// ErrTruncated means a decoder needed more bytes than the input holds.
	ErrTruncated = errors.New("iiop: truncated CDR data")
	// ErrTooDeep means nested encapsulations or recursive values exceeded MaxDepth.
	ErrTooDeep = errors.New("iiop: CDR nesting too deep")
)
