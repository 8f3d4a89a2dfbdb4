package flow

import "testing"

// The queue gives sizes back in order, and reuses its array once drained.
func TestSizesQueue(t *testing.T) {
	var s sizes
	next, want := 0, 0
	for round := range 3000 {
		for range round%5 + 1 {
			s.push(next)
			next++
		}
		for range round%4 + 1 {
			if s.len() == 0 {
				break
			}
			if got := s.pop(); got != want {
				t.Fatalf("popped %d, want %d", got, want)
			}
			want++
		}
		if s.len() != next-want {
			t.Fatalf("len %d, want %d", s.len(), next-want)
		}
		if s.head > 1024 && 2*s.head > len(s.q) {
			t.Fatalf("head %d of %d: the consumed front was never reclaimed", s.head, len(s.q))
		}
	}
	for s.len() > 0 {
		s.pop()
	}
	if allocs := testing.AllocsPerRun(100, func() { s.push(1); s.pop() }); allocs != 0 {
		t.Fatalf("a drained queue allocates %v times per push and pop", allocs)
	}
}
