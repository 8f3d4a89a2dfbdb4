//go:build linux && (386 || race)

package iiop

import "syscall"

// recvFD and sendFD are read(2) and write(2) on linux/386, whose socket
// calls go through socketcall(2), and under the race detector, which
// models I/O through syscall.Read and syscall.Write as synchronisation
// (as it does for net.Conn). A write to a reset connection raises SIGPIPE,
// which the Go runtime ignores for descriptors other than 1 and 2: the
// write fails with EPIPE.

func recvFD(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }

func sendFD(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }
