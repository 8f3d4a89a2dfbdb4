package iiop

import (
	"io"
	"net"
	"testing"
	"time"
)

// dialRaw opens a raw connection to s and waits until the server has
// accepted it (Stats.Accepted reaches want), so that acceptance order is
// the order of the calls.
func dialRaw(t *testing.T, s *Server, wantAccepted uint64) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	waitStats(t, s, "accepted", func(st ServerStats) bool { return st.Accepted+st.Refused >= wantAccepted })
	return nc
}

// waitStats polls s.Stats until ok holds (bounded: 10 s).
func waitStats(t *testing.T, s *Server, what string, ok func(ServerStats) bool) ServerStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: stats %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectClose reads what the server sends until it closes the connection
// (within 10 s) and checks that it is exactly one CloseConnection
// (graceful) or nothing (refused).
func expectClose(t *testing.T, nc net.Conn, graceful bool) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(nc)
	if err != nil && !isEOF(err) {
		t.Fatalf("connection not closed: %v (read % x)", err, out)
	}
	if !graceful {
		if len(out) != 0 {
			t.Fatalf("refused connection got % x", out)
		}
		return
	}
	h, err := ParseHeader(out)
	if err != nil || h.Type != MsgCloseConnection || len(out) != HeaderSize {
		t.Fatalf("want CloseConnection, got % x (%v)", out, err)
	}
}

// holdOn sends a "hold" request on a raw connection and waits until the
// handler has it.
func holdOn(t *testing.T, nc net.Conn, h *echoHandler, id uint32) *Request {
	t.Helper()
	syn := Syntax{Order: BigEndian, Version: GIOP12}
	msg, err := EncodeRequest(syn, &RequestHeader{RequestID: id, ResponseFlags: ResponseExpected, Operation: "hold",
		Target: TargetAddress{ObjectKey: []byte("k")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(msg); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-h.heldCh:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("held request never reached the handler")
	}
	return nil
}

func TestLimitDefaults(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		want  int
	}{{0, 4096}, {20, 16}, {256, 160}, {1024, 736}, {1 << 20, 4096}} {
		if got := defaultMaxConns(c.limit); got != c.want {
			t.Errorf("defaultMaxConns(%d) = %d, want %d", c.limit, got, c.want)
		}
	}
	s, _ := startServer(t, ReadPoll, ServerOptions{})
	want := ServerLimits{IdleTimeout: DefaultIdleTimeout, MessageTimeout: DefaultMessageTimeout,
		MaxConns: defaultMaxConns(fdLimit()), MaxConnsPerHost: DefaultMaxConnsPerHost,
		MaxPendingPerConn: DefaultMaxPendingPerConn, MaxMessageSize: DefaultMaxMessageSize}
	if got := s.Limits(); got != want {
		t.Errorf("default limits %+v, want %+v", got, want)
	}
	s, _ = startServer(t, ReadPoll, ServerOptions{IdleTimeout: -1, MessageTimeout: -1, MaxConns: -1, MaxConnsPerHost: -1})
	if got := s.Limits(); got.IdleTimeout != 0 || got.MessageTimeout != 0 || got.MaxConns != 0 || got.MaxConnsPerHost != 0 {
		t.Errorf("negative options should disable the limits: %+v", got)
	}
	// A short idle timeout bounds messages too; per host never exceeds the total.
	s, _ = startServer(t, ReadPoll, ServerOptions{IdleTimeout: time.Second, MaxConns: 5})
	if got := s.Limits(); got.MessageTimeout != time.Second || got.MaxConnsPerHost != 5 {
		t.Errorf("limits %+v: want MessageTimeout 1s and MaxConnsPerHost 5", got)
	}
}

// TestIdleCloseCounted: an idle connection gets CloseConnection, then the
// close, and the server counts it; a connection with a request in flight is
// not idle and stays.
func TestIdleCloseCounted(t *testing.T) { forEachReadMode(t, testIdleCloseCounted) }

func testIdleCloseCounted(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{IdleTimeout: 200 * time.Millisecond})
	busy := dialRaw(t, s, 1)
	r := holdOn(t, busy, h, 1)
	idle := dialRaw(t, s, 2)
	echoOn(t, idle, 1, "before idling")
	start := time.Now()
	expectClose(t, idle, true)
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("closed after %v, before the idle timeout", el)
	}
	waitStats(t, s, "idle close", func(st ServerStats) bool { return st.ClosedIdle == 1 })
	// The busy connection outlived several idle timeouts; once answered it
	// is idle and goes too.
	if err := s.RequestReply(r.Ref, NoException, nil); err != nil {
		t.Fatalf("busy connection was closed: %v", err)
	}
	var hb [HeaderSize]byte
	busy.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := readFull(busy, hb[:]); err != nil {
		t.Fatal(err)
	}
	hh, err := ParseHeader(hb[:])
	if err != nil || hh.Type != MsgReply {
		t.Fatalf("want the reply, got %+v %v", hh, err)
	}
	if _, err := readFull(busy, make([]byte, hh.Size)); err != nil {
		t.Fatal(err)
	}
	expectClose(t, busy, true)
	waitStats(t, s, "second idle close", func(st ServerStats) bool { return st.ClosedIdle == 2 })
}

