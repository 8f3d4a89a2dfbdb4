package stack

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// upQueue is an unbounded FIFO of upcalls between the stack goroutine
// (which must never block on the application) and the delivery goroutine.
// Flow control keeps it from growing without limit.
type upQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []Upcall
	head    int
	closed  bool
	waiting bool // the consumer sleeps on cond
}

func (q *upQueue) init() { q.cond = sync.NewCond(&q.mu) }

func (q *upQueue) push(u Upcall) {
	q.mu.Lock()
	q.items = append(q.items, u)
	wake := q.waiting
	q.mu.Unlock()
	if wake {
		q.cond.Signal()
	}
}

// pop waits for the next upcall; ok is false once closed and drained;
// more reports whether further upcalls are already queued.
func (q *upQueue) pop() (u Upcall, ok, more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.waiting = true
		q.cond.Wait()
		q.waiting = false
	}
	if q.head == len(q.items) {
		return Upcall{}, false, false
	}
	u = q.items[q.head]
	q.items[q.head] = Upcall{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return u, true, q.head < len(q.items)
}

func (q *upQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func randomUint64() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:])
}
