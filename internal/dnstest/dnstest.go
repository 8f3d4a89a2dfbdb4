// Package dnstest is a small DNS server for tests: it answers A queries
// for the names it is given, over UDP, and the test changes the answers
// while it runs (a peer that moves, a service that grows). Other names
// get NXDOMAIN, other query types an empty answer.
package dnstest

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// Server answers on a UDP socket until Close.
type Server struct {
	conn net.PacketConn
	mu   sync.Mutex
	a    map[string][]netip.Addr // fully qualified, lower case
	wg   sync.WaitGroup
}

// Serve answers queries arriving on conn (which it closes on Close).
func Serve(conn net.PacketConn) *Server {
	s := &Server{conn: conn, a: map[string][]netip.Addr{}}
	s.wg.Add(1)
	go s.loop()
	return s
}

// Listen serves on a new UDP socket at addr ("127.0.0.1:0").
func Listen(addr string) (*Server, error) {
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return nil, err
	}
	return Serve(c), nil
}

// Addr is the server's address.
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

// Set makes name resolve to addrs (none: NXDOMAIN).
func (s *Server) Set(name string, addrs ...netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.a[fqdn(name)] = addrs
}

// Resolver is a pure-Go resolver that asks this server only.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp4", s.Addr())
	}}
}

// Close stops the server.
func (s *Server) Close() error {
	err := s.conn.Close()
	s.wg.Wait()
	return err
}

func fqdn(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

func (s *Server) loop() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply, ok := s.answer(buf[:n]); ok {
			_, _ = s.conn.WriteTo(reply, from)
		}
	}
}

// answer builds the reply to one query; malformed queries get none.
func (s *Server) answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	addrs, known := s.a[strings.ToLower(q.Name.String())]
	addrs = append([]netip.Addr(nil), addrs...)
	s.mu.Unlock()
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !known || len(addrs) == 0 {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if q.Type == dnsmessage.TypeA {
		for _, a := range addrs {
			if !a.Is4() {
				continue
			}
			rr := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 1}
			if b.AResource(rr, dnsmessage.AResource{A: a.As4()}) != nil {
				return nil, false
			}
		}
	}
	out, err := b.Finish()
	return out, err == nil
}
