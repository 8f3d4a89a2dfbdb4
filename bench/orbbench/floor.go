package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/internal/sockfd"
)

// The floors of RU mode: what a replicated call costs on this machine with
// no group protocol at all, measured in the same run as the RU groups.
//
//   - "Simple ORB": the Go Simple ORB server — the IIOP bridge and a
//     servant, nothing replicated: the floor of RU 1.
//   - "Simple+UDP N": the same server whose servant, before it replies,
//     sends the request's argument in one datagram to each of N reader
//     processes (one sendmmsg, as the stack sends a cast), which read and
//     drop them: the least an N+1-replica group whose receiving replica
//     relays every request costs here — the wake-ups of N readers on the
//     machine's CPUs included, and no ordering, acknowledgement, delivery
//     or apply.
//   - "Simple+UDP N after": the same, but the servant hands the argument
//     to a goroutine of its own and replies at once; the goroutine sends
//     what has queued up, up to 32 arguments, in one sendmmsg. This is how
//     a group whose receiving replica delivers its own request before the
//     others hear it (progress in all partitions, with the called replica
//     the sequencer) can send at best: the reply never waits for the
//     relay.
//   - "Simple+UDP N acked" (floor_acked.go): the relaying floor whose
//     servant then waits for the first reader's acknowledgement before it
//     replies: the floor of a group that answers once a majority holds the
//     request.
//
// A bar an RU group misses by less than its floor misses it is out of
// reach of any relaying design on this machine.

// floorReaders is how many readers the relaying floor sends to: the other
// replicas of a 3-replica group.
const floorReaders = 2

// The floors' names in the tables.
var (
	simpleFloor = "Simple ORB"
	relayFloor  = fmt.Sprintf("Simple+UDP %d", floorReaders)
	afterFloor  = relayFloor + " after"
	ackedFloor  = relayFloor + " acked"
)

// udpReaderMain binds 127.0.0.1:0, prints its address and reads (and
// drops) datagrams, many per system call, until SIGTERM; with ack, it
// then tells each source the highest sequence number it read from it in
// the batch (floor_acked.go). It waits as the
// stack's transport does in a Replicated Updates replica
// (udp.Config.BlockingReads): asleep in a blocking recvmmsg, the socket
// out of Go's poller, so that a datagram wakes the reading thread
// directly — the cheapest wake-up there is here, as a floor's must be.
func udpReaderMain(ack bool) error {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	fmt.Println(conn.LocalAddr().String())
	f, err := sockfd.Detach(conn, nil)
	if err != nil {
		return err
	}
	fd, _ := f.Acquire() // held until the process ends
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		f.Close() // wakes the read (which reads an empty datagram)
	}()
	const batch = 32
	hs := make([]unix.Mmsghdr, batch)
	iovs := make([]unix.Iovec, batch)
	bufs := make([][]byte, batch)
	froms := make([]unix.RawSockaddrInet4, batch)
	for i := range hs {
		bufs[i] = make([]byte, 65536)
		iovs[i].Base = &bufs[i][0]
		iovs[i].SetLen(len(bufs[i]))
		hs[i].Hdr.Iov = &iovs[i]
		hs[i].Hdr.SetIovlen(1)
		if ack {
			hs[i].Hdr.Name = (*byte)(unsafe.Pointer(&froms[i]))
		}
	}
	var a acker
	for {
		if ack {
			for i := range hs {
				hs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
			}
		}
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hs[0])), batch, unix.MSG_WAITFORONE, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 || n == 0 || f.Closed() {
			return nil
		}
		if ack {
			for i := range int(n) {
				a.note(froms[i], bufs[i][:hs[i].Len])
			}
			a.send(fd)
		}
	}
}

// relay sends each datagram to every reader in one system call; an
// asynchronous relay does so from a goroutine of its own.
type relay struct {
	pc    *ipv4.PacketConn
	addrs []net.Addr
	out   []ipv4.Message
	queue chan []byte // asynchronous: what the sending goroutine is to send
}

// relayBatch is how many queued datagrams an asynchronous relay sends in
// one system call (to every reader).
const relayBatch = 32

// newRelay binds a socket to send to readers (a comma-separated list of
// host:port); an asynchronous one starts its sending goroutine.
func newRelay(readers string, async bool) (*relay, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	r := &relay{pc: ipv4.NewPacketConn(conn)}
	for _, a := range strings.Split(readers, ",") {
		ua, err := net.ResolveUDPAddr("udp4", a)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("reader address %q: %w", a, err)
		}
		r.addrs = append(r.addrs, ua)
	}
	if async {
		r.queue = make(chan []byte, 4096)
		go r.sendQueued()
	}
	return r, nil
}

