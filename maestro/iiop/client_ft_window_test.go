package iiop

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFTWindow: retention ids are handed out in order while the newest in
// flight stays fewer than the window's size newer than the oldest in
// flight; a call that does not fit waits until the oldest ends (or its
// context does); the ids wrap around.
func TestFTWindow(t *testing.T) {
	w := newFTWindow(3)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	// With an ended context, acquire answers at once: an id if one fits.
	fits := func() (int32, bool) {
		id, err := w.acquire(ended)
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
		return id, err == nil
	}
	for want := int32(1); want <= 3; want++ {
		id, ok := fits()
		require.True(t, ok)
		require.Equal(t, want, id)
	}
	_, ok := fits()
	require.False(t, ok, "4 is three calls newer than 1, in flight")
	w.release(2)
	_, ok = fits()
	require.False(t, ok, "the window runs from the oldest call in flight, not from the number in flight")
	w.release(1)
	for want := int32(4); want <= 5; want++ {
		id, ok := fits()
		require.True(t, ok)
		require.Equal(t, want, id)
	}
	_, ok = fits()
	require.False(t, ok, "6 is three calls newer than 3")

	got := make(chan int32)
	go func() {
		id, err := w.acquire(context.Background())
		if err == nil {
			got <- id
		}
	}()
	w.release(3)
	require.EqualValues(t, 6, <-got, "a waiting call goes once the oldest ends")
	w.release(99) // not in flight: nothing changes
	_, ok = fits()
	require.False(t, ok)

	w = newFTWindow(3)
	w.next = math.MaxInt32 - 1
	for _, want := range []int32{math.MaxInt32 - 1, math.MaxInt32, math.MinInt32} {
		id, err := w.acquire(ended)
		require.NoError(t, err)
		require.Equal(t, want, id)
	}
	_, err := w.acquire(ended)
	require.Error(t, err, "three calls apart across the wrap")
	w.release(math.MaxInt32 - 1)
	id, err := w.acquire(ended)
	require.NoError(t, err)
	require.EqualValues(t, math.MinInt32+1, id)
}
