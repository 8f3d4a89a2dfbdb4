// Package fsm provides the benchmark's raft state machine: it counts applied
// entries and bytes and folds every payload into an order-sensitive checksum,
// so replicas can be compared cheaply after a run.
package fsm

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Counter is a raft.FSM that counts entries and bytes. It is safe for
// concurrent use: raft calls Apply from its FSM goroutine while the control
// loop reads State.
type Counter struct {
	mu sync.Mutex
	st control.FSMState
}

var _ raft.FSM = (*Counter)(nil)

// New returns an empty Counter.
func New() *Counter {
	return &Counter{st: control.FSMState{Checksum: fnvOffset64}}
}

// Apply records one committed log entry.
func (c *Counter) Apply(l *raft.Log) any {
	sum := crc32.Checksum(l.Data, castagnoli)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.Entries++
	c.st.Bytes += uint64(len(l.Data))
	c.st.Checksum = (c.st.Checksum ^ uint64(sum)) * fnvPrime64
	c.st.LastIndex = l.Index
	return nil
}

// State returns a copy of the current counters.
func (c *Counter) State() control.FSMState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// Snapshot captures the counters; the snapshot is a few bytes of JSON.
func (c *Counter) Snapshot() (raft.FSMSnapshot, error) {
	return snapshot{st: c.State()}, nil
}

// Restore replaces the counters with a previously persisted snapshot.
func (c *Counter) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var st control.FSMState
	if err := json.NewDecoder(rc).Decode(&st); err != nil {
		return fmt.Errorf("fsm: decode snapshot: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st = st
	return nil
}

type snapshot struct {
	st control.FSMState
}

// Persist writes the counters as JSON.
func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(s.st); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("fsm: persist snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("fsm: close snapshot sink: %w", err)
	}
	return nil
}

// Release is a no-op: the snapshot holds no resources.
func (snapshot) Release() {}
