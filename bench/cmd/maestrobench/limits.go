package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/maestro-go/maestro/internal/netlab"
)

// The machine's throughput limit: UDP goodput between two processes over
// loopback, with no protocol at all, moved the way the transport moves it
// (sendmmsg and recvmmsg through golang.org/x/net/ipv4's WriteBatch and
// ReadBatch, 32 datagrams per call, 4 MiB socket buffers).
//
//	maestrobench -udp-sink                 counts what it receives; prints its address
//	maestrobench -udp-source ADDR[,ADDR]   runs the driver's "goodput" commands against the sinks
//
// The goodput is what a sink received per second of the source's sending:
// datagrams the sink's socket had no room for are lost and do not count,
// so a source faster than its sink does not inflate it. With two sinks the
// source sends every datagram to each (one sendmmsg carries both copies):
// the 3-process pattern of a group whose sender reaches two receivers by
// unicast, and the figure is the slower sink's.

// Datagram sizes of the two limits.
const (
	// packed1KiB is 58 payloads of 1 KiB in one datagram: as many as fit
	// the transport's largest loopback datagram (60,000 bytes).
	packed1KiB = 58 * 1024
	// dgram64KiB is the largest UDP payload over IPv4, the nearest a
	// datagram comes to 64 KiB.
	dgram64KiB = 65507
	// batchDgrams is how many datagrams one system call moves, as in the
	// transport.
	batchDgrams = 32
	// sockBuf is the transport's socket buffer size.
	sockBuf = 4 << 20
)

// udpSinkMain binds 127.0.0.1:0, reports its address, and counts the
// datagrams it receives (recvmmsg); each "mark" command is answered with
// the bytes received so far and the time of the last receipt.
func udpSinkMain() error {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadBuffer(sockBuf)
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(report{Event: "addr", Note: conn.LocalAddr().String()}); err != nil {
		return err
	}
	var bytes, lastNs atomic.Int64
	go func() {
		pc := ipv4.NewPacketConn(conn)
		ms := make([]ipv4.Message, batchDgrams)
		for i := range ms {
			ms[i].Buffers = [][]byte{make([]byte, 65536)}
		}
		for {
			n, err := pc.ReadBatch(ms, 0)
			if err != nil {
				return
			}
			var got int
			for _, m := range ms[:n] {
				got += m.N
			}
			bytes.Add(int64(got))
			lastNs.Store(time.Now().UnixNano())
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var c command
		if json.Unmarshal(sc.Bytes(), &c) != nil || c.Cmd != "mark" {
			continue
		}
		if err := out.Encode(report{Event: "done", Run: c.Run, Count: uint64(bytes.Load()), LastNs: lastNs.Load()}); err != nil {
			return err
		}
	}
	return nil
}

// udpSourceMain answers "goodput" commands: Size-byte datagrams to each
// sink of addrs (comma-separated), batchDgrams datagrams per sendmmsg, for
// Millis milliseconds; it reports when it started.
func udpSourceMain(addrs string) error {
	sinks, err := addrList(addrs)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetWriteBuffer(sockBuf)
	pc := ipv4.NewPacketConn(conn)
	out := json.NewEncoder(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return fmt.Errorf("bad command %q: %w", sc.Text(), err)
		}
		if c.Cmd == "quit" {
			return nil
		}
		if c.Cmd != "goodput" {
			continue
		}
		buf := make([]byte, c.Size)
		ms := make([]ipv4.Message, batchDgrams)
		for i := range ms {
			ms[i] = ipv4.Message{Buffers: [][]byte{buf}, Addr: net.UDPAddrFromAddrPort(sinks[i%len(sinks)])}
		}
		start := time.Now()
		end := start.Add(time.Duration(c.Millis) * time.Millisecond)
		var sent uint64
		for time.Now().Before(end) {
			n, err := pc.WriteBatch(ms, 0)
			if err != nil {
				// ENOBUFS and the like: the datagrams are lost, as they
				// would be to the transport; go on.
				continue
			}
			sent += uint64(n)
		}
		if err := out.Encode(report{Event: "done", Run: c.Run, Count: sent, StartNs: start.UnixNano()}); err != nil {
			return err
		}
	}
	return nil
}

// goodputProcs is the sinks (servers) and the source (client) processes.
type goodputProcs struct{ *procPair }

// startGoodputSinks starts n sinks and a source sending to each.
func startGoodputSinks(n int) (*goodputProcs, error) {
	p, err := startProcs("-udp-sink", n, "-udp-source")
	if err != nil {
		return nil, err
	}
	return &goodputProcs{p}, nil
}

// mark asks every sink for its byte count and time of last receipt.
func (g *goodputProcs) mark() (bytes []uint64, lastNs []int64, err error) {
	g.run++
	for _, s := range g.servers {
		if err := s.send(command{Cmd: "mark", Run: g.run}); err != nil {
			return nil, nil, err
		}
	}
	for _, s := range g.servers {
		r, err := s.waitDone(g.run, 30*time.Second)
		if err != nil {
			return nil, nil, err
		}
		bytes, lastNs = append(bytes, r.Count), append(lastNs, r.LastNs)
	}
	return bytes, lastNs, nil
}

