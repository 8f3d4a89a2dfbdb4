package iiop

import (
	"context"
	"slices"
	"sync"
)

// ftWindow hands out an FT-aware client's retention ids, one per call in
// increasing order, so that every id in flight is less than size ids newer
// than the oldest one still in flight. A server that keeps the replies of a
// client's last size requests (the Replicated Updates ORB keeps
// RetainedPerClient) then still holds the reply of any call the client
// resends: only calls in flight are resent, and at most size of the
// client's requests lie between the oldest of them and the newest.
// Without the window, a client shared by more goroutines than that could
// resend a call whose recorded reply newer ones had pushed out, and the
// server would run it again.
type ftWindow struct {
	size    int32
	mu      sync.Mutex
	next    int32         // the next id to hand out (it wraps, and so do the differences)
	out     []int32       // the ids in flight, oldest first
	changed chan struct{} // closed when a call leaves the window
}

func newFTWindow(size int) *ftWindow {
	return &ftWindow{size: int32(size), next: 1, changed: make(chan struct{})}
}

// acquire returns the next retention id once it fits in the window,
// waiting for older calls to end; it fails with ctx's error if ctx ends
// first.
func (w *ftWindow) acquire(ctx context.Context) (int32, error) {
	for {
		w.mu.Lock()
		if len(w.out) == 0 || w.next-w.out[0] < w.size {
			id := w.next
			w.next++
			w.out = append(w.out, id)
			w.mu.Unlock()
			return id, nil
		}
		changed := w.changed
		w.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// release ends the call with retention id id, making room for newer ones.
func (w *ftWindow) release(id int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i := slices.Index(w.out, id); i >= 0 {
		w.out = slices.Delete(w.out, i, i+1)
		close(w.changed)
		w.changed = make(chan struct{})
	}
}
