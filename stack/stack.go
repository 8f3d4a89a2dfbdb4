package stack

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a running Stack.
type Options struct {
	Group     string
	Protocols []Protocol // top first (see stack/props)
	Config    Config
	Transport Transport
	Clock     Clock // RealClock if nil
	Log       *slog.Logger
	// Incarnation distinguishes this member from earlier lives on the same
	// address; random if zero.
	Incarnation uint64
	// OnUpcall receives the stack's upcalls, in order, on the stack's
	// delivery goroutine (never concurrently). For UpViewMsgReq its return
	// value is the view message; otherwise it is ignored. It must not block
	// for long: while it runs, no other upcall is delivered.
	OnUpcall func(Upcall) []byte
	// MaxBacklog bounds how many messages Cast and Send may queue before
	// they block (while a flush or flow control holds messages back).
	// Default 1024.
	MaxBacklog int
}

// Stack runs a Core on its own goroutine over a Transport: packets, ticks
// and downcalls are serialised onto that goroutine, and upcalls are handed
// to a second goroutine so that a slow application never stalls the
// protocol (heartbeats, retransmissions) — flow control bounds what piles up.
type Stack struct {
	core  *Core
	tr    Transport
	clock Clock
	log   *slog.Logger
	opts  Options

	reqs chan func()
	stop chan struct{}
	done chan struct{}

	view     atomic.Pointer[View] // the installed view, published by the loop
	backlog  atomic.Int64         // core's queue length, published by the loop
	space    chan struct{}        // signalled when the backlog drops
	maxQueue int

	ups     upQueue
	upsDone chan struct{}
	exited  chan struct{}
	exitOne sync.Once

	closeOnce sync.Once
}

