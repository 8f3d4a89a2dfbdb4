package stack

import (
	"context"
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
	// address. Zero means the start time in nanoseconds since 1970, so
	// that a restart on the same address has a larger incarnation: with
	// Auth, receivers reject datagrams of an incarnation older than one
	// they have heard (see package stack/auth).
	Incarnation uint64
	// NewGuard, if set, returns the Guard that seals and opens this
	// member's datagrams (Auth, Privacy; see CoreOptions.Guard), given the
	// member's endpoint.
	NewGuard func(me Endpoint) (Guard, error)
	// OnUpcall receives the stack's upcalls, in order, on the stack's
	// delivery goroutine (never concurrently). For UpViewMsgReq its return
	// value is the view message; otherwise it is ignored. It may call the
	// Stack's downcalls; it must not block for long, since no other upcall
	// is delivered while it runs.
	OnUpcall func(Upcall) []byte
	// MaxBacklog bounds how many messages Cast and Send may queue before
	// they block (while a flush or flow control holds messages back).
	// Default 1024.
	MaxBacklog int
	// InlineUpcalls lets the goroutine that brought the work deliver the
	// upcalls it produced — the transport's receiver, or the application
	// goroutine in Cast or Send — when no other upcall is running (see
	// deliver.go), instead of handing them to the delivery goroutine —
	// except an application streaming casts or sends (output.go), whose
	// upcalls go to the delivery goroutine so that it goes on casting.
	// Upcalls stay one at a time and in order. The application promises
	// that it never holds, while calling Cast or Send, a lock its
	// callbacks take, and that its callbacks are quick: a callback that
	// blocks holds up the receiver (at most 64 upcalls are delivered per
	// step before the delivery goroutine takes over).
	InlineUpcalls bool
	// RequestDriven promises that the application casts and sends only in
	// answer to something from outside — one call per request it reads,
	// as a server relaying its clients' requests to the group does — and
	// never in a loop. No call is then taken for part of a stream
	// (output.go): the calling goroutine always delivers what its call
	// produced (with InlineUpcalls: the request's own delivery, and so its
	// reply, before Cast returns) and sends the call's datagrams itself.
	// By timing alone, a server answering requests 20 µs apart looks like
	// a stream, and each request then pays two hand-offs between
	// goroutines.
	RequestDriven bool
}

// Stack runs a Core over a Transport. The Core is driven by one goroutine
// at a time — whichever brought it work: the transport's receiver, the
// ticker, or an application goroutine casting. Work that arrives while
// another goroutine drives the Core is queued and done by that goroutine
// before it lets go (flat combining), so under load messages are batched
// and packed, and a packet is handled with no hand-off between goroutines.
// Datagrams are sent after the drive, by one goroutine at a time; those of
// an application streaming casts by a sender goroutine, so that the
// application fills the next datagram while the last one is sent (see
// output.go).
// Upcalls go to a separate delivery
// goroutine so that a slow application never stalls the protocol
// (heartbeats, retransmissions), unless Options.InlineUpcalls lets the
// goroutine that brought the work deliver them; flow control bounds what
// piles up.
type Stack struct {
	core  *Core
	tr    Transport
	clock Clock
	opts  Options

	drive   sync.Mutex // held by the goroutine driving the Core
	qmu     sync.Mutex // guards work and closing
	work    []work
	spare   []work
	closing bool
	stopped chan struct{} // closed when Close begins

	view     atomic.Pointer[View] // the installed view, published after each step
	posted   atomic.Int64         // application messages handed to the stack
	injected atomic.Int64         // of those, taken by the Core (published after each step)
	space    chan struct{}        // signalled when injected advances
	maxQueue int

	out        output
	senderDone chan struct{}

	ups        upQueue
	delivering sync.Mutex    // held by the goroutine delivering upcalls
	credit     []creditCount // casts delivered, not yet reported (delivering held)
	creditMu   sync.Mutex    // guards creditOut
	creditOut  []creditCount // reported, not yet handed to the Core
	creditFree []creditCount // creditOut's spare array (driving the Core)
	reportFn   func()        // reportCredit, as work for the Core
	kick       chan struct{} // wakes the delivery goroutine
	upsClosed  chan struct{} // closed by Close: deliver what is left and stop
	upsDone    chan struct{}
	exited     chan struct{}
	exitOnce   sync.Once
	tickDone   chan struct{}
	ticks      ticks
	closeOnce  sync.Once
}

