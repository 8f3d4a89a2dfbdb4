// Package udp is the stack's real transport: UDP unicast, optional IP
// multicast (through golang.org/x/net/ipv4), and discovery of other members
// by multicast, by a seed list, or by a range of ports on the local host.
//
// Discovery needs no set-up on one machine: the members of a group bind the
// first free port of a small range derived from the group name (Config.
// PortRange) and announce themselves to every port of that range, so
// processes started with nothing but a group name find each other over
// loopback. Across machines, give Seeds (addresses of some members, by IP
// or by DNS name, re-resolved periodically: see seeds.go) or a multicast
// group.
package udp

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/maestro-go/maestro/stack"
)

// Config configures a UDP transport.
type Config struct {
	// Group is the group name; it selects the local discovery port range.
	Group string
	// Listen is the address to bind, e.g. "0.0.0.0:7400". Empty: a free
	// port of the group's range on 127.0.0.1, else of the fallback range
	// after it, else an ephemeral port (see bind). A host with port 0
	// binds an ephemeral port.
	Listen string
	// Seeds are addresses of members to announce ourselves to: "ip:port"
	// or "name:port", where a DNS name may resolve to many addresses (a
	// Kubernetes headless service, say). Names are resolved again every
	// SeedRefresh, so a peer that comes back with a new address is found.
	Seeds []string
	// SeedRefresh is how often seed names are resolved again. Zero: 30s.
	SeedRefresh time.Duration
	// Resolver resolves seed names; nil: net.DefaultResolver.
	Resolver *net.Resolver
	// Advertise is the address other members reach this one at, when it
	// differs from the bound one (NAT, containers): it becomes this
	// member's address in views. Empty: the bound address.
	Advertise string
	// Multicast is an IP multicast group address ("239.192.0.1:7446") used
	// for discovery, and for data wherever it works (see hearers.go).
	// Empty: none.
	Multicast string
	// MulticastInterface names the interface to join on (default: the
	// system's choice).
	MulticastInterface string
	// NoMulticastData keeps data on unicast even with a multicast group.
	// Without it, a datagram for several members goes once to the group
	// when every one of them has recently answered this transport's
	// probes of the group, and one datagram per member otherwise.
	NoMulticastData bool
	// PortBase and PortCount define the local discovery range. Zero: a base
	// in 20000-59999 derived from the group name, and 16 ports. The
	// PortCount ports after it are its fallback (see bind): discovery
	// announces to both.
	PortBase, PortCount int
	// NoLocalDiscovery disables announcing to the local port range.
	NoLocalDiscovery bool
	// MaxPacket is the largest datagram sent. Zero: 60000 on loopback,
	// 1400 otherwise.
	MaxPacket int
	// ReadBuffer is the socket receive (and send) buffer size to ask for.
	// Zero: 4 MiB. The system may grant less (Linux caps it at
	// net.core.rmem_max unless the process has CAP_NET_ADMIN): the
	// transport then warns, and reports what it got (ReceiveBuffer).
	ReadBuffer int
	// NoOffload turns off UDP segmentation offload (GSO for sending runs
	// of datagrams to one address in one buffer, GRO for receiving them
	// so), which is on by default where the kernel offers it (Linux 5.0
	// and later); a device that refuses an offloaded send turns it off by
	// itself. For comparisons, and for networks whose middleboxes mishandle
	// it.
	NoOffload bool
	// BlockingReads (Linux, GOMAXPROCS 2 or more; ignored otherwise) has
	// the unicast socket's reader sleep in a blocking recvmmsg on a thread
	// of its own, which the kernel wakes directly when a datagram arrives,
	// instead of in Go's network poller (see blockingSocket): a fraction
	// of the poller's cost per wake-up, for one thread. It pays where the
	// reading goroutine does the receiver's work itself (inline upcalls,
	// see stack.Options): where it hands what it read to another
	// goroutine, through the poller that goroutine runs on the reader's
	// thread once the reader parks, while a reader asleep in the kernel
	// keeps its thread (and its P, until sysmon takes it), so another
	// thread must be woken. The multicast socket's reader always waits in
	// the poller, so that a transport never holds more than one P asleep
	// in the kernel.
	BlockingReads bool
	Log           *slog.Logger
}

