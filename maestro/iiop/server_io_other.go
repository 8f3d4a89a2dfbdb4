//go:build !linux

package iiop

import (
	"net"
	"time"
)

// newBlockingIO is only implemented on Linux; elsewhere ReadBlocking
// connections use the poller.
func newBlockingIO(nc net.Conn, idle time.Duration) (connIO, bool) { return nil, false }