// relayValue relays b: sent before it returns, or queued for the sending
// goroutine if the relay is asynchronous (the caller serialises calls
// and does not change b afterwards).
func (r *relay) relayValue(b []byte) error {
	if r.queue != nil {
		r.queue <- b
		return nil
	}
	return r.send(b)
}

// send sends every datagram of bs to every reader in one system call.
func (r *relay) send(bs ...[]byte) error {
	r.out = r.out[:0]
	for _, b := range bs {
		for _, a := range r.addrs {
			r.out = append(r.out, ipv4.Message{Addr: a, Buffers: [][]byte{b}})
		}
	}
	_, err := r.pc.WriteBatch(r.out, 0)
	return err
}

// sendQueued is an asynchronous relay's goroutine: it sends what has
// queued up, relayBatch datagrams at most per system call.
func (r *relay) sendQueued() {
	batch := make([][]byte, 0, relayBatch)
	for b := range r.queue {
		batch = append(batch[:0], b)
	more:
		for len(batch) < relayBatch {
			select {
			case b := <-r.queue:
				batch = append(batch, b)
			default:
				break more
			}
		}
		_ = r.send(batch...)
	}
}

// floorTargets starts the floor servers (and the relaying floor's
// readers) and returns them as targets; stop ends every process.
func floorTargets(ctx context.Context, cfg *config, self, dir string) (targets []*ruTarget, stop func(), err error) {
	var procs []*exec.Cmd
	stop = func() {
		for _, p := range procs {
			if p.Process.Signal(syscall.SIGTERM) != nil {
				p.Process.Kill()
			}
			p.Wait()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	start := func(args ...string) (*exec.Cmd, *bufio.Scanner, error) {
		cmd := exec.Command(self, args...)
		cmd.Env = cfg.serveEnv
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		cmd.WaitDelay = 2 * time.Second
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		procs = append(procs, cmd)
		return cmd, bufio.NewScanner(out), nil
	}
	serveArgs := []string{"-giop", cfg.giop, "-readmode", cfg.readMode, "-maxblocking", fmt.Sprint(cfg.maxBlocking)}
	server := func(name, readers, mode string, pids []int) error {
		sdir := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.MkdirAll(sdir, 0o755); err != nil {
			return err
		}
		args := append([]string{"-serve", sdir}, serveArgs...)
		if readers != "" {
			args = append(args, "-relay", readers)
		}
		if mode != "" {
			args = append(args, mode)
		}
		cmd, _, err := start(args...)
		if err != nil {
			return err
		}
		ior := filepath.Join(sdir, "PerformanceTest.ior")
		if _, err := omnibuild.WaitForFile(ctx, ior); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		targets = append(targets, &ruTarget{name: name, iors: []string{ior}, pids: append([]int{cmd.Process.Pid}, pids...)})
		return nil
	}
	if err := server(simpleFloor, "", "", nil); err != nil {
		return nil, stop, err
	}
	readers := func(args ...string) (addrs string, pids []int, err error) {
		var as []string
		for range floorReaders {
			cmd, out, err := start(args...)
			if err != nil {
				return "", nil, err
			}
			if !out.Scan() {
				return "", nil, fmt.Errorf("UDP reader: no address: %v", out.Err())
			}
			as = append(as, out.Text())
			pids = append(pids, cmd.Process.Pid)
		}
		return strings.Join(as, ","), pids, nil
	}
	addrs, pids, err := readers("-udp-reader")
	if err != nil {
		return nil, stop, err
	}
	// Both unacknowledged relaying floors send to the same readers: they
	// are measured one at a time, and each counts the readers' CPU. The
	// acknowledged one has readers of its own, which answer.
	if err := server(relayFloor, addrs, "", pids); err != nil {
		return nil, stop, err
	}
	if err := server(afterFloor, addrs, "-relay-async", pids); err != nil {
		return nil, stop, err
	}
	if addrs, pids, err = readers("-udp-reader", "-udp-reader-ack"); err != nil {
		return nil, stop, err
	}
	if err := server(ackedFloor, addrs, "-relay-acked", pids); err != nil {
		return nil, stop, err
	}
	return targets, stop, nil
}
