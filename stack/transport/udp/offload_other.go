//go:build !linux

package udp

import "net"

// offloadSupport reports no segmentation offload: it is Linux's.
func offloadSupport(*net.UDPConn) (gso, gro bool) { return false, false }

// segmentControl is never called without offload.
func segmentControl(int) []byte { return nil }

// groSegment finds no run: there is no GRO.
func groSegment([]byte) int { return 0 }

// offloadRefused: nothing is offloaded.
func offloadRefused(error) bool { return false }
