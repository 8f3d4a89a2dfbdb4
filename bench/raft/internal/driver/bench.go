package driver

import (
	"context"
	"fmt"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
	"github.com/maestro-go/maestro/bench/raft/internal/report"
)

// Modes of a benchmark cell.
const (
	ModeSeq  = "seq"  // one caller, Apply after Apply
	ModeConc = "conc" // Plan.Concurrency callers at once
)

// Plan lists the cells to run and bounds each one.
type Plan struct {
	Sizes       []int
	Modes       []string
	Concurrency int
	MaxOps      int
	Duration    time.Duration
	Warmup      time.Duration
	CellTimeout time.Duration
}

// Outcome summarises a whole benchmark.
type Outcome struct {
	// TotalEntries is the number of entries the leader acknowledged.
	TotalEntries uint64
	// Final is the replica state after the last cell.
	Final Replicas
	// Consistent is true when every cell ended with consistent replicas.
	Consistent bool
}

// Bench runs every (size, mode) cell of p in order, checks the replicas after
// each cell, compacts logs between cells and hands each cell to emit.
func Bench(ctx context.Context, c *Cluster, p Plan, emit func(report.Cell) error) (Outcome, error) {
	out := Outcome{Consistent: true}
	for _, size := range p.Sizes {
		for _, mode := range p.Modes {
			cell, err := RunCell(ctx, c, p, size, mode, &out)
			if err != nil {
				return out, err
			}
			if err := emit(cell); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// RunCell runs one (size, mode) cell with p's bounds (p.Sizes and p.Modes
// are not used), checks the replicas against every entry acknowledged so
// far (out accumulates them across cells), and compacts the logs
// afterwards, so cells may be run one at a time in any order.
func RunCell(ctx context.Context, c *Cluster, p Plan, size int, mode string, out *Outcome) (report.Cell, error) {
	conc := 1
	switch mode {
	case ModeSeq:
	case ModeConc:
		conc = p.Concurrency
	default:
		return report.Cell{}, fmt.Errorf("cell size %d: unknown mode %q", size, mode)
	}
	res, err := c.Run(ctx, control.RunArgs{
		Size: size, Concurrency: conc, MaxOps: p.MaxOps,
		DurationNS: int64(p.Duration), WarmupNS: int64(p.Warmup), TimeoutNS: int64(p.CellTimeout),
	})
	if err != nil {
		return report.Cell{}, fmt.Errorf("cell size %d %s: %w", size, mode, err)
	}
	out.TotalEntries += uint64(res.Ops + res.WarmupOps)
	reps, err := c.Replicas(ctx)
	if err != nil {
		return report.Cell{}, fmt.Errorf("cell size %d %s: %w", size, mode, err)
	}
	out.Final = reps
	cell := report.NewCell(size, mode, conc, c.Nodes(), res)
	cell.Leader = c.LeaderID()
	cell.Applied = reps.Entries()
	cell.ReplicasConsistent = reps.Consistent(out.TotalEntries)
	cell.Config = c.Config
	out.Consistent = out.Consistent && cell.ReplicasConsistent
	if err := c.Compact(ctx); err != nil {
		return cell, fmt.Errorf("cell size %d %s: %w", size, mode, err)
	}
	return cell, nil
}