// Transport is a UDP stack.Transport.
type Transport struct {
	sock      socket // the unicast socket, once set up
	local     netip.AddrPort
	localStr  string
	msock     socket // the multicast group's socket (nil: none), once set up
	mcastAddr netip.AddrPort
	hear      *hearers // who hears our multicast; nil: data by unicast only
	// guard seals and opens probes and answers (GuardControl); nil: they
	// travel as they are.
	guard     stack.ControlGuard
	seeds     *seedSet
	rng       []netip.AddrPort
	maxPacket int
	log       *slog.Logger
	readers   sync.WaitGroup

	mu     sync.Mutex
	cache  map[string]netip.AddrPort
	ucache map[string]*net.UDPAddr

	plan     planner // SendBatch's batch, reused
	mcastUDP *net.UDPAddr
	// gso is whether SendBatch offloads runs of datagrams; a send the
	// kernel refuses turns it off for good.
	gso atomic.Bool
	// writeBatch sends a batch (sendmmsg); tests replace it.
	writeBatch func([]ipv4.Message) (int, error)
	// runsRead counts the coalesced runs read (GRO), for tests.
	runsRead atomic.Uint64
	// rcvBuf is the smallest receive buffer granted to the sockets data
	// arrives on (0: unknown).
	rcvBuf int
	// groupSends counts the datagrams sent once to the multicast group
	// for several members.
	groupSends atomic.Uint64

	closeOnce sync.Once
	done      chan struct{}
}

// readBuffer is the socket receive buffer size to ask for.
func readBuffer(cfg Config) int {
	if cfg.ReadBuffer > 0 {
		return cfg.ReadBuffer
	}
	return 4 << 20
}

// DefaultRange returns the local discovery range of a group.
func DefaultRange(group string) (base, count int) {
	h := fnv.New32a()
	h.Write([]byte(group))
	return 20000 + int(h.Sum32()%40000)/16*16, 16
}

// New binds the socket and starts receiving (NewContext without a
// deadline).
func New(cfg Config) (*Transport, error) { return NewContext(context.Background(), cfg) }

// NewContext binds the socket and starts receiving; ctx bounds the first
// resolution of seed names (names that do not resolve in time are tried
// again later, as those that do not resolve at all).
func NewContext(ctx context.Context, cfg Config) (*Transport, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	base, count := cfg.PortBase, cfg.PortCount
	if base == 0 {
		base, count = DefaultRange(cfg.Group)
	}
	if count == 0 {
		count = 16
	}
	conn, err := bind(cfg.Listen, base, count, cfg.Log)
	if err != nil {
		return nil, err
	}
	t := &Transport{log: cfg.Log, cache: map[string]netip.AddrPort{}, ucache: map[string]*net.UDPAddr{}, done: make(chan struct{})}
	if !cfg.NoOffload {
		t.gso.Store(enableOffload(conn))
	}
	wantBuf := readBuffer(cfg)
	t.rcvBuf = growBuffers(conn, wantBuf)
	t.local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if t.local.Addr().IsUnspecified() {
		t.local = netip.AddrPortFrom(outboundAddr(), t.local.Port())
	}
	t.local = netip.AddrPortFrom(t.local.Addr().Unmap(), t.local.Port())
	t.localStr = t.local.String()
	if cfg.Advertise != "" {
		ap, err := netip.ParseAddrPort(cfg.Advertise)
		if err != nil || ap.Port() == 0 {
			conn.Close()
			return nil, fmt.Errorf("udp: advertised address %q: want ip:port", cfg.Advertise)
		}
		t.localStr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	t.maxPacket = cfg.MaxPacket
	if t.maxPacket == 0 {
		t.maxPacket = 1400
		if t.local.Addr().IsLoopback() {
			t.maxPacket = 60000
		}
	}
	seeds, err := newSeedSet(ctx, cfg.Seeds, cfg.Resolver, t.log)
	if err != nil {
		conn.Close()
		return nil, err
	}
	t.seeds = seeds
	if seeds.named() {
		refresh := cfg.SeedRefresh
		if refresh <= 0 {
			refresh = 30 * time.Second
		}
		t.readers.Add(1)
		go func() {
			defer t.readers.Done()
			seeds.refreshEvery(refresh, t.done)
		}()
	}
	if !cfg.NoLocalDiscovery {
		for p := base; p < min(base+2*count, 65536); p++ {
			ap := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))
			if ap != t.local {
				t.rng = append(t.rng, ap)
			}
		}
	}
	if t.rcvBuf > 0 && t.rcvBuf < wantBuf {
		t.log.Warn("UDP receive buffer is smaller than asked for: flow control keeps what each sender has in flight within it, at some cost in throughput; raise the system's cap for full speed",
			"granted", t.rcvBuf, "asked", wantBuf, "fix", fmt.Sprintf("sysctl -w net.core.rmem_max=%d net.core.wmem_max=%d", wantBuf, wantBuf))
	}
	if cfg.Multicast != "" {
		mc, err := t.joinMulticast(cfg, conn)
		if err != nil {
			t.log.Warn("IP multicast unavailable; using unicast discovery only", "group", cfg.Multicast, "err", err)
		} else {
			t.msock = newPollSocket(mc) // always the poller: see BlockingReads
			if !cfg.NoMulticastData {
				t.hear = newHearers()
			}
		}
	}
	t.sock = takeSocket(conn, cfg.BlockingReads)
	t.writeBatch = t.sock.writeBatch
	return t, nil
}

