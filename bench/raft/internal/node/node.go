// Package node implements one raftbench node process: a raft server with an
// in-memory log, a counting FSM and a TCP transport on loopback, steered by
// the driver over the control line protocol on stdin/stdout.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
	"github.com/maestro-go/maestro/bench/raft/internal/fsm"
)

// shutdownTimeout bounds raft's own shutdown when the node exits.
const shutdownTimeout = 5 * time.Second

// Node is the state of one node process.
type Node struct {
	id    string
	trans *raft.NetworkTransport
	fsm   *fsm.Counter
	raft  *raft.Raft
}

// Run serves the control protocol until in reaches EOF, ctx ends, or a write
// to out fails. It always shuts raft and the transport down before returning.
func Run(ctx context.Context, id string, in io.Reader, out io.Writer) error {
	trans, err := newTransport()
	if err != nil {
		return err
	}
	n := &Node{id: id, trans: trans, fsm: fsm.New()}
	defer n.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reqs := make(chan control.Request)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readRequests(ctx, in, reqs)
		cancel() // EOF on stdin means the driver is gone: stop everything.
	}()

	enc := json.NewEncoder(out)
	if err := enc.Encode(control.Reply{OK: true, Addr: string(trans.LocalAddr())}); err != nil {
		return fmt.Errorf("node %s: write hello: %w", id, err)
	}
	for {
		select {
		case <-ctx.Done():
			err := <-readErr
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case req := <-reqs:
			if err := enc.Encode(n.handle(ctx, req)); err != nil {
				return fmt.Errorf("node %s: write reply to %q: %w", id, req.Cmd, err)
			}
		}
	}
}

// readRequests decodes requests from in until EOF, a decode error or ctx end.
func readRequests(ctx context.Context, in io.Reader, reqs chan<- control.Request) error {
	dec := json.NewDecoder(in)
	for {
		var req control.Request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return fmt.Errorf("node: decode request: %w", err)
		}
		select {
		case reqs <- req:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close shuts raft down (bounded in time) and closes the transport.
func (n *Node) close() {
	if n.raft != nil {
		done := make(chan struct{})
		go func() {
			_ = n.raft.Shutdown().Error()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(shutdownTimeout):
		}
	}
	_ = n.trans.Close()
}
