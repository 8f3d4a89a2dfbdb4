package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// The machine's reference: a UDP ping-pong between two processes over
// loopback (no protocol at all), so that latencies can be read as
// multiples of one round trip measured in the same run.
//
//	maestrobench -udp-echo             echoes every datagram; prints its address
//	maestrobench -udp-ping ADDR        runs the driver's "rtt" commands against ADDR

// udpEchoMain binds 127.0.0.1:0, reports its address and echoes datagrams
// until its stdin is closed.
func udpEchoMain() error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := json.NewEncoder(os.Stdout).Encode(report{Event: "addr", Note: conn.LocalAddr().String()}); err != nil {
		return err
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
	}
	return nil
}

// udpPingMain answers "rtt" commands: Count closed-loop round trips of
// Size-byte datagrams to the echo process at addr; a lost datagram
// (1 s without an answer) is sent again and its sample dropped.
func udpPingMain(addr string) error {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return err
	}
	defer conn.Close()
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
			if _, err := conn.Write(msg); err != nil {
				return err
			}
			for {
				_ = conn.SetReadDeadline(time.Now().Add(time.Second))
				n, err := conn.Read(buf)
				if err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() && lost < 100 {
						lost++
						i-- // send it again; no sample
						break
					}
					return err
				}
				if _, run, seq, ok := parse(buf[:n]); ok && run == c.Run && seq == uint64(i) {
					ds = append(ds, time.Since(t0))
					break
				}
			}
		}
		if err := out.Encode(report{Event: "done", Run: c.Run, Count: uint64(len(ds)), P50us: percentile(ds, 0.5), P99us: percentile(ds, 0.99)}); err != nil {
			return err
		}
	}
	return nil
}

// procPair is a server process of this program and its client, under
// the driver's control; run numbers their commands.
type procPair struct {
	server, client *proc
	run            uint32
}

// startProcPair starts this program as a server (serverFlag), which
// reports its address, then as its client (clientFlag ADDR).
func startProcPair(serverFlag, clientFlag string) (*procPair, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	server, err := startProc(self, serverFlag)
	if err != nil {
		return nil, err
	}
	r, err := server.next(30 * time.Second)
	if err != nil || r.Event != "addr" {
		server.kill()
		return nil, fmt.Errorf("%s process: %v %+v", serverFlag, err, r)
	}
	client, err := startProc(self, clientFlag, r.Note)
	if err != nil {
		server.kill()
		return nil, err
	}
	return &procPair{server: server, client: client}, nil
}

func (p *procPair) stop() {
	p.client.quit()
	p.server.quit()
}

// udpPair is the echo (server) and ping (client) processes.
type udpPair struct{ *procPair }

func startUDPPair() (*udpPair, error) {
	p, err := startProcPair("-udp-echo", "-udp-ping")
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
