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
// bridge accepts when no limit is configured: twice omniORB's default
// giopMaxMsgSize (2 MiB), so that any request a default omniORB client can
// send fits, while one connection can make the server buffer at most this
// much.
const DefaultMaxMessageSize = 4 << 20

// DefaultMaxPendingPerConn is the default bound on unanswered two-way
// requests per connection.
const DefaultMaxPendingPerConn = 4096

// DefaultIdleTimeout is how long a connection with no request in flight may
// send nothing before the server closes it with CloseConnection (clients
// such as omniORB and this package's Client reconnect transparently on their
// next call). It bounds how long a forgotten or hostile connection holds a
// descriptor and a goroutine; two minutes is long enough that a client
// calling now and then keeps its connection.
const DefaultIdleTimeout = 2 * time.Minute

// DefaultMessageTimeout is how long a message may take to arrive whole once
// its first byte has arrived. A peer slower than that is treated as a
// slowloris and its connection closed. Ten seconds lets a 4 MiB message
// (DefaultMaxMessageSize) through at 420 KB/s; raise it for slower links.
const DefaultMessageTimeout = 10 * time.Second

// DefaultMaxConnsPerHost is the default bound on connections from one client
// IP address: enough for a client process's connection pool, small enough
// that one address cannot take the whole of MaxConns.
const DefaultMaxConnsPerHost = 64

// Bounds of the default MaxConns, which is derived from the process's
// descriptor limit (see ServerOptions.MaxConns).
const (
	// maxDefaultConns caps the default: an idle connection costs a
	// goroutine and a 32 KiB read slab, so 4096 of them about 160 MiB.
	maxDefaultConns = 4096
	// minDefaultConns is the default when the descriptor limit is tiny.
	minDefaultConns = 16
	// fdReserve descriptors are left, besides a quarter of the limit, for
	// the rest of the process (listeners, group sockets, files, clients).
	fdReserve = 32
)

// defaultMaxConns derives MaxConns from the soft descriptor limit: three
// quarters of it minus fdReserve, so that connections alone can never make
// the process run out of descriptors, within [minDefaultConns,
// maxDefaultConns]. An unknown limit gives maxDefaultConns.
func defaultMaxConns(fdLimit uint64) int {
	if fdLimit == 0 || fdLimit > 1<<30 {
		return maxDefaultConns
	}
	n := int(fdLimit)*3/4 - fdReserve
	return min(max(n, minDefaultConns), maxDefaultConns)
}

// EnvIIOPPort names the environment variable that supplies the listening
// port when ServerOptions.Addr is empty (§3.3.1).
const EnvIIOPPort = "MAESTRO_IIOP_PORT"

// ServerOptions configure a Server. The zero value listens on 127.0.0.1 at
// $MAESTRO_IIOP_PORT (or an ephemeral port), logs nothing, and applies the
// documented default of every limit below; a limit is disabled by a
// negative value. The limits keep one idle, slow or greedy client from
// starving the others: Server.Stats counts what each of them did.
type ServerOptions struct {
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:9876" or ":9876".
	Addr string
	// Listener, if set, is used instead of listening on Addr.
	Listener net.Listener
	// MaxMessageSize bounds every message a client sends: the size in a
	// GIOP header, and a fragmented message after reassembly (default
	// DefaultMaxMessageSize). A larger message is answered with
	// MessageError and its connection closed. It does not bound replies:
	// the server never fragments them, and omniORB refuses replies beyond
	// its own giopMaxMsgSize (2 MiB by default).
	MaxMessageSize int
	// MaxPendingPerConn bounds the two-way requests of one connection
	// awaiting a reply (default DefaultMaxPendingPerConn); beyond it new
	// requests are refused with TRANSIENT without reaching the handler.
	MaxPendingPerConn int
	// IdleTimeout closes a connection that sends nothing for that long
	// while no request on it awaits a reply, with CloseConnection first (a
	// client reconnects transparently). Zero means DefaultIdleTimeout (two
	// minutes); negative keeps idle connections open as long as clients do.
	// Before this limit had a default, zero meant never.
	IdleTimeout time.Duration
	// MessageTimeout bounds the time from a message's first byte to its
	// last: a connection whose message takes longer (a slowloris, which
	// sends a header and then a byte now and then) gets CloseConnection and
	// is closed, whatever requests it has in flight. Zero means
	// DefaultMessageTimeout (10 s), negative no limit; a positive
	// IdleTimeout shorter than it applies instead. In ReadBlocking mode the
	// timeout is noticed up to one timeout late on a peer that sends
	// nothing at all.
	MessageTimeout time.Duration
	// MaxConns bounds the connections open at once. When a new connection
	// would exceed it, the connection idle for longest (no request in
	// flight) is closed with CloseConnection to make room; if none is idle
	// the new connection is closed at once (refused). Zero derives it from
	// the soft RLIMIT_NOFILE when the server starts: three quarters of it
	// minus 32, within [16, 4096] (160 under a limit of 256), so that
	// connections cannot exhaust the process's descriptors. Negative means
	// no limit.
	MaxConns int
	// MaxConnsPerHost bounds the connections open at once from one client
	// IP address, with the same policy as MaxConns among that address's
	// connections (default DefaultMaxConnsPerHost, and never more than
	// MaxConns; negative means no limit).
	MaxConnsPerHost int
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
	idle           time.Duration // IdleTimeout; 0: none
	msgTimeout     time.Duration // MessageTimeout (at most idle); 0: none
	maxConns       int           // MaxConns; 0: none
	maxPerHost     int           // MaxConnsPerHost; 0: none
	start          time.Time     // for connections' activity times
	stats          serverStats
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
	nOpen          int                  // connections counted against MaxConns; under mu
	perHost        map[string]int       // connections counted per client address; under mu
	last           atomic.Pointer[conn] // connection last looked up, to skip the table
	nextID         ConnID
	closed         bool
	wg             sync.WaitGroup // accept loop and reader goroutines
	accept         chan struct{}  // closed when the accept loop has exited
}

