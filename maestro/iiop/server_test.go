package iiop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// echoHandler answers "echo" (string), "add" (two longs), "boom" (a user
// exception) and "wecho" (wide string) at once; "hold" requests are queued
// for the test to answer later.
type echoHandler struct {
	NopHandler
	s        *Server
	mu       sync.Mutex
	heldCh   chan *Request
	cancels  chan RequestRef
	errors   chan error
	locate   LocateStatus
	fwd      *IOR // if set, every request is forwarded here
	requests int
}

func newEchoHandler() *echoHandler {
	return &echoHandler{heldCh: make(chan *Request, 100), cancels: make(chan RequestRef, 10), errors: make(chan error, 10), locate: ObjectHere}
}

func (h *echoHandler) Request(r *Request) {
	h.mu.Lock()
	h.requests++
	fwd := h.fwd
	h.mu.Unlock()
	e := r.Args.ReplyEncoder()
	d := r.Args.Decoder()
	status := NoException
	if fwd != nil {
		fwd.Encode(e)
		h.s.RequestReply(r.Ref, LocationForward, e.Bytes())
		return
	}
	switch r.Operation {
	case "echo":
		e.WriteString(d.ReadString())
	case "wecho":
		e.WriteWString(d.ReadWString())
	case "add":
		e.WriteLong(d.ReadLong() + d.ReadLong())
	case "boom":
		status = UserException
		e.WriteString("IDL:Boom:1.0")
		e.WriteShort(7)
	case "hold":
		h.heldCh <- r
		return
	case "oneway":
		h.heldCh <- r
		return
	default:
		h.s.ReplySystemException(r.Ref, NewSystemException(ExcBadOperation, 0, CompletedNo))
		return
	}
	if d.Err() != nil {
		h.s.ReplySystemException(r.Ref, NewSystemException(ExcMarshal, 0, CompletedNo))
		return
	}
	if err := h.s.RequestReply(r.Ref, status, e.Bytes()); err != nil {
		panic(err)
	}
}

func (h *echoHandler) LocateRequest(r *LocateRequest) { h.s.LocateReply(r.Ref, h.locate, nil) }
func (h *echoHandler) CancelRequest(ref RequestRef)   { h.cancels <- ref }
func (h *echoHandler) MessageError(_ ConnID, err error) {
	select {
	case h.errors <- err:
	default:
	}
}

// forEachReadMode runs a server test once per ReadMode. In ReadBlocking and
// ReadDefault every connection may block (not just GOMAXPROCS-1 of them),
// and in ReadDefault any connection (even from our own Client) counts as
// busy after two messages, so that it switches to blocking reads in the
// middle of most tests.
func forEachReadMode(t *testing.T, test func(*testing.T, ReadMode)) {
	for _, mode := range []ReadMode{ReadPoll, ReadBlocking, ReadDefault} {
		t.Run(mode.String(), func(t *testing.T) {
			if mode == ReadDefault {
				eagerBlocking(t, true)
			}
			test(t, mode)
		})
	}
}

// eagerBlocking makes servers started during the test treat any connection
// as busy after two messages, whatever the timing, and (with all) even
// connections from this process's Client.
func eagerBlocking(t *testing.T, all bool) {
	w, g, p := busyWindow, busyGap, pollOwnClients
	busyWindow, busyGap, pollOwnClients = 2, time.Hour, !all
	t.Cleanup(func() { busyWindow, busyGap, pollOwnClients = w, g, p })
}

// quickQuiet makes connections of servers started during the test go
// quiet after d without a message.
func quickQuiet(t *testing.T, d time.Duration) {
	q := quietAfter
	quietAfter = d
	t.Cleanup(func() { quietAfter = q })
}