// TestMessageTimeout: a slowloris that sends a header and then a byte now
// and then is cut once the message is older than MessageTimeout, though it
// never stops sending; whole messages on other connections are served.
func TestMessageTimeout(t *testing.T) { forEachReadMode(t, testMessageTimeout) }

func testMessageTimeout(t *testing.T, mode ReadMode) {
	s, _ := startServer(t, mode, ServerOptions{MessageTimeout: 400 * time.Millisecond})
	slow := dialRaw(t, s, 1)
	hdr := Header{Version: GIOP12, Type: MsgRequest, Size: 1000}
	hb := hdr.Marshal()
	if _, err := slow.Write(hb[:]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan struct{})
	go func() { // trickle a byte every 50 ms: never idle, never whole
		defer close(done)
		for i := 0; i < 200; i++ {
			time.Sleep(50 * time.Millisecond)
			if _, err := slow.Write([]byte{0}); err != nil {
				return
			}
		}
	}()
	good := dialRaw(t, s, 2)
	echoOn(t, good, 1, "served meanwhile")
	expectClose(t, slow, true)
	if el := time.Since(start); el < 350*time.Millisecond || el > 5*time.Second {
		t.Errorf("slowloris closed after %v, want about 400ms", el)
	}
	<-done
	st := waitStats(t, s, "slow close", func(st ServerStats) bool { return st.ClosedSlow == 1 })
	if st.ClosedIdle != 0 {
		t.Errorf("counted as idle: %+v", st)
	}
	// A header that stalls half-way is a message too.
	half := dialRaw(t, s, 3)
	half.Write(hb[:5])
	expectClose(t, half, true)
	waitStats(t, s, "second slow close", func(st ServerStats) bool { return st.ClosedSlow == 2 })
	echoOn(t, good, 2, "still served")
}

// TestMaxConnsPerHost: at the per-address cap a new connection makes the
// server close that address's connection idle for longest (with
// CloseConnection); when none is idle the newcomer is refused.
func TestMaxConnsPerHost(t *testing.T) { forEachReadMode(t, testMaxConnsPerHost) }

func testMaxConnsPerHost(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{MaxConnsPerHost: 3})
	a := dialRaw(t, s, 1)
	b := dialRaw(t, s, 2)
	c := dialRaw(t, s, 3)
	echoOn(t, a, 1, "a is active") // a's activity is now newer than b's acceptance
	d := dialRaw(t, s, 4)
	expectClose(t, b, true)
	echoOn(t, d, 1, "d served")
	st := waitStats(t, s, "eviction", func(st ServerStats) bool { return st.Evicted == 1 && st.Open == 3 })
	if st.Refused != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Every connection busy: the next one is refused.
	var held []*Request
	for i, nc := range []net.Conn{a, c, d} {
		held = append(held, holdOn(t, nc, h, uint32(10+i)))
	}
	// The refusal may reset the connection before Dial has returned.
	if e, err := net.Dial("tcp", s.Addr().String()); err == nil {
		expectClose(t, e, false)
		e.Close()
	} else if !isEOF(err) {
		t.Fatal(err)
	}
	waitStats(t, s, "refusal", func(st ServerStats) bool { return st.Refused == 1 && st.Evicted == 1 })
	// Another address is not limited by 127.0.0.1's connections.
	other, err := net.DialTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, s.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	echoOn(t, other, 1, "other address served")
	for _, r := range held {
		if err := s.RequestReply(r.Ref, NoException, nil); err != nil {
			t.Fatalf("held request's connection closed: %v", err)
		}
	}
}

