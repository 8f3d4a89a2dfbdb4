// Package workload drives Apply calls against a raft leader and measures
// per-call latency at the caller.
package workload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Applier submits one command and blocks until it is committed and applied
// (or fails). *raft.Raft is adapted to it by the node package.
type Applier interface {
	Apply(cmd []byte, timeout time.Duration) error
}

// Spec describes one workload cell. A run stops at whichever comes first:
// MaxOps measured operations, or Duration elapsed (when Duration > 0). Timeout
// is a hard bound on the whole call, warmup included.
type Spec struct {
	Size         int
	Concurrency  int
	MaxOps       int
	Duration     time.Duration
	Warmup       time.Duration
	Timeout      time.Duration
	ApplyTimeout time.Duration
}

// Result is the measured outcome of Run.
type Result struct {
	Ops       int
	WarmupOps int
	Elapsed   time.Duration
	Latency   Summary
}

// Validate reports whether s describes a bounded, runnable workload.
func (s Spec) Validate() error {
	switch {
	case s.Size < 0:
		return fmt.Errorf("workload: negative size %d", s.Size)
	case s.Concurrency < 1:
		return fmt.Errorf("workload: concurrency %d < 1", s.Concurrency)
	case s.MaxOps < 1:
		return fmt.Errorf("workload: max ops %d < 1", s.MaxOps)
	case s.Timeout <= 0:
		return errors.New("workload: timeout must be positive")
	}
	return nil
}

// Run executes the warmup (if any) and then the measured phase.
func Run(ctx context.Context, a Applier, s Spec) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	data := payloads(s.Size)

	var res Result
	if s.Warmup > 0 {
		n, _, _, err := phase(ctx, a, s, data, s.Warmup, false)
		if err != nil {
			return Result{}, fmt.Errorf("warmup: %w", err)
		}
		res.WarmupOps = n
	}
	n, elapsed, lat, err := phase(ctx, a, s, data, s.Duration, true)
	if err != nil {
		return Result{}, fmt.Errorf("measured phase: %w", err)
	}
	res.Ops, res.Elapsed, res.Latency = n, elapsed, Summarize(lat)
	return res, nil
}

// phase runs s.Concurrency workers until MaxOps operations were issued, the
// duration (if > 0) elapsed, or ctx ended. It returns the number of completed
// operations, the wall-clock time, and (if record) every latency.
func phase(ctx context.Context, a Applier, s Spec, data [][]byte, d time.Duration, record bool) (int, time.Duration, []time.Duration, error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		issued   atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, s.Concurrency)
	done := make([]int, s.Concurrency)
	start := time.Now()
	var deadline time.Time
	if d > 0 {
		deadline = start.Add(d)
	}
	for w := range s.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				i := issued.Add(1)
				if i > int64(s.MaxOps) {
					return
				}
				t0 := time.Now()
				if err := a.Apply(data[i%poolSize], s.ApplyTimeout); err != nil {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("apply op %d: %w", i, err)
						stop()
					})
					return
				}
				if record {
					perWorker[w] = append(perWorker[w], time.Since(t0))
				}
				done[w]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	total := 0
	for _, n := range done {
		total += n
	}
	if firstErr != nil {
		return total, elapsed, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return total, elapsed, nil, fmt.Errorf("stopped after %d ops: %w", total, err)
	}
	var lat []time.Duration
	if record {
		lat = make([]time.Duration, 0, total)
		for _, l := range perWorker {
			lat = append(lat, l...)
		}
	}
	return total, elapsed, lat, nil
}
