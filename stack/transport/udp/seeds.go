package udp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"
)

// seedSet holds the addresses discovery announces to: seeds given as
// ip:port, and those that seed names resolve to, resolved again
// periodically (on a goroutine of its own: the transport is the I/O edge).
// A name that does not resolve yet (a peer not up, a service with no
// endpoints) is not an error: it is tried again at the next refresh.
type seedSet struct {
	fixed    []netip.AddrPort
	names    []seedName
	resolver *net.Resolver
	log      *slog.Logger

	mu       sync.Mutex
	resolved map[seedName][]netip.AddrPort
}

// seedName is a seed given by DNS name.
type seedName struct {
	host string
	port uint16
}

// resolveTimeout bounds one resolution of every name.
const resolveTimeout = 5 * time.Second

func newSeedSet(ctx context.Context, seeds []string, resolver *net.Resolver, log *slog.Logger) (*seedSet, error) {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	s := &seedSet{resolver: resolver, log: log, resolved: map[seedName][]netip.AddrPort{}}
	for _, seed := range seeds {
		if ap, err := netip.ParseAddrPort(seed); err == nil {
			s.fixed = append(s.fixed, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
			continue
		}
		host, port, err := net.SplitHostPort(seed)
		if err != nil {
			return nil, fmt.Errorf("udp: seed %q: want host:port: %w", seed, err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 || host == "" {
			return nil, fmt.Errorf("udp: seed %q: want host:port with a port from 1 to 65535", seed)
		}
		s.names = append(s.names, seedName{host: host, port: uint16(p)})
	}
	if len(s.names) > 0 {
		s.refresh(ctx)
	}
	return s, nil
}

// named reports whether some seeds are DNS names.
func (s *seedSet) named() bool { return len(s.names) > 0 }

// addrs returns every seed address (a new slice).
func (s *seedSet) addrs() []netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.fixed)
	for _, n := range s.names {
		for _, ap := range s.resolved[n] {
			if !slices.Contains(out, ap) {
				out = append(out, ap)
			}
		}
	}
	return out
}

// refresh resolves every name once, within ctx and resolveTimeout; a
// name that fails keeps what it resolved to before.
func (s *seedSet) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	for _, n := range s.names {
		ips, err := s.resolver.LookupNetIP(ctx, "ip4", n.host)
		if err != nil {
			s.log.Warn("seed name does not resolve (tried again later)", "seed", n.host, "err", err)
			continue
		}
		var aps []netip.AddrPort
		for _, ip := range ips {
			ap := netip.AddrPortFrom(ip.Unmap(), n.port)
			if !slices.Contains(aps, ap) {
				aps = append(aps, ap)
			}
		}
		slices.SortFunc(aps, func(a, b netip.AddrPort) int { return a.Compare(b) })
		s.mu.Lock()
		changed := !slices.Equal(s.resolved[n], aps)
		s.resolved[n] = aps
		s.mu.Unlock()
		if changed {
			s.log.Info("seed name resolved", "seed", n.host, "addrs", aps)
		}
	}
}

// refreshEvery resolves the names every d until done is closed.
func (s *seedSet) refreshEvery(d time.Duration, done <-chan struct{}) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			s.refresh(context.Background())
		}
	}
}
