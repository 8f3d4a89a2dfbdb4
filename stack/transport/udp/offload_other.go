//go:build !linux

package udp

import "net"

// enableOffload turns nothing on: segmentation offload is Linux's.
func enableOffload(*net.UDPConn) (gso bool) { return false }

// segmentControl is never called without offload.
func segmentControl(int) []byte { return nil }

// groSegment finds no run: there is no GRO.
func groSegment([]byte) int { return 0 }

// offloadRefused: nothing is offloaded.
func offloadRefused(error) bool { return false }