// goodput sends dgram-byte datagrams to every sink for d and returns the
// payload bytes per second the slowest sink received, from the source's
// start to that sink's last receipt.
func (g *goodputProcs) goodput(dgram int, d time.Duration) (float64, error) {
	b0, _, err := g.mark()
	if err != nil {
		return 0, err
	}
	g.run++
	if err := g.client.send(command{Cmd: "goodput", Run: g.run, Size: dgram, Millis: int(d / time.Millisecond)}); err != nil {
		return 0, err
	}
	r, err := g.client.waitDone(g.run, d+30*time.Second)
	if err != nil {
		return 0, fmt.Errorf("udp goodput %d B: %w", dgram, err)
	}
	time.Sleep(50 * time.Millisecond) // the sinks drain their sockets
	b1, last, err := g.mark()
	if err != nil {
		return 0, err
	}
	slowest := math.Inf(1)
	for i := range b1 {
		secs := float64(last[i]-r.StartNs) / 1e9
		if b1[i] <= b0[i] || secs <= 0 {
			return 0, fmt.Errorf("udp goodput %d B: sink %d received nothing", dgram, i)
		}
		slowest = min(slowest, float64(b1[i]-b0[i])/secs)
	}
	return slowest, nil
}

// mcastProbeMain joins the IP multicast group on interface ifname, sends
// one datagram to it and exits 0 if the datagram comes back (loopback
// multicast works here), 1 otherwise.
func mcastProbeMain(group, ifname string) error {
	gaddr, err := net.ResolveUDPAddr("udp4", group)
	if err != nil {
		return err
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	c, err := net.ListenPacket("udp4", fmt.Sprintf("0.0.0.0:%d", gaddr.Port))
	if err != nil {
		return err
	}
	defer c.Close()
	p := ipv4.NewPacketConn(c)
	if err := p.JoinGroup(ifi, gaddr); err != nil {
		return fmt.Errorf("join %s on %s: %w", group, ifname, err)
	}
	_ = p.SetMulticastInterface(ifi)
	_ = p.SetMulticastLoopback(true)
	_ = p.SetMulticastTTL(1)
	if _, err := p.WriteTo([]byte("maestrobench multicast probe"), nil, gaddr); err != nil {
		return fmt.Errorf("send to %s: %w", group, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 64)
	if _, _, err := c.ReadFrom(buf); err != nil {
		return fmt.Errorf("nothing came back from %s on %s: %w", group, ifname, err)
	}
	return nil
}

// multicastHost is where the IP-multicast data path can run.
type multicastHost struct {
	group  string   // "239.192.x.y:port"
	prefix []string // command prefix for the members ("ip netns exec NAME"), none on the host
	remove func()   // removes the network namespace made for it (nil on the host)
	where  string   // said in the output
}

// groupFor returns the multicast address of the run's group number i: the
// probed group's for 0, the next ports for the others. Each group of
// members needs its own, or every datagram of one wakes the members of
// the other too.
func (h *multicastHost) groupFor(i int) string {
	host, port, err := net.SplitHostPort(h.group)
	if err != nil {
		return h.group
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return h.group
	}
	return net.JoinHostPort(host, strconv.Itoa(p+i))
}

// findMulticast probes loopback multicast on the host; if it does not
// work there and this process may create network namespaces, it makes a
// namespace whose loopback carries multicast (as examples/chat's test
// does) and probes there. It returns nil and the reason when neither
// works.
func findMulticast(o driverOptions) (*multicastHost, string) {
	self, err := os.Executable()
	if err != nil {
		return nil, err.Error()
	}
	group := fmt.Sprintf("239.192.%d.%d:%d", rand.IntN(250)+1, rand.IntN(250)+1, 20000+rand.IntN(5000))
	probe := func(prefix ...string) error {
		args := append(append(prefix, self), "-mcast-probe", group, "lo")
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	hostErr := probe()
	if hostErr == nil {
		return &multicastHost{group: group, where: "the host's loopback"}, ""
	}
	o.logf("loopback multicast does not work on the host (%v); trying a network namespace", hostErr)
	if os.Geteuid() != 0 {
		return nil, fmt.Sprintf("the host's loopback does not carry IP multicast (%v), and a network namespace needs root", hostErr)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Sprintf("the host's loopback does not carry IP multicast (%v), and the ip command is missing", hostErr)
	}
	name, remove, err := netlab.NewMulticastNamespace("maestrobench-mc")
	if err != nil {
		return nil, fmt.Sprintf("the host's loopback does not carry IP multicast, and a namespace whose loopback does could not be made: %v", err)
	}
	h := &multicastHost{group: group, remove: remove, prefix: []string{"ip", "netns", "exec", name},
		where: "a network namespace (" + name + ") whose loopback carries multicast; the host's does not"}
	if err := probe(h.prefix...); err != nil {
		h.cleanup()
		return nil, fmt.Sprintf("IP multicast works neither on the host's loopback nor in a network namespace: %v", err)
	}
	return h, ""
}

// cleanup removes the namespace, if one was made.
func (h *multicastHost) cleanup() {
	if h == nil || h.remove == nil {
		return
	}
	h.remove()
	h.remove = nil
}