// Start builds the Core, installs the singleton view and starts receiving,
// ticking and delivering. The first upcall is the singleton view.
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
	if rb, ok := opts.Transport.(ReceiveBuffered); ok && opts.Config.FlowBytes == 0 {
		if b := rb.ReceiveBuffer(); b > 0 {
			opts.Config.FlowBytes = min(b, DefaultFlowBytes)
		}
	}
	inc := opts.Incarnation
	if inc == 0 {
		inc = uint64(max(time.Now().UnixNano(), 1))
	}
	me := Endpoint{Addr: opts.Transport.LocalAddr(), Inc: inc}
	var guard Guard
	if opts.NewGuard != nil {
		var err error
		if guard, err = opts.NewGuard(me); err != nil {
			return nil, fmt.Errorf("stack: %w", err)
		}
	}
	s := &Stack{
		tr: opts.Transport, clock: opts.Clock, opts: opts,
		stopped: make(chan struct{}), space: make(chan struct{}, 1), maxQueue: opts.MaxBacklog,
		upsDone: make(chan struct{}), exited: make(chan struct{}), tickDone: make(chan struct{}),
	}
	s.reportFn = s.reportCredit
	s.kick, s.upsClosed = make(chan struct{}, 1), make(chan struct{})
	s.ticks.wake = make(chan struct{}, 1)
	s.out.wake, s.senderDone = make(chan struct{}, 1), make(chan struct{})
	core, err := NewCore(CoreOptions{
		Group: opts.Group, Me: me, Guard: guard,
		Config: opts.Config, Protocols: opts.Protocols, Out: (*stackOutputs)(s),
		Log: opts.Log, Seed: inc, ExternalConsume: true, Metrics: &Metrics{transport: opts.Transport},
	})
	if err != nil {
		return nil, err
	}
	s.core = core
	s.drive.Lock()
	core.Start(s.clock.Now())
	core.Idle()
	s.publish()
	s.drive.Unlock()
	go s.senderLoop()
	if s.send(false) {
		s.driveAgain()
	}
	go s.deliverLoop()
	s.afterDrive(false)
	go s.tickLoop()
	if cg, ok := guard.(ControlGuard); ok {
		if t, ok := s.tr.(ControlGuarded); ok {
			t.GuardControl(cg)
		}
	}
	s.tr.Serve(s.received)
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

// View returns the installed view, as of the Core's last step.
func (s *Stack) View() *View { return s.view.Load() }

// origin is who brings work to the Core, which decides what that
// goroutine does after its drive.
type origin uint8

const (
	// byStack: the ticker, the delivery goroutine, a downcall that waits.
	byStack origin = iota
	// byNet: the transport's receiver, which may deliver upcalls inline.
	byNet
	// byApp: an application's Cast or Send, which may deliver upcalls
	// inline and, streaming, hands its datagrams to the sender goroutine
	// (output.go).
	byApp
)

// work is a unit of work for the Core: an application message to hand
// it (the common case, kept free of a closure's allocation), or f.
type work struct {
	f   func()
	req appReq
}

// do runs the work on the Core (the caller drives it).
func (w *work) do(c *Core) {
	if w.f != nil {
		w.f()
		return
	}
	c.enqueue(w.req)
}

// submit queues f to run on the Core and drives the Core if nobody else
// is. It returns false once the stack is closing.
func (s *Stack) submit(f func(), by origin) bool {
	return s.submitWork(work{f: f}, by)
}