// Serve starts the receiving goroutines.
func (t *Transport) Serve(recv func([]stack.Packet)) {
	t.readers.Add(1)
	go t.readLoop(t.sock, recv, false)
	if t.msock != nil {
		t.readers.Add(1)
		go t.readLoop(t.msock, recv, true)
	}
	if t.hear != nil {
		t.readers.Add(1)
		go t.probeLoop()
	}
}

// bind binds listen, or the first free port of the group's range on
// loopback, or of the fallback range right after it: any local program
// can take the range's ports first (squatting), by mistake or to keep the
// members from finding each other, and members then meet in the fallback
// range, which discovery covers too. Past both it binds an ephemeral port
// that only seeds can reach, and says so.
func bind(listen string, base, count int, log *slog.Logger) (*net.UDPConn, error) {
	if listen != "" {
		addr, err := net.ResolveUDPAddr("udp4", listen)
		if err != nil {
			return nil, fmt.Errorf("udp: listen address %q: %w", listen, err)
		}
		c, err := net.ListenUDP("udp4", addr)
		if err != nil {
			return nil, fmt.Errorf("udp: listen on %s: %w", listen, err)
		}
		return c, nil
	}
	end := min(base+2*count, 65536)
	for p := base; p < end; p++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err == nil {
			if p >= base+count {
				log.Warn("every port of the group's discovery range is taken (by other members, or by another program squatting it); bound the fallback range next to it",
					"range", fmt.Sprintf("127.0.0.1:%d-%d", base, base+count-1), "port", p)
			}
			return c, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("udp: listen on 127.0.0.1:%d: %w", p, err)
		}
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("udp: listen on 127.0.0.1: %w", err)
	}
	log.Warn("the group's discovery range and its fallback are all taken: local discovery cannot reach this member; give it seeds, or free the ports",
		"range", fmt.Sprintf("127.0.0.1:%d-%d", base, end-1), "port", c.LocalAddr().(*net.UDPAddr).Port)
	return c, nil
}

