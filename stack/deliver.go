package stack

// Upcalls reach the application one at a time, in order, from whichever
// goroutine holds the delivery lock. By default that is the stack's
// delivery goroutine, so that a slow application never stalls the
// protocol (heartbeats, retransmissions). With Options.InlineUpcalls the
// goroutine that brought the work — the transport's receiver, or an
// application goroutine in Cast or Send — delivers what its step queued
// itself when no other goroutine is delivering (and, for an application,
// when it is not streaming casts), up to inlineLimit upcalls, and hands
// the rest to the delivery goroutine: a request that
// arrives, is cast and is delivered locally then costs no hand-off
// between goroutines (and no wake-up of another thread) on its way.

// inlineLimit bounds how many upcalls a goroutine delivers inline before
// it hands the rest to the delivery goroutine, so that a transport
// receiver returns to its socket.
const inlineLimit = 64

// creditKey identifies a sender's casts in a view, for flow control.
type creditKey struct {
	view uint64
	rank int
}

// creditCount is how many of a sender's casts the application consumed.
type creditCount struct {
	key creditKey
	n   int
}

// afterDrive is called by a goroutine that has just driven the Core:
// inline, it delivers the queued upcalls itself; otherwise, or for what
// is left, it wakes the delivery goroutine.
func (s *Stack) afterDrive(inline bool) {
	if s.ups.empty() {
		return
	}
	if inline && !s.deliverPending(inlineLimit) {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// deliverPending delivers queued upcalls while it holds the delivery lock,
// at most limit of them if limit > 0. A goroutine that finds the lock
// taken returns at once: the holder checks the queue again after letting
// go, so nothing is left behind. It reports whether upcalls were left
// because of the limit.
func (s *Stack) deliverPending(limit int) (left bool) {
	for {
		if !s.delivering.TryLock() {
			return false
		}
		n := 0
		for limit <= 0 || n < limit {
			u, ok, more := s.ups.pop()
			if !ok {
				break
			}
			n++
			s.deliverOne(u, more)
		}
		s.delivering.Unlock()
		if limit > 0 && n >= limit {
			return !s.ups.empty()
		}
		if s.ups.empty() {
			return false
		}
	}
}

// deliverOne hands u to the application and reports consumed casts back
// to the Core for flow control (delivery lock held).
func (s *Stack) deliverOne(u Upcall, more bool) {
	s.ticks.work()
	if u.Kind == UpCast {
		// Counted before the callback runs, so that a callback that casts
		// can never wait on its own credit.
		s.countCredit(creditKey{u.ViewHash, u.Rank})
	}
	reply := s.opts.OnUpcall(u)
	switch u.Kind {
	case UpViewMsgReq:
		id := u.View.ID
		s.submit(func() { s.core.ViewMsgReply(id, reply) }, byStack)
	case UpExit:
		s.exitOnce.Do(func() { close(s.exited) })
	}
	if !more || len(s.credit) >= 64 {
		s.flushCredit()
	}
}

// countCredit counts a consumed cast (delivery lock held). The senders
// are few, so a list beats a map.
func (s *Stack) countCredit(k creditKey) {
	for i := range s.credit {
		if s.credit[i].key == k {
			s.credit[i].n++
			return
		}
	}
	s.credit = append(s.credit, creditCount{key: k, n: 1})
}

// flushCredit reports the casts consumed since the last report (delivery
// lock held): they wait in creditOut for reportCredit, which runs as the
// Core's work — a batch in a reused array rather than a closure over a
// fresh map per report.
func (s *Stack) flushCredit() {
	if len(s.credit) == 0 {
		return
	}
	s.creditMu.Lock()
	s.creditOut = append(s.creditOut, s.credit...)
	s.creditMu.Unlock()
	s.credit = s.credit[:0]
	s.submit(s.reportFn, byStack)
}

// reportCredit hands the reported consumption to the Core (driving it).
func (s *Stack) reportCredit() {
	s.creditMu.Lock()
	batch := s.creditOut
	s.creditOut = s.creditFree
	s.creditMu.Unlock()
	for _, c := range batch {
		s.core.Consumed(c.key.view, c.key.rank, c.n)
	}
	s.creditFree = batch[:0]
}

// deliverLoop is the delivery goroutine: it delivers whenever a driver
// kicks it, and, once the stack is closed, what is left.
func (s *Stack) deliverLoop() {
	defer close(s.upsDone)
	for {
		select {
		case <-s.kick:
			s.deliverPending(0)
		case <-s.upsClosed:
			s.delivering.Lock() // wait for an inline delivery to finish
			for {
				u, ok, more := s.ups.pop()
				if !ok {
					break
				}
				s.deliverOne(u, more)
			}
			s.delivering.Unlock()
			return
		}
	}
}