// submitWork is submit for any work.
func (s *Stack) submitWork(w work, by origin) bool {
	s.qmu.Lock()
	if s.closing {
		s.qmu.Unlock()
		return false
	}
	s.work = append(s.work, w)
	s.qmu.Unlock()
	s.driveCore(by)
	return true
}

// maxRounds bounds how many batches of work a driver does before it
// flushes packed datagrams, so that a steady stream of work cannot hold
// back what is already packed.
const maxRounds = 8

// driveCore does the queued work if no other goroutine is doing it, sends
// the datagrams it produced (output.go), then sees to the upcalls
// (afterDrive): inline if Options.InlineUpcalls and the goroutine may. A
// goroutine that finds the Core taken returns at once: the holder checks
// the queue again after letting go, so no work is left behind.
func (s *Stack) driveCore(by origin) {
	// A streaming application's upcalls go to the delivery goroutine, as
	// its datagrams go to the sender goroutine: delivering inline, it
	// would cast at half the pace, the output would drain between its
	// casts, and every datagram would go out with a cast or two in it.
	streaming := by == byApp && !s.opts.RequestDriven && s.out.streaming(s.clock.Now())
	inline := by != byStack && s.opts.InlineUpcalls && !streaming
	for {
		if !s.drive.TryLock() {
			return
		}
		for round := 0; round < maxRounds; round++ {
			s.qmu.Lock()
			batch := s.work
			s.work, s.spare = s.spare[:0], nil
			s.qmu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := range batch {
				batch[i].do(s.core)
				batch[i] = work{}
			}
			s.spare = batch
		}
		if s.out.holding() {
			s.core.IdleOpen()
		} else {
			s.core.Idle()
		}
		s.publish()
		s.drive.Unlock()
		if inline {
			// Deliver first: what the drive delivered here (a request
			// applied, say) is answered before its fan-out is sent, which
			// takes a system call that wakes every receiver.
			s.afterDrive(true)
		}
		flush := s.send(streaming)
		if !inline {
			s.afterDrive(false)
		}
		s.qmu.Lock()
		if flush {
			s.work = append(s.work, flushWork)
		}
		more := len(s.work) > 0
		s.qmu.Unlock()
		if !more {
			return
		}
	}
}

// flushWork does nothing: queued, it makes whoever drives next go through
// Idle, which flushes the datagrams left open while the output was busy.
var flushWork = work{f: func() {}}

// driveAgain has the Core flush the datagrams left open while the output
// was busy.
func (s *Stack) driveAgain() {
	s.submitWork(flushWork, byStack)
}

// publish makes the view and the queue's progress visible to other
// goroutines.
func (s *Stack) publish() {
	if v := s.core.View(); v != nil && v != s.view.Load() {
		s.view.Store(v)
	}
	if n := int64(s.core.Injected()); n > s.injected.Load() {
		s.injected.Store(n)
		select {
		case s.space <- struct{}{}:
		default:
		}
	}
}

// received hands a batch of datagrams to the Core (transport goroutine).
func (s *Stack) received(batch []Packet) {
	s.submit(func() {
		now := s.clock.Now()
		for _, p := range batch {
			s.core.Receive(now, p.From, p.Data)
		}
	}, byNet)
}

// call runs f on the Core and waits for it.
func (s *Stack) call(f func()) error {
	ran := make(chan struct{})
	if !s.submit(func() { f(); close(ran) }, byStack) {
		return ErrClosed
	}
	select {
	case <-ran:
		return nil
	case <-s.stopped:
		return ErrClosed
	}
}