// Start builds the Core, installs the singleton view and starts the
// goroutines. The first upcall is that view.
func Start(opts Options) (*Stack, error) {
	if opts.Transport == nil {
		return nil, errors.New("stack: no transport")
	}
	if opts.OnUpcall == nil {
		opts.OnUpcall = func(Upcall) []byte { return nil }
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBacklog <= 0 {
		opts.MaxBacklog = 1024
	}
	if opts.Config.MaxPacket == 0 {
		opts.Config.MaxPacket = opts.Transport.MaxPacket()
	}
	inc := opts.Incarnation
	for inc == 0 {
		inc = randomUint64()
	}
	s := &Stack{
		tr: opts.Transport, clock: opts.Clock, log: opts.Log, opts: opts,
		reqs: make(chan func(), 256), stop: make(chan struct{}), done: make(chan struct{}),
		space: make(chan struct{}, 1), maxQueue: opts.MaxBacklog,
		upsDone: make(chan struct{}), exited: make(chan struct{}),
	}
	s.ups.init()
	core, err := NewCore(CoreOptions{
		Group: opts.Group, Me: Endpoint{Addr: opts.Transport.LocalAddr(), Inc: inc},
		Config: opts.Config, Protocols: opts.Protocols, Out: (*stackOutputs)(s),
		Log: opts.Log, Seed: inc, ExternalConsume: true,
	})
	if err != nil {
		return nil, err
	}
	s.core = core
	core.Start(s.clock.Now())
	core.Idle()
	s.view.Store(core.View())
	go s.deliverLoop()
	go s.loop()
	return s, nil
}

// Me returns this member's endpoint.
func (s *Stack) Me() Endpoint { return s.core.Me() }

// Metrics returns the stack's counters (safe from any goroutine).
func (s *Stack) Metrics() *Metrics { return s.core.Metrics() }

// Config returns the effective configuration.
func (s *Stack) Config() Config { return s.core.Config() }

// Exited is closed when the member has left the group (or was closed).
func (s *Stack) Exited() <-chan struct{} { return s.exited }

// loop is the stack goroutine: the only one that touches the Core.
func (s *Stack) loop() {
	defer close(s.done)
	tick := s.clock.NewTicker(s.core.Config().Tick)
	defer tick.Stop()
	recv := s.tr.Recv()
	for {
		select {
		case <-s.stop:
			return
		case p, ok := <-recv:
			if !ok {
				recv = nil
				continue
			}
			s.core.Receive(s.clock.Now(), p.From, p.Data)
			// Drain what is already queued before flushing, so that
			// replies to a burst are packed together.
			for i := 0; i < 256; i++ {
				select {
				case p, ok := <-recv:
					if !ok {
						recv = nil
						i = 256
						break
					}
					s.core.Receive(s.clock.Now(), p.From, p.Data)
				default:
					i = 256
				}
			}
		case f := <-s.reqs:
			f()
			for i := 0; i < 256; i++ {
				select {
				case f := <-s.reqs:
					f()
				default:
					i = 256
				}
			}
		case now := <-tick.C():
			s.core.Tick(now)
		}
		s.core.Idle()
		s.publishBacklog()
	}
}

func (s *Stack) publishBacklog() {
	if v := s.core.View(); v != s.view.Load() && v != nil {
		s.view.Store(v)
	}
	b := int64(s.core.Backlog())
	if b < s.backlog.Swap(b) && b < int64(s.maxQueue) {
		select {
		case s.space <- struct{}{}:
		default:
		}
	}
}

// call runs f on the stack goroutine and waits for it.
func (s *Stack) call(f func()) error {
	ran := make(chan struct{})
	select {
	case s.reqs <- func() { f(); close(ran) }:
	case <-s.done:
		return ErrClosed
	}
	select {
	case <-ran:
		return nil
	case <-s.done:
		return ErrClosed
	}
}

// waitSpace blocks while the backlog is full.
func (s *Stack) waitSpace() error {
	for s.backlog.Load() >= int64(s.maxQueue) {
		select {
		case <-s.space:
		case <-s.done:
			return ErrClosed
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// Cast sends a reliable multicast to the group. It returns once the stack
// has the message (it does not wait for the message to be sent); it blocks
// while the stack's backlog is full (a flush in progress or a closed
// flow-control window) and returns ErrClosed once the member has left.
func (s *Stack) Cast(payload []byte) error {
	if err := s.core.checkSend(payload); err != nil {
		return err
	}
	return s.post(func() { _ = s.core.Cast(payload) })
}

// Send sends a reliable point-to-point message to dest, which must be a
// member of the current view (a message to a member that leaves before it
// is sent is dropped and counted). Blocking as Cast.
func (s *Stack) Send(dest Endpoint, payload []byte) error {
	if err := s.core.checkSend(payload); err != nil {
		return err
	}
	if v := s.view.Load(); v == nil || !v.Contains(dest) {
		return fmt.Errorf("send to %s: %w", dest, ErrNotMember)
	}
	return s.post(func() {
		if err := s.core.Send(dest, payload); err != nil {
			s.core.Metrics().Drop("send-dest-gone")
		}
	})
}

// post hands f to the stack goroutine without waiting for it to run.
func (s *Stack) post(f func()) error {
	select {
	case <-s.exited:
		return ErrClosed
	default:
	}
	if err := s.waitSpace(); err != nil {
		return err
	}
	select {
	case s.reqs <- f:
		return nil
	case <-s.done:
		return ErrClosed
	}
}

// Suspect reports members believed to have failed.
func (s *Stack) Suspect(ids ...Endpoint) error {
	return s.call(func() { s.core.Suspect(ids...) })
}

// Leave leaves the group and waits until the group has confirmed (the
// UpExit upcall has been delivered) or timeout passes.
func (s *Stack) Leave(timeout time.Duration) error {
	if err := s.call(func() { s.core.Leave() }); err != nil {
		return err
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("stack: leave not confirmed within %v", timeout)
	}
}

// View returns the installed view (as of the stack goroutine's last step).
func (s *Stack) View() *View { return s.view.Load() }

// Close stops the stack at once, without leaving: to the others this looks
// like a crash. It waits for the goroutines and closes the transport.
func (s *Stack) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		err = s.tr.Close()
		s.ups.close()
		<-s.upsDone
		s.exitOne.Do(func() { close(s.exited) })
	})
	return err
}

// deliverLoop hands upcalls to the application, one at a time, in order,
// and reports consumed casts back to the stack for flow control.
func (s *Stack) deliverLoop() {
	defer close(s.upsDone)
	type key struct {
		view uint64
		rank int
	}
	credit := map[key]int{}
	flush := func() {
		if len(credit) == 0 {
			return
		}
		batch := credit
		credit = map[key]int{}
		select {
		case s.reqs <- func() {
			for k, n := range batch {
				s.core.Consumed(k.view, k.rank, n)
			}
		}:
		case <-s.done:
		}
	}
	for {
		u, ok, more := s.ups.pop()
		if !ok {
			return
		}
		if u.Kind == UpCast {
			// Counted before the callback runs, so that a callback that
			// casts can never wait on its own credit.
			credit[key{u.ViewHash, u.Rank}]++
		}
		reply := s.opts.OnUpcall(u)
		switch u.Kind {
		case UpViewMsgReq:
			id := u.View.ID
			select {
			case s.reqs <- func() { s.core.ViewMsgReply(id, reply) }:
			case <-s.done:
			}
		case UpExit:
			s.exitOne.Do(func() { close(s.exited) })
		}
		if !more || len(credit) >= 64 {
			flush()
		}
	}
}

// stackOutputs adapts the Stack to the Core's Outputs (stack goroutine).
type stackOutputs Stack

func (o *stackOutputs) SendTo(addr string, pkt []byte) {
	if err := o.tr.SendTo(addr, pkt); err != nil {
		o.core.Metrics().Drop("send-error")
	}
}

func (o *stackOutputs) Multicast(addrs []string, pkt []byte) {
	if err := o.tr.Multicast(addrs, pkt); err != nil {
		o.core.Metrics().Drop("send-error")
	}
}

func (o *stackOutputs) Broadcast(pkt []byte) {
	if err := o.tr.Broadcast(pkt); err != nil {
		o.core.Metrics().Drop("send-error")
	}
}

func (o *stackOutputs) Upcall(u Upcall) { o.ups.push(u) }
