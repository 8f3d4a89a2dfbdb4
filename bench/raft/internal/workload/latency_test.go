package workload

import (
	"testing"
	"time"
)

func TestSummarizeNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Microsecond)
	}
	s := Summarize(lat)
	if s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.P999 != 100 || s.Max != 100 {
		t.Fatalf("unexpected summary %+v", s)
	}
	if s.Mean != 50.5 {
		t.Fatalf("mean = %v, want 50.5", s.Mean)
	}
	if (Summarize(nil) != Summary{}) {
		t.Fatal("empty input should give zero summary")
	}
}