// waitSpace blocks while MaxBacklog application messages wait to be sent.
// The count it reads can only lag behind the Core, which makes it wait
// sooner, never later.
func (s *Stack) waitSpace(ctx context.Context) error {
	for s.posted.Load()-s.injected.Load() >= int64(s.maxQueue) {
		select {
		case <-s.space:
		case <-s.stopped:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("stack: backlog full: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// Cast sends a reliable multicast to the group. It returns once the stack
// has the message (not once it is delivered); it blocks while the stack's
// backlog is full (a flush in progress or a closed flow-control window),
// until ctx is done, and returns ErrClosed once the member has left or the
// stack is closed.
func (s *Stack) Cast(ctx context.Context, payload []byte) error {
	if err := s.core.checkSend(payload); err != nil {
		return err
	}
	return s.post(ctx, appReq{payload: payload})
}

// Send sends a reliable point-to-point message to dest, which must be a
// member of the current view (a message to a member that leaves before it
// is sent is dropped and counted). Blocking as Cast.
func (s *Stack) Send(ctx context.Context, dest Endpoint, payload []byte) error {
	if err := s.core.checkSend(payload); err != nil {
		return err
	}
	if v := s.view.Load(); v == nil || !v.Contains(dest) {
		return fmt.Errorf("send to %s: %w", dest, ErrNotMember)
	}
	return s.post(ctx, appReq{send: true, dest: dest, payload: payload})
}

// post queues r, one application message for the Core, without waiting
// for it to be handed over. At most MaxBacklog messages wait to be sent, in
// the work queue or the Core's queue together; beyond that the caller
// blocks. (Concurrent callers may overshoot by one each.)
func (s *Stack) post(ctx context.Context, r appReq) error {
	select {
	case <-s.exited:
		return ErrClosed
	default:
	}
	if err := s.waitSpace(ctx); err != nil {
		return err
	}
	s.posted.Add(1)
	s.ticks.work()
	if !s.submitWork(work{req: r}, byApp) {
		return ErrClosed
	}
	return nil
}

// Suspect reports members believed to have failed.
func (s *Stack) Suspect(ids ...Endpoint) error {
	return s.call(func() { s.core.Suspect(ids...) })
}

// Leave leaves the group and waits until the group has confirmed (the
// UpExit upcall has been delivered) or ctx is done.
func (s *Stack) Leave(ctx context.Context) error {
	if err := s.call(func() { s.core.Leave() }); err != nil {
		return err
	}
	select {
	case <-s.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stack: leave not confirmed: %w", ctx.Err())
	}
}

// Close stops the stack at once, without leaving: to the others this looks
// like a crash. It stops the ticker and the transport, waits for the Core
// to be released and for the delivery goroutine to finish.
func (s *Stack) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.qmu.Lock()
		s.closing = true
		s.work = nil
		s.qmu.Unlock()
		close(s.stopped)
		<-s.tickDone
		err = s.tr.Close()
		<-s.senderDone
		// Wait for any goroutine still driving the Core, and keep the Core
		// from ever being driven again.
		s.drive.Lock()
		close(s.upsClosed)
		<-s.upsDone
		s.exitOnce.Do(func() { close(s.exited) })
	})
	return err
}

// stackOutputs adapts the Stack to the Core's Outputs (called by whichever
// goroutine drives the Core).
type stackOutputs Stack

// SendTo and Multicast queue the datagram for the output (output.go).
func (o *stackOutputs) SendTo(addr string, pkt []byte) {
	o.out.push(Datagram{To: []string{addr}, Data: pkt})
}

func (o *stackOutputs) Multicast(addrs []string, pkt []byte) {
	o.out.push(Datagram{To: addrs, Data: pkt})
}

func (o *stackOutputs) Broadcast(pkt []byte) {
	if err := o.tr.Broadcast(pkt); err != nil {
		o.core.Metrics().Drop("send-error")
	}
}

// Upcall queues u for the delivery goroutine. A new view is published
// first, so that the application never knows of a view that Send would
// not (a state transfer sends to members of a view as soon as it starts).
func (o *stackOutputs) Upcall(u Upcall) {
	if u.Kind == UpView {
		o.view.Store(u.View)
	}
	o.ups.push(u)
}
