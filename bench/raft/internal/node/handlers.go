package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/hashicorp/raft"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
	"github.com/maestro-go/maestro/bench/raft/internal/workload"
)

// barrierTimeout bounds a barrier's wait to be enqueued.
const barrierTimeout = 30 * time.Second

// handle executes one request and never panics on bad input.
func (n *Node) handle(ctx context.Context, req control.Request) control.Reply {
	var (
		rep control.Reply
		err error
	)
	switch {
	case req.Cmd == control.CmdStart && req.Start != nil:
		rep, err = n.start(*req.Start)
	case req.Cmd == control.CmdStart:
		err = errors.New("start: missing arguments")
	case n.raft == nil:
		err = fmt.Errorf("%s: raft not started", req.Cmd)
	case req.Cmd == control.CmdStatus:
		rep = n.status()
	case req.Cmd == control.CmdRun && req.Run != nil:
		rep, err = n.run(ctx, *req.Run)
	case req.Cmd == control.CmdWait && req.Wait != nil:
		rep, err = n.wait(ctx, *req.Wait)
	case req.Cmd == control.CmdBarrier:
		rep, err = n.barrier()
	case req.Cmd == control.CmdCompact:
		err = n.compact()
	default:
		err = fmt.Errorf("unknown or incomplete command %q", req.Cmd)
	}
	if err != nil {
		return control.Reply{Error: fmt.Sprintf("node %s: %v", n.id, err)}
	}
	rep.OK = true
	return rep
}

func (n *Node) start(a control.StartArgs) (control.Reply, error) {
	if n.raft != nil {
		return control.Reply{}, errors.New("start: already started")
	}
	conf, err := raftConfig(n.id, a.Params)
	if err != nil {
		return control.Reply{}, err
	}
	store := raft.NewInmemStore()
	r, err := raft.NewRaft(conf, n.fsm, store, store, raft.NewInmemSnapshotStore(), n.trans)
	if err != nil {
		return control.Reply{}, fmt.Errorf("start: new raft: %w", err)
	}
	n.raft = r
	if a.Bootstrap {
		if err := r.BootstrapCluster(servers(a.Peers)).Error(); err != nil {
			return control.Reply{}, fmt.Errorf("start: bootstrap: %w", err)
		}
	}
	d := describe(conf)
	return control.Reply{Config: &d}, nil
}

func (n *Node) status() control.Reply {
	_, leader := n.raft.LeaderWithID()
	return control.Reply{Status: &control.Status{State: n.raft.State().String(), LeaderID: string(leader)}}
}

// applier adapts *raft.Raft to workload.Applier.
type applier struct{ r *raft.Raft }

func (a applier) Apply(cmd []byte, timeout time.Duration) error {
	return a.r.Apply(cmd, timeout).Error()
}

func (n *Node) run(ctx context.Context, a control.RunArgs) (control.Reply, error) {
	if n.raft.State() != raft.Leader {
		return control.Reply{}, fmt.Errorf("run: not the leader (state %s)", n.raft.State())
	}
	res, err := workload.Run(ctx, applier{n.raft}, workload.Spec{
		Size:         a.Size,
		Concurrency:  a.Concurrency,
		MaxOps:       a.MaxOps,
		Duration:     time.Duration(a.DurationNS),
		Warmup:       time.Duration(a.WarmupNS),
		Timeout:      time.Duration(a.TimeoutNS),
		ApplyTimeout: time.Duration(a.ApplyTimeoutNS),
	})
	if err != nil {
		return control.Reply{}, fmt.Errorf("run size %d x%d: %w", a.Size, a.Concurrency, err)
	}
	l := res.Latency
	return control.Reply{Run: &control.RunResult{
		Ops: res.Ops, WarmupOps: res.WarmupOps, Seconds: res.Elapsed.Seconds(),
		MeanUS: l.Mean, P50US: l.P50, P90US: l.P90, P99US: l.P99, P999US: l.P999, MaxUS: l.Max,
	}}, nil
}

// barrier waits until every preceding entry is applied on this (leader) node.
func (n *Node) barrier() (control.Reply, error) {
	if err := n.raft.Barrier(barrierTimeout).Error(); err != nil {
		return control.Reply{}, fmt.Errorf("barrier: %w", err)
	}
	st := n.fsm.State()
	return control.Reply{FSM: &st}, nil
}

// wait polls the FSM until it has applied index a.Index, bounded by a.TimeoutNS.
func (n *Node) wait(ctx context.Context, a control.WaitArgs) (control.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.TimeoutNS))
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		st := n.fsm.State()
		if st.LastIndex >= a.Index {
			return control.Reply{FSM: &st}, nil
		}
		select {
		case <-ctx.Done():
			return control.Reply{FSM: &st}, fmt.Errorf("wait for index %d (at %d): %w", a.Index, st.LastIndex, ctx.Err())
		case <-tick.C:
		}
	}
}

// compact snapshots the FSM (which truncates the in-memory log down to
// TrailingLogs entries) and returns freed memory to the OS, so that each
// benchmark cell starts from a similar heap.
func (n *Node) compact() error {
	if err := n.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return fmt.Errorf("compact: snapshot: %w", err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	return nil
}
