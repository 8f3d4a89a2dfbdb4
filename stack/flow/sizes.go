package flow

// sizes is a queue of message sizes. Popping advances a head index
// instead of reslicing, so that the array is reused once the queue
// drains: a queue that is often empty (one outstanding cast at a time)
// then allocates nothing.
type sizes struct {
	q    []int
	head int
}

func (s *sizes) push(n int) { s.q = append(s.q, n) }

func (s *sizes) len() int { return len(s.q) - s.head }

// pop removes and returns the oldest size; the queue must not be empty.
func (s *sizes) pop() int {
	n := s.q[s.head]
	s.head++
	switch {
	case s.head == len(s.q):
		s.q, s.head = s.q[:0], 0
	case s.head >= 1024 && 2*s.head >= len(s.q):
		// Mostly consumed: move the rest to the front rather than let
		// the array grow behind a queue that never quite drains.
		s.q, s.head = s.q[:copy(s.q, s.q[s.head:])], 0
	}
	return n
}
