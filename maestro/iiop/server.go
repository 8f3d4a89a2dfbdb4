package iiop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultMaxMessageSize is the largest GIOP message (after reassembly) the
// bridge accepts when no limit is configured; omniORB's default is 2 MiB.
const DefaultMaxMessageSize = 4 << 20

// DefaultMaxPendingPerConn is the default bound on unanswered two-way
// requests per connection.
const DefaultMaxPendingPerConn = 4096

// EnvIIOPPort names the environment variable that supplies the listening
// port when ServerOptions.Addr is empty (§3.3.1).
const EnvIIOPPort = "MAESTRO_IIOP_PORT"

// ServerOptions configure a Server. The zero value listens on 127.0.0.1 at
// $MAESTRO_IIOP_PORT (or an ephemeral port), accepts messages up to
// DefaultMaxMessageSize and logs nothing.
type ServerOptions struct {
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:9876" or ":9876".
	Addr string
	// Listener, if set, is used instead of listening on Addr.
	Listener net.Listener
	// MaxMessageSize bounds a message after fragment reassembly.
	MaxMessageSize int
	// MaxPendingPerConn bounds the two-way requests of one connection
	// awaiting a reply (default DefaultMaxPendingPerConn); beyond it new
	// requests are refused with TRANSIENT without reaching the handler.
	MaxPendingPerConn int
	// IdleTimeout, if positive, closes a connection that sends nothing for
	// that long while no request on it awaits a reply, with CloseConnection
	// (a client reconnects transparently); a message body that stalls that
	// long closes the connection abruptly. Zero keeps connections open as
	// long as clients do.
	IdleTimeout time.Duration
	// Logger receives diagnostics; nil means silence.
	Logger *slog.Logger
	// ReadMode selects how connection readers wait for data; the zero
	// value is ReadDefault.
	ReadMode ReadMode
	// MaxBlockingReaders bounds the connections read with blocking system
	// calls at once (ReadBlocking, and busy connections in ReadDefault);
	// other connections use the poller. Zero means GOMAXPROCS-1 at the time
	// a connection asks, so at least one P stays free for everything else,
	// and with GOMAXPROCS=1 nothing blocks.
	MaxBlockingReaders int
}

// ReadMode selects how the reader goroutine of a server connection waits for
// the next message.
type ReadMode int

const (
	// ReadDefault starts every connection on the poller and, on Linux,
	// moves a busy one (64 messages in a row arriving at 4000 a second or
	// more) to blocking reads while no more connections are busy than may
	// block (MaxBlockingReaders, by default GOMAXPROCS-1): each blocked
	// reader keeps a P, and once no P is spare sysmon takes Ps from readers
	// in mid call, which costs more than the poller. A blocking connection
	// goes back to the poller when it is no longer busy, when others get
	// busy, or when it has been silent for 50 ms. Connections from this
	// process's own Client stay on the poller: there one thread can run both
	// ends of a call, while a blocking reader costs a thread switch each
	// way.
	//
	// Measured with bench/orbbench (omniORB C++ client, synchronous calls,
	// client and server on one CPU of a 2-CPU VM, GOMAXPROCS 2): about
	// 3.1 µs of server CPU per call blocking against 5.0 µs through the
	// poller, near omniORB's own 2.9 µs; see docs/iiop.md.
	ReadDefault ReadMode = iota
	// ReadPoll waits in Go's network poller: a read that finds no data
	// parks the goroutine (read returned EAGAIN), and epoll wakes it through
	// the scheduler. Idle connections cost no OS thread.
	ReadPoll
	// ReadBlocking (Linux; elsewhere it is ReadPoll) reads every connection,
	// from its first byte and up to MaxBlockingReaders of them, like
	// omniORB's thread-per-connection model: the socket leaves the poller
	// and is switched to blocking mode, and the connection's reader sleeps
	// in recv(2) holding an OS thread, so a request wakes that thread
	// directly and a call costs one recv and one send and no scheduler
	// hand-off. Connections beyond the limit use the poller.
	ReadBlocking
)

// String names the mode.
func (m ReadMode) String() string {
	switch m {
	case ReadDefault:
		return "default"
	case ReadPoll:
		return "poll"
	case ReadBlocking:
		return "blocking"
	}
	return fmt.Sprintf("ReadMode(%d)", int(m))
}

