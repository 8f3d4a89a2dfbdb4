package iiop

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// blockingConns reports how many of the server's connections are read in
// blocking mode, and how many there are.
func (s *Server) blockingConns() (blocking, all int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.conns {
		c.mu.Lock()
		if c.io.blocking() {
			blocking++
		}
		c.mu.Unlock()
	}
	return blocking, len(s.conns)
}

// waitConns waits until the server has n connections.
func waitConns(t *testing.T, s *Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, all := s.blockingConns(); all == n {
			return
		}
	}
	_, all := s.blockingConns()
	t.Fatalf("server has %d connections, want %d", all, n)
}

// echoOn makes one echo call over a raw connection and checks the reply.
func echoOn(t *testing.T, nc net.Conn, id uint32, arg string) {
	t.Helper()
	syn := Syntax{Order: LittleEndian, Version: GIOP12, CodeSets: CodeSets{Char: CodeSetUTF8, WChar: CodeSetUTF16}}
	msg, err := EncodeRequest(syn, &RequestHeader{RequestID: id, ResponseFlags: ResponseExpected, Operation: "echo",
		Target: TargetAddress{ObjectKey: []byte("k")}, ServiceContexts: []ServiceContext{CodeSetsContext(syn.CodeSets)}},
		func(e *Encoder) { e.WriteString(arg) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(msg); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hb [HeaderSize]byte
	if _, err := readFull(nc, hb[:]); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(hb[:])
	if err != nil || h.Type != MsgReply {
		t.Fatalf("reply header %+v %v", h, err)
	}
	body := make([]byte, h.Size)
	if _, err := readFull(nc, body); err != nil {
		t.Fatal(err)
	}
	rh, rb, err := DecodeReply(h, body, syn.CodeSets)
	if err != nil || rh.RequestID != id || rh.Status != NoException {
		t.Fatalf("reply %+v %v", rh, err)
	}
	if got := rb.Decoder().ReadString(); got != arg {
		t.Fatalf("echo %q, want %q", got, arg)
	}
}

func readFull(nc net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := nc.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func dialT(t *testing.T, s *Server) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// TestBlockingReaderLimit: at most MaxBlockingReaders connections block;
// the others use the poller, and a freed slot goes to the next connection.
func TestBlockingReaderLimit(t *testing.T) {
	s, _ := startServer(t, ReadBlocking, ServerOptions{MaxBlockingReaders: 1})
	want := 1
	if runtime.GOOS != "linux" {
		want = 0
	}
	a, b := dialT(t, s), dialT(t, s)
	echoOn(t, a, 1, "a")
	echoOn(t, b, 2, "b")
	if blocking, all := s.blockingConns(); blocking != want || all != 2 {
		t.Fatalf("%d of %d connections blocking, want %d of 2", blocking, all, want)
	}
	a.Close()
	waitConns(t, s, 1)
	c := dialT(t, s)
	echoOn(t, c, 3, "c")
	echoOn(t, b, 4, "b again")
	if blocking, all := s.blockingConns(); blocking != want || all != 2 {
		t.Fatalf("after the first closed: %d of %d connections blocking, want %d of 2", blocking, all, want)
	}
}

// TestDefaultReadMode: by default connections start on the poller; a busy
// one moves to blocking reads (Linux, GOMAXPROCS-1 of them, so none with
// GOMAXPROCS=1), except a connection from this process's own Client.
func TestDefaultReadMode(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			eagerBlocking(t, false) // busy after two messages
			h := newEchoHandler()
			s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0"}, h)
			if err != nil {
				t.Fatal(err)
			}
			h.s = s
			t.Cleanup(func() { s.Close() })
			a := dialT(t, s)
			echoOn(t, a, 1, "a")
			if blocking, _ := s.blockingConns(); blocking != 0 {
				t.Fatalf("%d connections blocking after one message", blocking)
			}
			// Our own client, busy: stays on the poller.
			c := newClient(t)
			ctx := testCtx(t)
			ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
			for i := 0; i < 10; i++ {
				if _, err := echo(ctx, c, ior, "own"); err != nil {
					t.Fatal(err)
				}
			}
			if blocking, all := s.blockingConns(); blocking != 0 || all != 2 {
				t.Fatalf("after our own client's calls: %d of %d connections blocking, want 0 of 2", blocking, all)
			}
			// It counts as busy, though, until it closes: only then is the
			// foreign connection the only busy one.
			c.Close()
			waitConns(t, s, 1)
			// A foreign client, busy: blocks if a slot is free.
			for i := 0; i < 10; i++ {
				echoOn(t, a, uint32(i+2), "busy")
			}
			want := procs - 1
			if runtime.GOOS != "linux" {
				want = 0
			}
			if blocking, _ := s.blockingConns(); blocking != want {
				t.Fatalf("busy connection: %d connections blocking, want %d", blocking, want)
			}
			echoOn(t, a, 100, "after the switch")
		})
	}
}

