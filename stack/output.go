package stack

import (
	"sync"
	"sync/atomic"
	"time"
)

// output is the Stack's send path. Drives of the Core queue their
// datagrams here instead of sending them, and one goroutine at a time —
// the holder — sends what is queued, many datagrams per system call where
// the transport is a BatchSender. While the holder sends, drives leave the
// datagrams they are filling open (Core.IdleOpen), so that the messages
// that arrive meanwhile travel together instead of one datagram each; the
// holder has the Core flush them once it is done. Under load this packs
// several casts per datagram and several datagrams per system call; when
// idle, a datagram goes out as soon as its drive ends.
//
// Datagrams from an application streaming casts or sends (within
// streamGap of its previous one) are handed to the sender goroutine, so
// that the application goes on casting — filling the next datagram — while
// they are sent: a single goroutine casting in a loop would otherwise send
// every cast alone. An occasional cast, every cast of a request-driven
// application (Options.RequestDriven: its calls come quickly only because
// its requests do), and the datagrams of the receiver and the ticker, are
// sent at once by the goroutine that made them when nobody else is
// sending: no hand-off on the way of a lone message. With
// Options.InlineUpcalls that goroutine first delivers what its drive
// produced, so that a cast delivered locally (a request applied at the
// sequencer) is answered before the system call that wakes every
// receiver.
type output struct {
	mu    sync.Mutex
	queue []Datagram
	spare []Datagram
	busy  bool // a holder is sending
	open  bool // a drive left datagrams open while busy
	wake  chan struct{}

	lastApp atomic.Int64 // when an application last drove the Core, in ns
}

// push queues a datagram (called while driving the Core).
func (o *output) push(d Datagram) {
	o.mu.Lock()
	o.queue = append(o.queue, d)
	o.mu.Unlock()
}

// holding reports whether a holder is sending, and if so notes that the
// drive asking leaves datagrams open for the holder to have flushed.
func (o *output) holding() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy {
		o.open = true
	}
	return o.busy
}

// acquire makes the caller the holder if nobody is and something is
// queued.
func (o *output) acquire() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy || len(o.queue) == 0 {
		return false
	}
	o.busy = true
	return true
}

// take hands the holder what is queued; with nothing left it releases the
// output and reports whether drives left datagrams open meanwhile (the
// Core must then be driven again to flush them).
func (o *output) take() (batch []Datagram, flush bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) == 0 {
		o.busy = false
		flush, o.open = o.open, false
		return nil, flush
	}
	batch, o.queue, o.spare = o.queue, o.spare[:0], nil
	return batch, false
}

// recycle returns a sent batch's slice for reuse.
func (o *output) recycle(batch []Datagram) {
	clear(batch)
	o.mu.Lock()
	o.spare = batch[:0]
	o.mu.Unlock()
}

// streamGap is how soon after its previous message an application's next
// one makes it a stream: well below a system call with the receiver's
// wake-up on loopback (what a cast costs when it is sent at once), well
// above what packing a cast costs.
const streamGap = 20 * time.Microsecond

// streaming notes that an application drives the Core now, and reports
// whether it drove it within streamGap before.
func (o *output) streaming(now time.Time) bool {
	ns := now.UnixNano()
	return ns-o.lastApp.Swap(ns) < int64(streamGap)
}

// send runs after a drive of the Core: it sends what the drive queued,
// unless another goroutine is already sending (which sends it too). For an
// application streaming messages the sending is handed to the sender
// goroutine. It reports whether the Core must be driven again to flush
// datagrams left open while the sending went on.
func (s *Stack) send(streaming bool) (flush bool) {
	if !s.out.acquire() {
		return false
	}
	if streaming {
		select {
		case s.out.wake <- struct{}{}:
		default:
		}
		return false
	}
	return s.sendQueued()
}

// sendQueued sends until the queue is empty, then releases the output
// (the caller is the holder).
func (s *Stack) sendQueued() (flush bool) {
	for {
		batch, flush := s.out.take()
		if batch == nil {
			return flush
		}
		s.transmit(batch)
		s.out.recycle(batch)
	}
}

// transmit sends a batch through the transport, then recycles the
// datagrams' buffers (transports do not keep them).
func (s *Stack) transmit(batch []Datagram) {
	if bs, ok := s.tr.(BatchSender); ok {
		if err := bs.SendBatch(batch); err != nil {
			s.core.Metrics().Drop("send-error")
		}
	} else {
		for _, d := range batch {
			var err error
			if len(d.To) == 1 {
				err = s.tr.SendTo(d.To[0], d.Data)
			} else {
				err = s.tr.Multicast(d.To, d.Data)
			}
			if err != nil {
				s.core.Metrics().Drop("send-error")
			}
		}
	}
	for _, d := range batch {
		recyclePackBuf(d.Data)
	}
}

// senderLoop is the sender goroutine: it sends what application drives
// handed it, and has the Core flush what was left open meanwhile.
func (s *Stack) senderLoop() {
	defer close(s.senderDone)
	for {
		select {
		case <-s.stopped:
			return
		case <-s.out.wake:
		}
		if s.sendQueued() {
			s.driveAgain()
		}
	}
}
