package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

// Run executes one workload cell on the leader and returns its result.
func (c *Cluster) Run(ctx context.Context, a control.RunArgs) (control.RunResult, error) {
	if a.TimeoutNS <= 0 {
		return control.RunResult{}, errors.New("driver: run needs a positive timeout")
	}
	if a.ApplyTimeoutNS <= 0 {
		a.ApplyTimeoutNS = int64(applyTimeoutMax)
	}
	wait := time.Duration(a.TimeoutNS) + workloadGrace
	rep, err := c.procs[c.leader].call(ctx, control.Request{Cmd: control.CmdRun, Run: &a}, wait)
	if err != nil {
		return control.RunResult{}, fmt.Errorf("driver: %w", err)
	}
	if rep.Run == nil {
		return control.RunResult{}, errors.New("driver: run reply without result")
	}
	return *rep.Run, nil
}

// Replicas is the FSM state of every node after a barrier on the leader.
type Replicas struct {
	States []control.FSMState
}

// Consistent reports whether every node applied the same entries, bytes and
// checksum, and the entry count equals want.
func (r Replicas) Consistent(want uint64) bool {
	if len(r.States) == 0 {
		return false
	}
	for _, s := range r.States {
		if s.Entries != want || s.Bytes != r.States[0].Bytes || s.Checksum != r.States[0].Checksum {
			return false
		}
	}
	return true
}

// Entries lists each node's applied entry count, in node order.
func (r Replicas) Entries() []uint64 {
	out := make([]uint64, len(r.States))
	for i, s := range r.States {
		out[i] = s.Entries
	}
	return out
}

// Replicas issues a barrier on the leader, then waits until every follower's
// FSM has applied the leader's last command and collects all FSM states.
func (c *Cluster) Replicas(ctx context.Context) (Replicas, error) {
	rep, err := c.procs[c.leader].call(ctx, control.Request{Cmd: control.CmdBarrier}, callTimeout+catchUpTimeout)
	if err != nil {
		return Replicas{}, fmt.Errorf("driver: %w", err)
	}
	target := rep.FSM.LastIndex
	states := make([]control.FSMState, len(c.procs))
	for i, p := range c.procs {
		if i == c.leader {
			states[i] = *rep.FSM
			continue
		}
		w, err := p.call(ctx, control.Request{Cmd: control.CmdWait, Wait: &control.WaitArgs{
			Index: target, TimeoutNS: int64(catchUpTimeout),
		}}, catchUpTimeout+callTimeout)
		if err != nil {
			return Replicas{}, fmt.Errorf("driver: follower catch-up: %w", err)
		}
		states[i] = *w.FSM
	}
	return Replicas{States: states}, nil
}

// Compact asks every node to snapshot and collect garbage.
func (c *Cluster) Compact(ctx context.Context) error {
	for _, p := range c.procs {
		if _, err := p.call(ctx, control.Request{Cmd: control.CmdCompact}, callTimeout+catchUpTimeout); err != nil {
			return fmt.Errorf("driver: %w", err)
		}
	}
	return nil
}
