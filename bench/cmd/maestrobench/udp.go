package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/internal/sockfd"
)

// The machine's references: a UDP ping-pong between two processes over
// loopback (no protocol at all), so that latencies can be read as
// multiples of one round trip measured in the same run; and the same from
// one process to two echo processes, timed until the first echo — what a
// cast among 3 processes acknowledged by the first of the two others costs
// with no protocol, wake-ups of two receivers on the machine's CPUs
// included.
//
//	maestrobench -udp-echo             echoes every datagram; prints its address
//	maestrobench -udp-ping ADDR[,ADDR] runs the driver's "rtt" commands against the echo process(es)

// The echo and ping processes wait in blocking system calls on sockets
// taken out of Go's poller (blockingFD), as a C program does: a datagram
// wakes the waiting thread directly. Through the poller the same round
// trip costs a thread woken in epoll_wait and a hand-off to the scheduler
// at each end, 4–5 times the time on an idle 2-CPU VM; a reference must be
// the cheapest way the machine has, and it is what the stack's transport
// does for a request-driven member with inline upcalls
// (udp.Config.BlockingReads).

// blockingFD takes c's socket out of the poller (sockfd.Detach), with a
// receive timeout of rcvTimeout if positive, and returns its descriptor,
// which the process keeps until it ends.
func blockingFD(c *net.UDPConn, rcvTimeout time.Duration) (int, error) {
	f, err := sockfd.Detach(c, func(fd int) error {
		if rcvTimeout <= 0 {
			return nil
		}
		tv := unix.NsecToTimeval(rcvTimeout.Nanoseconds())
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		return -1, err
	}
	fd, _ := f.Acquire()
	return fd, nil
}

// udpEchoMain binds 127.0.0.1:0, reports its address and echoes datagrams
// until its stdin is closed.
func udpEchoMain() error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	addr := conn.LocalAddr().String()
	fd, err := blockingFD(conn, 0)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(os.Stdout).Encode(report{Event: "addr", Note: addr}); err != nil {
		return err
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := unix.Recvfrom(fd, buf, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return
			}
			_ = unix.Sendto(fd, buf[:n], 0, from)
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
	}
	return nil
}

// udpPingMain answers "rtt" commands: Count closed-loop rounds of
// Size-byte datagrams sent to every echo process of addrs (comma
// separated), each timed until the first echo — with one address, a round
// trip; with two, the pattern of a cast among 3 members acknowledged by
// the first of the two others. A round waits for every echo before the
// next; a lost datagram (1 s without the echoes) is sent again and its
// sample dropped.
func udpPingMain(addrs string) error {
	dests, err := addrList(addrs)
	if err != nil {
		return err
	}
	// One echo process: a connected socket, the cheapest send there is;
	// several: one socket sending to each.
	var conn *net.UDPConn
	if len(dests) == 1 {
		conn, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dests[0]))
	} else {
		conn, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	}
	if err != nil {
		return err
	}
	fd, err := blockingFD(conn, time.Second)
	if err != nil {
		return err
	}
	tos := make([]unix.Sockaddr, len(dests))
	for i, d := range dests {
		tos[i] = &unix.SockaddrInet4{Port: int(d.Port()), Addr: d.Addr().Unmap().As4()}
	}
	send := func(msg []byte) error {
		if len(dests) == 1 {
			_, err := unix.Write(fd, msg)
			return err
		}
		for _, to := range tos {
			if err := unix.Sendto(fd, msg, 0, to); err != nil {
				return err
			}
		}
		return nil
	}
	out := json.NewEncoder(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	buf := make([]byte, 65536)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return fmt.Errorf("bad command %q: %w", sc.Text(), err)
		}
		if c.Cmd == "quit" {
			return nil
		}
		if c.Cmd != "rtt" {
			continue
		}
		var ds []time.Duration
		lost := 0
		for i := 1; i <= c.Count; i++ {
			msg := payload(kindPing, c.Run, uint64(i), c.Size)
			t0 := time.Now()
			if err := send(msg); err != nil {
				return err
			}
			var first time.Duration
			for echoes := 0; echoes < len(dests); {
				n, err := unix.Read(fd, buf)
				if err == unix.EINTR {
					continue
				}
				if err == unix.EAGAIN && lost < 100 { // SO_RCVTIMEO: 1 s without an echo
					lost++
					first = 0
					i-- // send it again; no sample
					break
				}
				if err != nil {
					return err
				}
				if _, run, seq, ok := parse(buf[:n]); ok && run == c.Run && seq == uint64(i) {
					if echoes == 0 {
						first = time.Since(t0)
					}
					echoes++
				}
			}
			if first > 0 {
				ds = append(ds, first)
			}
		}
		if err := out.Encode(report{Event: "done", Run: c.Run, Count: uint64(len(ds)), P50us: percentile(ds, 0.5), P99us: percentile(ds, 0.99)}); err != nil {
			return err
		}
	}
	return nil
}