// TestCloseUnblocksStalledWriter: a client that sends requests and never
// reads fills the socket buffers until the server's reply write blocks
// (in the kernel, in blocking mode); Close must still return.
func TestCloseUnblocksStalledWriter(t *testing.T) { forEachReadMode(t, testCloseUnblocksStalledWriter) }

// stallHandler echoes every request and ignores failed replies.
type stallHandler struct {
	NopHandler
	s      *Server
	served atomic.Int32
}

func (h *stallHandler) Request(r *Request) {
	h.served.Add(1)
	e := r.Args.ReplyEncoder()
	e.WriteString(r.Args.Decoder().ReadString())
	h.s.RequestReply(r.Ref, NoException, e.Bytes())
}

func testCloseUnblocksStalledWriter(t *testing.T, mode ReadMode) {
	h := &stallHandler{}
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", ReadMode: mode, MaxBlockingReaders: 1}, h)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	t.Cleanup(func() { s.Close() })
	nc := dialT(t, s)
	syn := Syntax{Order: LittleEndian, Version: GIOP12, CodeSets: CodeSets{Char: CodeSetUTF8, WChar: CodeSetUTF16}}
	big := strings.Repeat("x", 256<<10)
	msg, err := EncodeRequest(syn, &RequestHeader{RequestID: 1, ResponseFlags: ResponseExpected, Operation: "echo",
		Target: TargetAddress{ObjectKey: []byte("k")}, ServiceContexts: []ServiceContext{CodeSetsContext(syn.CodeSets)}},
		func(e *Encoder) { e.WriteString(big) })
	if err != nil {
		t.Fatal(err)
	}
	// Write until our own send buffer is full too: the server is then stuck
	// writing a reply nobody reads.
	for i := 0; i < 1000; i++ {
		nc.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := nc.Write(msg); err != nil {
			break
		}
	}
	if h.served.Load() == 0 {
		t.Fatal("the server handled no request")
	}
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return while a reply write was stalled")
	}
}

// TestBlockingLeavesNothingBehind: after Close, the descriptors and
// goroutines of blocking connections are gone.
func TestBlockingLeavesNothingBehind(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("blocking reads exist on Linux only")
	}
	fds, goroutines := countFDs(t), runtime.NumGoroutine()
	h := newEchoHandler()
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", ReadMode: ReadBlocking, MaxBlockingReaders: 8}, h)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	var conns []net.Conn
	for i := 0; i < 6; i++ {
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		echoOn(t, nc, uint32(i), "x")
	}
	conns[0].Close() // one closed by the client first
	if blocking, _ := s.blockingConns(); blocking < 5 {
		t.Fatalf("only %d connections blocking", blocking)
	}
	s.Close()
	for _, nc := range conns {
		nc.Close()
	}
	waitReleased(t, fds, goroutines)
}

