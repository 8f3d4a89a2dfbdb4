// Package sockfd holds a socket taken out of Go's network poller, for a
// goroutine that waits on it in blocking system calls as a C program does:
// the kernel then wakes that goroutine's thread directly when data
// arrives, instead of a thread parked in epoll_wait that hands the
// goroutine to the scheduler. maestro/iiop's blocking connections, the UDP
// transport's blocking sockets and the benchmarks' reference processes
// all use it. Linux only.
package sockfd