// addrList parses the comma-separated host:port addresses a client
// process is started with (its servers', as they printed them).
func addrList(s string) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, a := range strings.Split(s, ",") {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return nil, fmt.Errorf("server address %q: %w", a, err)
		}
		out = append(out, ap)
	}
	return out, nil
}

// procPair is one or more server processes of this program and their
// client, under the driver's control; run numbers their commands.
type procPair struct {
	servers []*proc
	client  *proc
	run     uint32
}

// startProcs starts this program n times as a server (serverFlag), each
// reporting its address, then as their client (clientFlag ADDR,ADDR...).
func startProcs(serverFlag string, n int, clientFlag string) (*procPair, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &procPair{}
	var addrs []string
	for range n {
		server, err := startProc(self, serverFlag)
		if err != nil {
			p.stop()
			return nil, err
		}
		p.servers = append(p.servers, server)
		r, err := server.next(30 * time.Second)
		if err != nil || r.Event != "addr" {
			p.stop()
			return nil, fmt.Errorf("%s process: %v %+v", serverFlag, err, r)
		}
		addrs = append(addrs, r.Note)
	}
	if p.client, err = startProc(self, clientFlag, strings.Join(addrs, ",")); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *procPair) stop() {
	if p.client != nil {
		p.client.quit()
	}
	for _, s := range p.servers {
		s.quit()
	}
}

// udpPair is the echo (server) processes and the ping (client) process.
type udpPair struct{ *procPair }

// startUDPPair starts one echo process and its pinger: rtt measures round
// trips.
func startUDPPair() (*udpPair, error) { return startUDPEchoes(1) }

// startUDPEchoes starts n echo processes and one pinger sending to them
// all: rtt measures the time until the first echo.
func startUDPEchoes(n int) (*udpPair, error) {
	p, err := startProcs("-udp-echo", n, "-udp-ping")
	if err != nil {
		return nil, err
	}
	return &udpPair{p}, nil
}

// rtt measures count round trips of size bytes: p50 and p99 in µs.
func (u *udpPair) rtt(size, count int) (latencyResult, error) {
	u.run++
	if err := u.client.send(command{Cmd: "rtt", Run: u.run, Size: size, Count: count}); err != nil {
		return latencyResult{}, err
	}
	r, err := u.client.waitDone(u.run, 60*time.Second)
	if err != nil {
		return latencyResult{}, fmt.Errorf("udp ping-pong %d B: %w", size, err)
	}
	return latencyResult{p50: r.P50us, p99: r.P99us}, nil
}

// startProc starts this binary with args, reading its JSON reports.
func startProc(self string, args ...string) (*proc, error) {
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	in, out, err := startPiped(cmd)
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, in: in, reports: make(chan report, 64), rank: -1}
	go p.read(out)
	return p, nil
}

// startPiped starts cmd with pipes to its standard input and output; the
// child is killed if this process dies.
func startPiped(cmd *exec.Cmd) (io.WriteCloser, io.ReadCloser, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	return in, out, nil
}