// TestBusyConnectionsLeaveBlocking: a busy connection reads in blocking
// mode only while no more connections are busy than may block; it moves
// back to the poller when another gets busy, and again to blocking once
// that one has gone. Calls keep working across the moves.
func TestBusyConnectionsLeaveBlocking(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("blocking reads exist on Linux only")
	}
	eagerBlocking(t, false) // busy after two messages
	fds, goroutines := countFDs(t), runtime.NumGoroutine()
	h := newEchoHandler()
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", MaxBlockingReaders: 1}, h)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	a, b := dialT(t, s), dialT(t, s)
	id := uint32(0)
	calls := func(nc net.Conn, n int) {
		for i := 0; i < n; i++ {
			id++
			echoOn(t, nc, id, strings.Repeat("m", i))
		}
	}
	check := func(when string, want int) {
		t.Helper()
		if blocking, _ := s.blockingConns(); blocking != want {
			t.Fatalf("%s: %d connections blocking, want %d", when, blocking, want)
		}
	}
	calls(a, 6)
	check("a busy", 1)
	calls(b, 6) // b busy too: two busy, one may block
	calls(a, 6) // a sees it at its next check
	check("a and b busy", 0)
	b.Close()
	waitConns(t, s, 1)
	calls(a, 6)
	check("b gone", 1)
	s.Close()
	a.Close()
	waitReleased(t, fds, goroutines)
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// waitReleased waits until no more descriptors and goroutines exist than
// before the test.
func waitReleased(t *testing.T, fds, goroutines int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f, g := countFDs(t), runtime.NumGoroutine()
		if f <= fds && g <= goroutines {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Close: %d descriptors (was %d), %d goroutines (was %d)", f, fds, g, goroutines)
		}
	}
}

// TestQuietConnectionLeavesBlocking: a blocking connection that falls
// silent goes back to the poller (freeing its slot for another) and moves
// to blocking again once busy; an idle timeout still closes it.
func TestQuietConnectionLeavesBlocking(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("blocking reads exist on Linux only")
	}
	eagerBlocking(t, false)
	quickQuiet(t, 20*time.Millisecond)
	h := newEchoHandler()
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", MaxBlockingReaders: 1, IdleTimeout: 2 * time.Second}, h)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	t.Cleanup(func() { s.Close() })
	a := dialT(t, s)
	waitBlocking := func(when string, want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			blocking, _ := s.blockingConns()
			if blocking == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d connections blocking, want %d", when, blocking, want)
			}
		}
	}
	for i := 0; i < 6; i++ {
		echoOn(t, a, uint32(i), "busy")
	}
	waitBlocking("busy", 1)
	waitBlocking("silent", 0)
	b := dialT(t, s) // the slot is free for another
	for i := 0; i < 6; i++ {
		echoOn(t, b, uint32(i), "b busy")
	}
	waitBlocking("b busy", 1)
	echoOn(t, a, 100, "a again")
	b.Close()
	waitConns(t, s, 1)
	// Idle for longer than IdleTimeout: CloseConnection, whatever mode the
	// connection is in by then.
	a.SetReadDeadline(time.Now().Add(20 * time.Second))
	var hb [HeaderSize]byte
	if _, err := readFull(a, hb[:]); err != nil {
		t.Fatal(err)
	}
	if h, err := ParseHeader(hb[:]); err != nil || h.Type != MsgCloseConnection {
		t.Fatalf("idle connection got %+v %v", h, err)
	}
}

type wrapListener struct{ net.Listener }

type wrappedConn struct{ net.Conn }

func (l wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return wrappedConn{c}, nil
}

// TestWrappedConnectionsStayPolled: connections from a custom Listener
// that are not plain *net.TCPConn are never read behind their back.
func TestWrappedConnectionsStayPolled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := startServer(t, ReadBlocking, ServerOptions{Listener: wrapListener{ln}})
	a := dialT(t, s)
	for i := 0; i < 5; i++ {
		echoOn(t, a, uint32(i), "wrapped")
	}
	if blocking, all := s.blockingConns(); blocking != 0 || all != 1 {
		t.Fatalf("%d of %d wrapped connections blocking, want 0 of 1", blocking, all)
	}
}
