package netlab

import (
	"testing"
	"time"
)

// reach reports whether a datagram from node from arrives at node to.
func reach(t *testing.T, l *Lab, from, to int) bool {
	t.Helper()
	src, err := l.ListenUDP(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := l.ListenUDP(to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for try := 0; try < 3; try++ {
		if _, err := src.WriteTo([]byte("hello"), dst.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		_ = dst.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, _, err := dst.ReadFrom(buf); err == nil && string(buf[:n]) == "hello" {
			return true
		}
	}
	return false
}

func TestPartitionAndHeal(t *testing.T) {
	l := New(t, 3)
	if !reach(t, l, 0, 1) || !reach(t, l, 1, 2) {
		t.Fatal("nodes of one lab do not reach each other")
	}
	l.Partition([]int{0}, []int{1, 2})
	if reach(t, l, 0, 1) || reach(t, l, 2, 0) {
		t.Fatal("a partitioned node is still reachable")
	}
	if !reach(t, l, 1, 2) {
		t.Fatal("the nodes of one component cannot reach each other")
	}
	l.Heal()
	if !reach(t, l, 0, 2) || !reach(t, l, 2, 0) {
		t.Fatal("healed nodes do not reach each other")
	}
}