func startServer(t *testing.T, mode ReadMode, opts ServerOptions) (*Server, *echoHandler) {
	t.Helper()
	h := newEchoHandler()
	opts.ReadMode = mode
	if mode != ReadPoll && opts.MaxBlockingReaders == 0 {
		opts.MaxBlockingReaders = 64
	}
	if opts.Addr == "" && opts.Listener == nil {
		opts.Addr = "127.0.0.1:0"
	}
	s, err := NewServer(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	t.Cleanup(func() { s.Close() })
	return s, h
}

func newClient(t *testing.T) *Client {
	c := NewClient(ClientOptions{DialTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func echo(ctx context.Context, c *Client, ior *IOR, s string) (string, error) {
	rep, err := c.Invoke(ctx, ior, "echo", func(e *Encoder) { e.WriteString(s) })
	if err != nil {
		return "", err
	}
	d := rep.Body.Decoder()
	got := d.ReadString()
	return got, d.Err()
}

func TestClientServerAllVersions(t *testing.T) { forEachReadMode(t, testClientServerAllVersions) }

func testClientServerAllVersions(t *testing.T, mode ReadMode) {
	s, _ := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ctx := testCtx(t)
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		ior := NewIOR("IDL:Echo:1.0", []byte("echo-"+v.String()), s.IIOPAddr(), v)
		msg := "hello"
		if v != GIOP10 {
			msg = "grüße 日本" // UTF-8 negotiated through TAG_CODE_SETS
		}
		if got, err := echo(ctx, c, ior, msg); err != nil || got != msg {
			t.Fatalf("%v echo: %q %v", v, got, err)
		}
		rep, err := c.Invoke(ctx, ior, "add", func(e *Encoder) { e.WriteLong(40); e.WriteLong(2) })
		if err != nil || rep.Body.Decoder().ReadLong() != 42 {
			t.Fatalf("%v add: %v", v, err)
		}
		rep, err = c.Invoke(ctx, ior, "boom", nil)
		if err != nil || rep.Status != UserException {
			t.Fatalf("%v boom: %+v %v", v, rep, err)
		}
		if d := rep.Body.Decoder(); d.ReadString() != "IDL:Boom:1.0" || d.ReadShort() != 7 {
			t.Fatalf("%v: user exception body", v)
		}
		_, err = c.Invoke(ctx, ior, "nope", nil)
		var exc *SystemException
		if !errors.As(err, &exc) || exc.Name() != ExcBadOperation || !errors.Is(err, NewSystemException(ExcBadOperation, 0, 0)) {
			t.Fatalf("%v unknown op: %v", v, err)
		}
		if v != GIOP10 {
			rep, err = c.Invoke(ctx, ior, "wecho", func(e *Encoder) { e.WriteWString("Ω😀") })
			if err != nil || rep.Body.Decoder().ReadWString() != "Ω😀" {
				t.Fatalf("%v wecho: %v", v, err)
			}
		}
		if st, _, err := c.Locate(ctx, ior); err != nil || st != ObjectHere {
			t.Fatalf("%v locate: %v %v", v, st, err)
		}
	}
}

// TestRepliesInAnyOrder holds several requests from concurrent callers and
// answers them in reverse order from another goroutine.
func TestRepliesInAnyOrder(t *testing.T) { forEachReadMode(t, testRepliesInAnyOrder) }

func testRepliesInAnyOrder(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ctx := testCtx(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
	const n = 8
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			rep, err := c.Invoke(ctx, ior, "hold", func(e *Encoder) { e.WriteLong(int32(i)) })
			if err == nil {
				if got := rep.Body.Decoder().ReadLong(); got != int32(i)*10 {
					err = fmt.Errorf("caller %d got %d", i, got)
				}
			}
			results <- err
		}()
	}
	var held []*Request
	for len(held) < n {
		select {
		case r := <-h.heldCh:
			held = append(held, r)
		case <-ctx.Done():
			t.Fatal("requests did not arrive")
		}
	}
	go func() {
		for i := len(held) - 1; i >= 0; i-- {
			r := held[i]
			e := r.Args.ReplyEncoder()
			e.WriteLong(r.Args.Decoder().ReadLong() * 10)
			if err := s.RequestReply(r.Ref, NoException, e.Bytes()); err != nil {
				results <- err
			}
		}
	}()
	for i := 0; i < n; i++ {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	// A second reply to the same request is refused.
	if err := s.RequestReply(held[0].Ref, NoException, nil); !errors.Is(err, ErrUnknownRequest) {
		t.Fatalf("duplicate reply: %v", err)
	}
}

func TestLocationForward(t *testing.T) { forEachReadMode(t, testLocationForward) }

func testLocationForward(t *testing.T, mode ReadMode) {
	b, _ := startServer(t, mode, ServerOptions{})
	a, ha := startServer(t, mode, ServerOptions{})
	ha.fwd = NewIOR("IDL:Echo:1.0", []byte("real"), b.IIOPAddr(), GIOP12)
	c := newClient(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), a.IIOPAddr(), GIOP11)
	if got, err := echo(testCtx(t), c, ior, "fwd"); err != nil || got != "fwd" {
		t.Fatalf("%q %v", got, err)
	}
	if ha.requests != 1 {
		t.Fatalf("forwarder saw %d requests", ha.requests)
	}
}

func deadAddr(t *testing.T) Addr {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr)
	ln.Close()
	return Addr{"127.0.0.1", uint16(a.Port)}
}

func TestAlternateAddressesAndProfiles(t *testing.T) {
	forEachReadMode(t, testAlternateAddressesAndProfiles)
}

func testAlternateAddressesAndProfiles(t *testing.T, mode ReadMode) {
	s, _ := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ctx := testCtx(t)
	// Dead main address, live alternate in the same 1.2 profile.
	ior := CompoundIOR("IDL:Echo:1.0", []byte("k"), []Addr{deadAddr(t), s.IIOPAddr()}, GIOP12)
	if got, err := echo(ctx, c, ior, "alt"); err != nil || got != "alt" {
		t.Fatalf("alternate: %q %v", got, err)
	}
	// Dead first profile, live second profile (1.0 profiles have no alternates).
	ior = CompoundIOR("IDL:Echo:1.0", []byte("k"), []Addr{deadAddr(t), s.IIOPAddr()}, GIOP10)
	if got, err := echo(ctx, c, ior, "second"); err != nil || got != "second" {
		t.Fatalf("second profile: %q %v", got, err)
	}
	// Nothing alive: TRANSIENT.
	ior = NewIOR("IDL:Echo:1.0", []byte("k"), deadAddr(t), GIOP12)
	if _, err := echo(ctx, c, ior, "x"); !errors.Is(err, NewSystemException(ExcTransient, 0, 0)) {
		t.Fatalf("dead reference: %v", err)
	}
}

// TestGracefulShutdownFailover: a request in flight is answered, the server
// stops accepting, sends CloseConnection, and the client's next call goes to
// the alternate address.
func TestGracefulShutdownFailover(t *testing.T) { forEachReadMode(t, testGracefulShutdownFailover) }

func testGracefulShutdownFailover(t *testing.T, mode ReadMode) {
	a, ha := startServer(t, mode, ServerOptions{})
	b, _ := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ctx := testCtx(t)
	ior := CompoundIOR("IDL:Echo:1.0", []byte("k"), []Addr{a.IIOPAddr(), b.IIOPAddr()}, GIOP12)
	if _, err := echo(ctx, c, ior, "warm"); err != nil {
		t.Fatal(err)
	}
	inflight := make(chan error, 1)
	go func() {
		rep, err := c.Invoke(ctx, ior, "hold", func(e *Encoder) { e.WriteLong(5) })
		if err == nil && rep.Body.Decoder().ReadLong() != 5 {
			err = errors.New("wrong in-flight reply")
		}
		inflight <- err
	}()
	held := <-ha.heldCh
	shut := make(chan error, 1)
	go func() { shut <- a.Shutdown(ctx) }()
	// Shutdown stops accepting before anything else.
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepting during shutdown")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e := held.Args.ReplyEncoder()
	e.WriteLong(5)
	if err := a.RequestReply(held.Ref, NoException, e.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := <-inflight; err != nil {
		t.Fatalf("in-flight call: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got, err := echo(ctx, c, ior, "after"); err != nil || got != "after" {
		t.Fatalf("call after shutdown: %q %v", got, err)
	}
}

// TestShutdownAbandonsUndeliveredRequest: a request that arrives while the
// server drains is not delivered; CloseConnection makes the client resend
// it to the alternate address.
func TestShutdownAbandonsUndeliveredRequest(t *testing.T) {
	forEachReadMode(t, testShutdownAbandonsUndeliveredRequest)
}

func testShutdownAbandonsUndeliveredRequest(t *testing.T, mode ReadMode) {
	a, ha := startServer(t, mode, ServerOptions{})
	b, hb := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ctx := testCtx(t)
	ior := CompoundIOR("IDL:Echo:1.0", []byte("k"), []Addr{a.IIOPAddr(), b.IIOPAddr()}, GIOP12)
	first := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, ior, "hold", nil)
		first <- err
	}()
	held := <-ha.heldCh
	shut := make(chan error, 1)
	go func() { shut <- a.Shutdown(ctx) }()
	// Wait until draining, then send a second call on the same connection.
	for !a.connDraining(held.Ref.Conn) {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		got, err := echo(ctx, c, ior, "resent")
		if err == nil && got != "resent" {
			err = errors.New("wrong reply")
		}
		second <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the second request reach the draining server
	if err := a.RequestReply(held.Ref, NoException, nil); err != nil {
		t.Fatalf("reply to the held request: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("abandoned request was not resent: %v", err)
	}
	<-shut
	if ha.requests != 1 || hb.requests != 1 {
		t.Fatalf("a saw %d requests, b saw %d", ha.requests, hb.requests)
	}
}

func (s *Server) connDraining(id ConnID) bool {
	c, err := s.conn(id)
	return err == nil && c.isDraining()
}

// rawConn sends bytes to the server and returns what it answers until EOF.
func rawExchange(t *testing.T, addr string, msgs ...[]byte) []byte {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, m := range msgs {
		if _, err := nc.Write(m); err != nil {
			break
		}
	}
	nc.(*net.TCPConn).CloseWrite()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, _ := io.ReadAll(nc)
	return out
}

func TestMalformedMessagesCloseOnlyTheirConnection(t *testing.T) {
	forEachReadMode(t, testMalformedMessagesCloseOnlyTheirConnection)
}

func testMalformedMessagesCloseOnlyTheirConnection(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{MaxMessageSize: 64 << 10})
	c := newClient(t)
	ctx := testCtx(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
	if _, err := echo(ctx, c, ior, "before"); err != nil {
		t.Fatal(err)
	}
	huge := Header{Version: GIOP12, Type: MsgRequest, Size: 1 << 30}
	hb := huge.Marshal()
	badReq := Header{Version: GIOP11, Type: MsgRequest, Size: 4}
	bb := badReq.Marshal()
	for name, msg := range map[string][]byte{
		"bad magic":    []byte("HTTP/1.1 200 OK\r\n\r\n"),
		"oversized":    hb[:],
		"bad request":  append(bb[:], 0xff, 0xff, 0xff, 0xff),
		"reply to srv": EncodeCloseConnection(Syntax{Version: GIOP12})[:HeaderSize-1],
		"client reply": mustReply(t),
		"orphan frag":  EncodeFragment(Syntax{Version: GIOP12}, 5, []byte{1, 2, 3, 4}, false),
	} {
		out := rawExchange(t, s.Addr().String(), msg)
		if name == "reply to srv" {
			continue // a truncated header just ends the connection
		}
		hh, err := ParseHeader(out)
		if err != nil || hh.Type != MsgMessageError || len(out) != HeaderSize {
			t.Errorf("%s: answered % x (%v)", name, out, err)
		}
	}
	if len(h.errors) == 0 {
		t.Error("handler saw no MessageError")
	}
	if got, err := echo(ctx, c, ior, "after"); err != nil || got != "after" {
		t.Fatalf("existing connection affected: %q %v", got, err)
	}
}

func mustReply(t *testing.T) []byte {
	m, err := EncodeReply(Syntax{Version: GIOP12}, &ReplyHeader{RequestID: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFragmentedRequestOverSocket(t *testing.T) {
	forEachReadMode(t, testFragmentedRequestOverSocket)
}

func testFragmentedRequestOverSocket(t *testing.T, mode ReadMode) {
	s, _ := startServer(t, mode, ServerOptions{})
	big := make([]byte, 40000)
	for i := range big {
		big[i] = byte('A' + i%26)
	}
	for _, v := range []Version{GIOP11, GIOP12} {
		syn := Syntax{Order: LittleEndian, Version: v}
		msg, err := EncodeRequest(syn, &RequestHeader{RequestID: 2, ResponseFlags: ResponseExpected, Operation: "echo", Target: TargetAddress{ObjectKey: []byte("k")}},
			func(e *Encoder) { e.WriteString(string(big)) })
		if err != nil {
			t.Fatal(err)
		}
		parts := fragment(t, msg, 8192, 8192, 1000, 3, 0)
		parts = append(parts, EncodeCloseConnection(syn))
		out := rawExchange(t, s.Addr().String(), parts...)
		h, err := ParseHeader(out)
		if err != nil || h.Type != MsgReply {
			t.Fatalf("%v: % x", v, out[:min(len(out), 16)])
		}
		rh, body, err := DecodeReply(h, out[HeaderSize:HeaderSize+h.Size], CodeSets{})
		if err != nil || rh.RequestID != 2 || body.Decoder().ReadString() != string(big) {
			t.Fatalf("%v: reply %+v %v", v, rh, err)
		}
	}
}

func TestCancelRequest(t *testing.T) { forEachReadMode(t, testCancelRequest) }

func testCancelRequest(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, ior, "hold", nil)
		done <- err
	}()
	held := <-h.heldCh
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	select {
	case ref := <-h.cancels:
		if ref != held.Ref {
			t.Fatalf("cancelled %v, want %v", ref, held.Ref)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no CancelRequest callback")
	}
	if err := s.RequestReply(held.Ref, NoException, nil); !errors.Is(err, ErrUnknownRequest) {
		t.Fatalf("reply after cancel: %v", err)
	}
}

func TestOnewayAndLocateStatuses(t *testing.T) { forEachReadMode(t, testOnewayAndLocateStatuses) }

func testOnewayAndLocateStatuses(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{})
	c := newClient(t)
	ctx := testCtx(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP10)
	if err := c.InvokeOneway(ctx, ior, "oneway", nil); err != nil {
		t.Fatal(err)
	}
	r := <-h.heldCh
	if r.ResponseExpected {
		t.Fatal("oneway request expects a response")
	}
	if err := s.RequestReply(r.Ref, NoException, nil); !errors.Is(err, ErrUnknownRequest) {
		t.Fatalf("reply to oneway: %v", err)
	}
	h.locate = UnknownObject
	if st, _, err := c.Locate(ctx, ior); err != nil || st != UnknownObject {
		t.Fatalf("locate %v %v", st, err)
	}
}

func TestListenPortFromEnvironment(t *testing.T) {
	port := deadAddr(t).Port
	t.Setenv(EnvIIOPPort, strconv.Itoa(int(port)))
	s, err := NewServer(ServerOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.IIOPAddr().Port != port || s.IIOPAddr().Host != "127.0.0.1" {
		t.Fatalf("listening on %v, want port %d", s.IIOPAddr(), port)
	}
}

// TestPendingLimit: requests beyond MaxPendingPerConn are refused with
// TRANSIENT and never reach the handler; answering frees room.
func TestPendingLimit(t *testing.T) { forEachReadMode(t, testPendingLimit) }

func testPendingLimit(t *testing.T, mode ReadMode) {
	s, h := startServer(t, mode, ServerOptions{MaxPendingPerConn: 2})
	c := newClient(t)
	ctx := testCtx(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
	held := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			_, err := c.Invoke(ctx, ior, "hold", nil)
			held <- err
		}()
	}
	r1, r2 := <-h.heldCh, <-h.heldCh
	if _, err := c.Invoke(ctx, ior, "hold", nil); !errors.Is(err, NewSystemException(ExcTransient, 0, 0)) {
		t.Fatalf("third pending request: %v", err)
	}
	if st := s.Stats(); st.PendingRefused != 1 {
		t.Fatalf("refusal not counted: %+v", st)
	}
	s.RequestReply(r1.Ref, NoException, nil)
	s.RequestReply(r2.Ref, NoException, nil)
	for i := 0; i < 2; i++ {
		if err := <-held; err != nil {
			t.Fatal(err)
		}
	}
	if got, err := echo(ctx, c, ior, "room again"); err != nil || got != "room again" {
		t.Fatalf("after answering: %q %v", got, err)
	}
}

// TestIdleTimeout: an idle connection gets CloseConnection and the client
// reconnects transparently; a client stalled mid-header is closed too.
func TestIdleTimeout(t *testing.T) { forEachReadMode(t, testIdleTimeout) }

func testIdleTimeout(t *testing.T, mode ReadMode) {
	s, _ := startServer(t, mode, ServerOptions{IdleTimeout: 100 * time.Millisecond})
	c := newClient(t)
	ctx := testCtx(t)
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
	for i := 0; i < 3; i++ {
		if got, err := echo(ctx, c, ior, "ping"); err != nil || got != "ping" {
			t.Fatalf("call %d: %q %v", i, got, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// A raw client that sends half a header and stalls.
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("GIOP\x01\x02"))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("stalled connection not closed: %v", err)
	}
	if h, err := ParseHeader(out); err != nil || h.Type != MsgCloseConnection {
		t.Fatalf("stalled connection got % x", out)
	}
}
