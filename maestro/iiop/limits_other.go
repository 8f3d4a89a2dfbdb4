//go:build !unix

package iiop

// fdLimit is unknown here: MaxConns defaults to its cap.
func fdLimit() uint64 { return 0 }