// Server is the server side of the IIOP bridge (§3.3.1). It accepts
// connections, runs one reader goroutine per connection that decodes GIOP
// messages and calls the Handler, and offers the downcalls RequestReply,
// LocateReply and CloseConnection, which are safe to call from any
// goroutine. A malformed message closes only its own connection.
type Server struct {
	h              Handler
	ln             net.Listener
	max            int
	maxPending     int
	idle           time.Duration
	readMode       ReadMode
	maxBlock       int          // MaxBlockingReaders; 0 means GOMAXPROCS-1
	nBlock         int          // connections read in blocking mode; under mu
	nBusy          atomic.Int32 // ReadDefault connections found busy at their last check
	busyWindow     uint
	busyGap        time.Duration
	pollOwnClients bool
	quietAfter     time.Duration
	log            *slog.Logger
	mu             sync.RWMutex
	conns          map[ConnID]*conn
	last           atomic.Pointer[conn] // connection last looked up, to skip the table
	nextID         ConnID
	closed         bool
	wg             sync.WaitGroup // accept loop and reader goroutines
	accept         chan struct{}  // closed when the accept loop has exited
}

// NewServer starts listening and accepting connections; the server accepts
// calls as soon as it returns.
func NewServer(opts ServerOptions, h Handler) (*Server, error) {
	if h == nil {
		h = NopHandler{}
	}
	ln := opts.Listener
	if ln == nil {
		addr := opts.Addr
		if addr == "" {
			port := os.Getenv(EnvIIOPPort)
			if port == "" {
				port = "0"
			}
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("iiop: listen: %w", err)
		}
	}
	s := &Server{
		h:      h,
		ln:     ln,
		max:    opts.MaxMessageSize,
		log:    opts.Logger,
		conns:  make(map[ConnID]*conn),
		accept: make(chan struct{}),
	}
	if s.max <= 0 {
		s.max = DefaultMaxMessageSize
	}
	s.idle = opts.IdleTimeout
	s.readMode = opts.ReadMode
	s.maxBlock = opts.MaxBlockingReaders
	s.busyWindow, s.busyGap, s.pollOwnClients, s.quietAfter = busyWindow, busyGap, pollOwnClients, quietAfter
	s.maxPending = opts.MaxPendingPerConn
	if s.maxPending <= 0 {
		s.maxPending = DefaultMaxPendingPerConn
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// IIOPAddr is the listening address as an IIOP endpoint. An unspecified
// listening host (":9876") is reported as the machine's host name.
func (s *Server) IIOPAddr() Addr {
	ta := s.ln.Addr().(*net.TCPAddr)
	host := ta.IP.String()
	if ta.IP.IsUnspecified() {
		if hn, err := os.Hostname(); err == nil {
			host = hn
		}
	}
	return Addr{Host: host, Port: uint16(ta.Port)}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	defer close(s.accept)
	var backoff time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failures (EMFILE and the like): back off and retry.
			s.log.Warn("iiop: accept", "err", err)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			// A process that dies must reset its connections, not close
			// them: a client then fails its next request before sending
			// it (COMPLETED_NO) and moves on to the next address, where
			// after a FIN it would send it into the dead socket and fail
			// COMPLETED_MAYBE, which omniORB never retries. Graceful
			// closes restore the default first (sendClose).
			_ = tc.SetLinger(0)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.nextID++
		c := newConn(s, s.nextID, nc)
		s.conns[c.id] = c
		s.wg.Add(1)
		s.mu.Unlock()
		s.log.Debug("iiop: accepted", "conn", c.id, "remote", nc.RemoteAddr())
		go c.readLoop()
	}
}

// newIO picks how a new connection's bytes move: with ReadBlocking, in
// blocking mode if a slot is free; otherwise through the poller (ReadDefault
// connections may move to blocking mode later, once busy). mu is held.
func (s *Server) newIO(nc net.Conn) connIO {
	if s.readMode == ReadBlocking && s.takeBlockingSlotLocked() {
		if b, ok := newBlockingIO(nc, s.idle, 0); ok {
			return b
		}
		s.nBlock--
	}
	return pollIO{nc}
}

// blockingLimit is how many connections may block at once.
func (s *Server) blockingLimit() int {
	if s.maxBlock > 0 {
		return s.maxBlock
	}
	return runtime.GOMAXPROCS(0) - 1
}

// takeBlockingSlotLocked reserves one of the MaxBlockingReaders slots; mu
// is held.
func (s *Server) takeBlockingSlotLocked() bool {
	if s.nBlock >= s.blockingLimit() {
		return false
	}
	s.nBlock++
	return true
}

func (s *Server) takeBlockingSlot() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeBlockingSlotLocked()
}