// TestMaxConnsEvictsOldestIdle: at the total cap the connection idle for
// longest, whatever its address, makes room; busy connections are never
// chosen.
func TestMaxConnsEvictsOldestIdle(t *testing.T) { forEachReadMode(t, testMaxConnsEvictsOldestIdle) }

func testMaxConnsEvictsOldestIdle(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{MaxConns: 3, MaxConnsPerHost: -1})
	a := dialRaw(t, s, 1)
	b := dialRaw(t, s, 2)
	c := dialRaw(t, s, 3)
	r := holdOn(t, a, h, 1) // a is busy and the oldest
	echoOn(t, b, 1, "b active")
	d := dialRaw(t, s, 4) // oldest idle: c
	expectClose(t, c, true)
	echoOn(t, d, 1, "d served")
	e := dialRaw(t, s, 5) // oldest idle: b (a is busy)
	expectClose(t, b, true)
	echoOn(t, e, 1, "e served")
	st := waitStats(t, s, "evictions", func(st ServerStats) bool { return st.Evicted == 2 && st.Open == 3 })
	if st.Refused != 0 || st.Accepted != 5 {
		t.Fatalf("stats %+v", st)
	}
	if err := s.RequestReply(r.Ref, NoException, nil); err != nil {
		t.Fatalf("busy connection was evicted: %v", err)
	}
}

// TestMessageTooLargeCounted: a message beyond MaxMessageSize is answered
// with MessageError, closes its connection and is counted; so is a
// fragmented one that grows beyond it.
func TestMessageTooLargeCounted(t *testing.T) {
	s, _ := startServer(t, ReadPoll, ServerOptions{MaxMessageSize: 1024})
	huge := Header{Version: GIOP12, Type: MsgRequest, Size: 1025}
	hb := huge.Marshal()
	out := rawExchange(t, s.Addr().String(), hb[:])
	if h, err := ParseHeader(out); err != nil || h.Type != MsgMessageError {
		t.Fatalf("oversized header answered % x", out)
	}
	first := Header{Version: GIOP12, Type: MsgRequest, MoreFragments: true, Size: 1000}
	fb := first.Marshal()
	msg := append(fb[:], make([]byte, 1000)...)
	msg = append(msg, EncodeFragment(Syntax{Version: GIOP12}, 0, make([]byte, 100), false)...)
	out = rawExchange(t, s.Addr().String(), msg)
	if h, err := ParseHeader(out); err != nil || h.Type != MsgMessageError {
		t.Fatalf("oversized reassembly answered % x", out)
	}
	waitStats(t, s, "too large", func(st ServerStats) bool { return st.TooLarge == 2 })
}

// TestLargeMessageSlabGrows: a header claiming a large message does not
// make the reader allocate its size before the bytes arrive, and a large
// message arriving in pieces still frames correctly.
func TestLargeMessageSlabGrows(t *testing.T) {
	pr, pw := io.Pipe()
	m := msgReader{rd: pr}
	hdr := Header{Version: GIOP12, Type: MsgRequest, Size: 1 << 20}
	hb := hdr.Marshal()
	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	go func() {
		pw.Write(hb[:])
		for off := 0; off < len(payload); off += 10000 {
			pw.Write(payload[off:min(off+10000, len(payload))])
		}
		pw.Close()
	}()
	if err := m.fill(HeaderSize); err != nil {
		t.Fatal(err)
	}
	if len(m.buf) > slabSize {
		t.Fatalf("slab of %d bytes for a header", len(m.buf))
	}
	if err := m.fill(HeaderSize + 1<<20); err != nil {
		t.Fatal(err)
	}
	body := m.take(HeaderSize + 1<<20)[HeaderSize:]
	for i := range body {
		if body[i] != byte(i*7) {
			t.Fatalf("byte %d is %d", i, body[i])
		}
	}
}
