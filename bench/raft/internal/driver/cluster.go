// Package driver starts a raft cluster of node processes on loopback and
// runs benchmark cells against its leader through the control protocol.
package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

// Timeouts for control calls that do not run a workload.
const (
	helloTimeout    = 30 * time.Second
	callTimeout     = 30 * time.Second
	leaderTimeout   = 30 * time.Second
	leaderPoll      = 50 * time.Millisecond
	catchUpTimeout  = 60 * time.Second
	stopGrace       = 10 * time.Second
	workloadGrace   = 60 * time.Second
	applyTimeoutMax = 30 * time.Second
)

// Options configure Start.
type Options struct {
	// Exe is the node binary; NodeArgs(id) gives the arguments of the node
	// with raft server id id.
	Exe      string
	NodeArgs func(id string) []string
	Nodes    int
	Params   control.RaftParams
	// Stderr receives the nodes' stderr (nil discards it).
	Stderr io.Writer
}

// Cluster is a running set of node processes with a known leader.
type Cluster struct {
	procs  []*proc
	leader int
	// Config is the effective raft configuration reported by the nodes.
	Config control.RaftConfig
}

// Start spawns the nodes, bootstraps the cluster from node 0 and waits for a
// leader. On error every spawned process is stopped.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	if o.Nodes < 1 {
		return nil, fmt.Errorf("driver: need at least 1 node, got %d", o.Nodes)
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	c := &Cluster{leader: -1}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	peers := make([]control.Peer, 0, o.Nodes)
	for i := range o.Nodes {
		id := "n" + strconv.Itoa(i)
		p, err := spawn(o.Exe, o.NodeArgs(id), id, o.Stderr)
		if err != nil {
			return nil, fmt.Errorf("driver: %w", err)
		}
		c.procs = append(c.procs, p)
		hello, err := p.next(ctx, helloTimeout)
		if err != nil {
			return nil, fmt.Errorf("driver: hello: %w", err)
		}
		if hello.Addr == "" {
			return nil, fmt.Errorf("driver: node %s sent no address: %s", id, hello.Error)
		}
		peers = append(peers, control.Peer{ID: id, Addr: hello.Addr})
	}
	for i, p := range c.procs {
		rep, err := p.call(ctx, control.Request{Cmd: control.CmdStart, Start: &control.StartArgs{
			Peers: peers, Bootstrap: i == 0, Params: o.Params,
		}}, callTimeout)
		if err != nil {
			return nil, fmt.Errorf("driver: %w", err)
		}
		if rep.Config != nil && i == 0 {
			c.Config = *rep.Config
		}
	}
	if err := c.awaitLeader(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Nodes returns the number of nodes in the cluster.
func (c *Cluster) Nodes() int { return len(c.procs) }

// LeaderID returns the id of the leader found by Start.
func (c *Cluster) LeaderID() string { return c.procs[c.leader].id }

// awaitLeader polls every node until all agree on one leader that reports
// itself as Leader, bounded by leaderTimeout.
func (c *Cluster) awaitLeader(ctx context.Context) error {
	deadline := time.Now().Add(leaderTimeout)
	last := "no status yet"
	for time.Now().Before(deadline) {
		if i, desc, err := c.agreedLeader(ctx); err != nil {
			return err
		} else if i >= 0 {
			c.leader = i
			return nil
		} else {
			last = desc
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("driver: wait for leader: %w", ctx.Err())
		case <-time.After(leaderPoll):
		}
	}
	return fmt.Errorf("driver: no agreed leader within %v (last: %s)", leaderTimeout, last)
}

// agreedLeader returns the leader's index, or -1 and a description of the
// disagreement.
func (c *Cluster) agreedLeader(ctx context.Context) (int, string, error) {
	ids := make([]string, len(c.procs))
	leader := -1
	for i, p := range c.procs {
		rep, err := p.call(ctx, control.Request{Cmd: control.CmdStatus}, callTimeout)
		if err != nil {
			return -1, "", fmt.Errorf("driver: %w", err)
		}
		ids[i] = rep.Status.LeaderID
		if rep.Status.State == "Leader" {
			leader = i
		}
	}
	if leader < 0 {
		return -1, fmt.Sprintf("no node in Leader state; leader views %v", ids), nil
	}
	for _, id := range ids {
		if id != c.procs[leader].id {
			return -1, fmt.Sprintf("leader views disagree: %v", ids), nil
		}
	}
	return leader, "", nil
}

// Close stops every node (stdin EOF, then kill after a grace period).
func (c *Cluster) Close() error {
	var errs []error
	for _, p := range c.procs {
		if err := p.stop(stopGrace); err != nil {
			errs = append(errs, err)
		}
	}
	c.procs = nil
	return errors.Join(errs...)
}