// NewServer starts listening and accepting connections at once: h may be
// called before NewServer returns, so a handler that needs the *Server
// must wait until its caller has it.
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
		h:       h,
		ln:      ln,
		max:     opts.MaxMessageSize,
		log:     opts.Logger,
		conns:   make(map[ConnID]*conn),
		perHost: make(map[string]int),
		accept:  make(chan struct{}),
		start:   time.Now(),
	}
	if s.max <= 0 {
		s.max = DefaultMaxMessageSize
	}
	s.idle = limitOr(opts.IdleTimeout, DefaultIdleTimeout)
	s.msgTimeout = limitOr(opts.MessageTimeout, DefaultMessageTimeout)
	if s.idle > 0 && (s.msgTimeout == 0 || s.idle < s.msgTimeout) {
		s.msgTimeout = s.idle
	}
	s.maxConns = limitOr(opts.MaxConns, defaultMaxConns(fdLimit()))
	s.maxPerHost = limitOr(opts.MaxConnsPerHost, DefaultMaxConnsPerHost)
	if s.maxConns > 0 && (s.maxPerHost == 0 || s.maxPerHost > s.maxConns) {
		s.maxPerHost = s.maxConns
	}
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
			// Out of descriptors (EMFILE, ENFILE) or another temporary
			// failure: free a descriptor by closing the connection idle
			// for longest, and back off so the loop never spins.
			s.stats.acceptErrors.Add(1)
			evicted := s.evictForDescriptor()
			s.log.Warn("iiop: accept", "err", err, "evicted_idle", evicted)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if evicted {
				backoff = 5 * time.Millisecond
			}
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
		host := hostOf(nc.RemoteAddr())
		victim, ok := s.makeRoomLocked(host)
		if !ok {
			open, fromHost := s.nOpen, s.perHost[host]
			s.mu.Unlock()
			s.stats.refused.Add(1)
			s.log.Info("iiop: connection limit reached and no connection idle, refusing", "remote", nc.RemoteAddr(),
				"open", open, "from_host", fromHost, "max_conns", s.maxConns, "max_conns_per_host", s.maxPerHost)
			nc.Close()
			continue
		}
		s.nextID++
		c := newConn(s, s.nextID, nc)
		c.host = host
		c.touch()
		s.countLocked(c)
		s.conns[c.id] = c
		s.wg.Add(1)
		s.mu.Unlock()
		s.stats.accepted.Add(1)
		if victim != nil {
			s.log.Debug("iiop: closing the connection idle longest to make room", "conn", victim.id, "host", victim.host)
			s.evict(victim)
		}
		s.log.Debug("iiop: accepted", "conn", c.id, "remote", nc.RemoteAddr())
		go c.readLoop()
	}
}

// newIO picks how a new connection's bytes move: with ReadBlocking, in
// blocking mode if a slot is free; otherwise through the poller (ReadDefault
// connections may move to blocking mode later, once busy). mu is held.
func (s *Server) newIO(nc net.Conn) connIO {
	if s.readMode == ReadBlocking && s.takeBlockingSlotLocked() {
		if b, ok := newBlockingIO(nc, s.rcvTimeout(), 0); ok {
			return b
		}
		s.nBlock--
	}
	return pollIO{nc}
}

// rcvTimeout is how often a blocking read wakes to check the idle and
// message deadlines (zero: never).
func (s *Server) rcvTimeout() time.Duration {
	if s.msgTimeout > 0 {
		return s.msgTimeout
	}
	return s.idle
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
	s.uncountLocked(c)
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
	// promptly, so the wait is short and shared by all connections: once it
	// is over (its Done stays closed), the rest are closed at once.
	linger, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	for _, c := range conns {
		select {
		case <-c.done:
		case <-linger.Done():
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
