package stack

import "sync"

// upQueue is an unbounded FIFO of upcalls between the goroutine driving
// the Core (which must never block on the application) and whichever
// goroutine delivers them. Flow control keeps it from growing without
// limit.
type upQueue struct {
	mu     sync.Mutex
	items  []Upcall
	head   int
	closed bool
}

func (q *upQueue) push(u Upcall) {
	q.mu.Lock()
	q.items = append(q.items, u)
	q.mu.Unlock()
}

// pop takes the next upcall, if any; more reports whether further
// upcalls are already queued.
func (q *upQueue) pop() (u Upcall, ok, more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
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

// empty reports whether nothing is queued.
func (q *upQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.head == len(q.items)
}
