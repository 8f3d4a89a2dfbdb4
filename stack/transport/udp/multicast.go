package udp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/maestro-go/maestro/stack"
)

// joinMulticast joins the configured group and returns the socket bound
// for it: the socket must be bound to the group's port on a wildcard
// address for multicast datagrams to reach it, so a transport that wants
// multicast binds a second socket for the group and reads it too. Its
// datagrams leave from conn, the unicast socket, set up here to send to
// the group.
func (t *Transport) joinMulticast(cfg Config, conn *net.UDPConn) (*net.UDPConn, error) {
	ap, err := resolve(cfg.Multicast)
	if err != nil {
		return nil, fmt.Errorf("multicast address %q: %w", cfg.Multicast, err)
	}
	if !ap.Addr().IsMulticast() {
		return nil, fmt.Errorf("%s is not a multicast address", ap.Addr())
	}
	var ifi *net.Interface
	if cfg.MulticastInterface != "" {
		if ifi, err = net.InterfaceByName(cfg.MulticastInterface); err != nil {
			return nil, err
		}
	}
	lc := net.ListenConfig{Control: reuseAddr}
	pc, err := lc.ListenPacket(context.Background(), "udp4", fmt.Sprintf("0.0.0.0:%d", ap.Port()))
	if err != nil {
		return nil, fmt.Errorf("bind multicast port %d: %w", ap.Port(), err)
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return nil, fmt.Errorf("bind multicast port %d: not a UDP socket", ap.Port())
	}
	// Casts arrive here with the multicast data path: the same room as
	// the unicast socket's.
	if got := growBuffers(uc, readBuffer(cfg)); got > 0 && (t.rcvBuf == 0 || got < t.rcvBuf) {
		t.rcvBuf = got
	}
	if !cfg.NoOffload {
		enableOffload(uc) // GRO: sends leave from the unicast socket
	}
	p := ipv4.NewPacketConn(uc)
	group := &net.UDPAddr{IP: ap.Addr().AsSlice()}
	if err := p.JoinGroup(ifi, group); err != nil {
		uc.Close()
		return nil, fmt.Errorf("join %s: %w", ap.Addr(), err)
	}
	// Outgoing multicast leaves from the unicast socket, so replies come
	// back to its address; loop it back so members on this host hear it.
	out := ipv4.NewPacketConn(conn)
	if ifi != nil {
		_ = out.SetMulticastInterface(ifi)
	}
	_ = out.SetMulticastLoopback(true)
	_ = out.SetMulticastTTL(1)
	t.mcastAddr = netip.AddrPortFrom(ap.Addr(), ap.Port())
	t.mcastUDP = net.UDPAddrFromAddrPort(t.mcastAddr)
	return uc, nil
}

// byGroup reports whether a datagram for addrs goes once to the multicast
// group: when there are several and every one hears it. We never count
// ourselves among the hearers (our own datagrams are skipped on the way
// back), so a datagram that names us goes by unicast.
func (t *Transport) byGroup(addrs []string) bool {
	return t.hear != nil && len(addrs) > 1 && t.hear.all(addrs)
}

// probeLoop probes the multicast group at once and every probeEvery, and
// forgets the hearers that stopped answering.
func (t *Transport) probeLoop() {
	defer t.readers.Done()
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		var r [8]byte
		_, _ = rand.Read(r[:])                     // never fails (crypto/rand)
		nonce := binary.BigEndian.Uint64(r[:]) | 1 // never 0, which heard refuses
		t.hear.probed(nonce)
		if p := probe(nonce, t.localStr); p != nil {
			if err := t.sock.writeTo(t.sealControl(p), t.mcastAddr); err != nil {
				t.log.Debug("multicast probe", "err", err)
			}
		}
		select {
		case <-t.done:
			return
		case now := <-tick.C:
			t.hear.expire(now)
		}
	}
}

// control handles one of the transport's own datagrams from src, read on
// the group socket (fromGroup) or the unicast one. Anything malformed,
// out of place or (with a guard) not sealed with the group key is dropped.
func (t *Transport) control(src netip.AddrPort, b []byte, fromGroup bool) {
	if t.guard != nil {
		var ok bool
		if b, ok = t.guard.OpenControl(b); !ok || !isControl(b) {
			return
		}
	}
	switch b[2] {
	case ctlProbe:
		if !fromGroup || len(b) < probeLen {
			return
		}
		if t.guard != nil {
			// A sealed probe may be replayed from anywhere: answer it only
			// at the address it names, so that answers go to the prober
			// and nowhere else. (Without a guard anyone can forge a probe
			// naming the source it forges; this would stop nobody.)
			if ap, err := netip.ParseAddrPort(proberOf(b)); err != nil || ap != src {
				return
			}
		}
		if a := answer(b, t.localStr); a != nil {
			_ = t.sock.writeTo(t.sealControl(a), src)
		}
	case ctlHear:
		if fromGroup || t.hear == nil {
			return
		}
		addr := string(b[ctlHeaderLen:])
		if ap, err := netip.ParseAddrPort(addr); err != nil || ap != src {
			return // not the sender's own address
		}
		t.hear.heard(addr, nonceOf(b), time.Now())
	}
}

// GuardControl makes the transport seal its probes and answers with g and
// drop those that do not open (stack.ControlGuarded). The stack calls it
// before Serve; it must not be called after.
func (t *Transport) GuardControl(g stack.ControlGuard) { t.guard = g }

var _ stack.ControlGuarded = (*Transport)(nil)

// sealControl seals one of the transport's own datagrams, if it has a
// guard.
func (t *Transport) sealControl(b []byte) []byte {
	if t.guard == nil {
		return b
	}
	return t.guard.SealControl(b)
}