func (s *Server) releaseBlocking() {
	s.mu.Lock()
	s.nBlock--
	s.mu.Unlock()
}

func (s *Server) conn(id ConnID) (*conn, error) {
	if c := s.last.Load(); c != nil && c.id == id && !c.removed.Load() {
		return c, nil
	}
	s.mu.RLock()
	c := s.conns[id]
	s.mu.RUnlock()
	if c == nil {
		return nil, fmt.Errorf("connection %d: %w", id, ErrUnknownRequest)
	}
	s.last.Store(c)
	return c, nil
}

func (s *Server) removeConn(c *conn) {
	c.removed.Store(true)
	s.mu.Lock()
	delete(s.conns, c.id)
	s.mu.Unlock()
	s.last.CompareAndSwap(c, nil)
}

// RequestReply sends the reply to a pending request on the connection it
// came from (§3.3.1). body holds the results (or exception, or forward IOR)
// encoded with an encoder from Body.ReplyEncoder or NewReplyEncoder for the
// request's syntax. It returns ErrUnknownRequest if the request is not
// pending (answered, cancelled, oneway, or its connection closed).
func (s *Server) RequestReply(ref RequestRef, status ReplyStatus, body []byte) error {
	c, err := s.conn(ref.Conn)
	if err != nil {
		return err
	}
	return c.reply(ref.ID, status, body)
}

// ReplySystemException answers a pending request with a system exception.
func (s *Server) ReplySystemException(ref RequestRef, exc *SystemException) error {
	c, err := s.conn(ref.Conn)
	if err != nil {
		return err
	}
	syn, ok := c.pendingSyntax(ref.ID)
	if !ok {
		return fmt.Errorf("request %d: %w", ref.ID, ErrUnknownRequest)
	}
	e := NewReplyEncoder(syn)
	exc.Encode(e)
	return c.reply(ref.ID, SystemExceptionReply, e.Bytes())
}

// LocateReply answers a LocateRequest. body is empty except for the forward
// statuses (an IOR, written with IOR.Encode) and LocSystemException.
func (s *Server) LocateReply(ref RequestRef, status LocateStatus, body []byte) error {
	c, err := s.conn(ref.Conn)
	if err != nil {
		return err
	}
	return c.locateReply(ref.ID, status, body)
}

// CloseConnection sends CloseConnection on a connection and closes it;
// requests still pending there are abandoned (the client may resend them
// elsewhere).
func (s *Server) CloseConnection(id ConnID) error {
	c, err := s.conn(id)
	if err != nil {
		return err
	}
	c.sendClose()
	c.close()
	return nil
}

// Shutdown stops the server gracefully: it stops accepting connections
// first, stops delivering new requests, waits until the requests already
// delivered are answered (or ctx ends), then sends CloseConnection on every
// connection — so a client resends unanswered requests elsewhere — and
// closes them. It returns ctx.Err() if ctx ended first (connections are
// closed anyway).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.ln.Close()
	<-s.accept
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var err error
	for _, c := range conns {
		if e := c.drain(ctx); e != nil && err == nil {
			err = e
		}
	}
	for _, c := range conns {
		c.sendClose()
		c.closeWrite()
	}
	// Give clients a moment to close their ends, so they read CloseConnection
	// before any reset an abrupt close could cause. omniORB does not close
	// promptly, so the wait is short and shared by all connections.
	linger := time.After(500 * time.Millisecond)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-ctx.Done():
		case <-linger:
		}
		c.close()
	}
	s.wg.Wait()
	return err
}

// Close stops the server at once: the listener and every connection are
// closed without CloseConnection. It waits for the reader goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	err := s.ln.Close()
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// isEOF reports errors that mean the peer went away rather than misbehaved.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
