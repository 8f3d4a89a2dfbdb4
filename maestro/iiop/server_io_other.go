//go:build !linux

package iiop

import (
	"net"
	"time"
)

// newBlockingIO is only implemented on Linux; elsewhere ReadBlocking
// connections use the poller.
func newBlockingIO(nc net.Conn, idle, quiet time.Duration) (connIO, bool) { return nil, false }

// blockingIO does not exist here; toPoll's type check never matches.
type blockingIO struct{ connIO }

func (*blockingIO) toNetConn() (net.Conn, error) { return nil, net.ErrClosed }