func resolve(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := net.ResolveUDPAddr("udp4", s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// outboundAddr guesses the address others reach us on when bound to 0.0.0.0.
func outboundAddr() netip.Addr {
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return netip.MustParseAddr("127.0.0.1")
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
}

// batchSize is how many datagrams one system call may read.
const batchSize = 32

// readLoop reads datagrams in batches (recvmmsg) and hands each batch to
// recv, cutting the runs GRO coalesced back into their datagrams and
// handling the transport's own (control) itself. On the multicast socket
// (fromGroup) it skips our own datagrams looped back.
func (t *Transport) readLoop(s socket, recv func([]stack.Packet), fromGroup bool) {
	defer t.readers.Done()
	ms := make([]ipv4.Message, batchSize)
	for i := range ms {
		ms[i].Buffers = [][]byte{newReadBuf()}
		ms[i].OOB = make([]byte, 64)
	}
	for {
		n, err := s.readBatch(ms)
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		batch := make([]stack.Packet, 0, n)
		for _, m := range ms[:n] {
			from, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			ap := from.AddrPort()
			src := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			if fromGroup && src == t.local {
				continue
			}
			// The datagrams of a GRO run alias one buffer (each capped at
			// its own end, segments), which the stack may keep; a lone
			// datagram keeps the free space behind it.
			data := received(&m.Buffers[0], m.N)
			seg := groSegment(m.OOB[:m.NN])
			if seg > 0 && seg < m.N {
				t.runsRead.Add(1)
			}
			addr := src.String()
			segments(data, seg, func(d []byte) {
				if isControl(d) {
					t.control(src, d, fromGroup)
					return
				}
				batch = append(batch, stack.Packet{From: addr, Data: d})
			})
		}
		select {
		case <-t.done:
			return
		default:
		}
		if len(batch) > 0 {
			recv(batch)
		}
	}
}

// ReceiveBuffer returns how many bytes of datagrams the transport's sockets
// can hold while its reader is busy: the receive buffer the system granted
// (0 if unknown). The Stack bounds each sender's bytes in flight by it
// (stack.ReceiveBuffered).
func (t *Transport) ReceiveBuffer() int { return t.rcvBuf }

// GroupSends returns how many datagrams have gone once to the multicast
// group instead of once to each of their members. Safe from any goroutine.
func (t *Transport) GroupSends() uint64 { return t.groupSends.Load() }

// LocalAddr returns the bound address.
func (t *Transport) LocalAddr() string { return t.localStr }

// MaxPacket returns the largest datagram sent.
func (t *Transport) MaxPacket() int { return t.maxPacket }

func (t *Transport) addr(s string) (netip.AddrPort, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ap, ok := t.cache[s]; ok {
		return ap, nil
	}
	ap, err := resolve(s)
	if err != nil {
		return ap, err
	}
	if len(t.cache) > 4096 {
		clear(t.cache)
	}
	t.cache[s] = ap
	return ap, nil
}

// SendTo sends one datagram.
func (t *Transport) SendTo(addr string, pkt []byte) error {
	ap, err := t.addr(addr)
	if err != nil {
		return err
	}
	return t.sock.writeTo(pkt, ap)
}

// Multicast sends to each address, or once to the multicast group when
// every one of them hears it.
func (t *Transport) Multicast(addrs []string, pkt []byte) error {
	if t.byGroup(addrs) {
		t.groupSends.Add(1)
		return t.sock.writeTo(pkt, t.mcastAddr)
	}
	var first error
	for _, a := range addrs {
		if err := t.SendTo(a, pkt); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Broadcast announces to the multicast group, the seeds and the local range.
func (t *Transport) Broadcast(pkt []byte) error {
	var first error
	send := func(ap netip.AddrPort) {
		if err := t.sock.writeTo(pkt, ap); err != nil && first == nil {
			first = err
		}
	}
	if t.msock != nil {
		send(t.mcastAddr)
	}
	for _, ap := range t.seeds.addrs() {
		if ap != t.local {
			send(ap)
		}
	}
	for _, ap := range t.rng {
		send(ap)
	}
	return first
}

// Close closes the socket.
func (t *Transport) Close() error {
	var err error
	t.closeOnce.Do(func() {
		close(t.done)
		err = t.sock.close()
		if t.msock != nil {
			t.msock.close()
		}
		t.readers.Wait()
	})
	return err
}
