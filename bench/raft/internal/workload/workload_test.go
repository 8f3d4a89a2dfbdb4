package workload

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type countingApplier struct {
	n       atomic.Int64
	failAt  int64
	lastLen atomic.Int64
}

func (c *countingApplier) Apply(cmd []byte, _ time.Duration) error {
	c.lastLen.Store(int64(len(cmd)))
	if n := c.n.Add(1); c.failAt > 0 && n >= c.failAt {
		return errors.New("boom")
	}
	return nil
}

func TestRunStopsAtMaxOps(t *testing.T) {
	for _, conc := range []int{1, 8} {
		a := &countingApplier{}
		res, err := Run(context.Background(), a, Spec{
			Size: 16, Concurrency: conc, MaxOps: 500, Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Ops != 500 || a.n.Load() != 500 || a.lastLen.Load() != 16 {
			t.Fatalf("conc %d: ops %d, applied %d, len %d", conc, res.Ops, a.n.Load(), a.lastLen.Load())
		}
		if res.Latency.Max <= 0 && res.Latency.P50 < 0 {
			t.Fatalf("bad latency %+v", res.Latency)
		}
	}
}

func TestRunStopsAtDurationAndCountsWarmup(t *testing.T) {
	a := &countingApplier{}
	res, err := Run(context.Background(), a, Spec{
		Size: 1, Concurrency: 2, MaxOps: 1 << 40, Duration: 20 * time.Millisecond,
		Warmup: 10 * time.Millisecond, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := int64(res.Ops + res.WarmupOps); got != a.n.Load() || res.WarmupOps == 0 {
		t.Fatalf("ops %d + warmup %d != applied %d", res.Ops, res.WarmupOps, a.n.Load())
	}
}

func TestRunReportsApplyError(t *testing.T) {
	a := &countingApplier{failAt: 10}
	if _, err := Run(context.Background(), a, Spec{
		Size: 1, Concurrency: 4, MaxOps: 1000, Timeout: 10 * time.Second,
	}); err == nil {
		t.Fatal("expected error")
	}
}
