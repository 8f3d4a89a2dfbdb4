package node

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

// Transport settings: a pool of 3 connections per peer and a 10 s I/O
// timeout are the values used throughout raft's own documentation and tests.
const (
	transportMaxPool = 3
	transportTimeout = 10 * time.Second
)

// quietLogger discards everything raft and its transport would log.
func quietLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: name, Output: io.Discard, Level: hclog.Off})
}

// newTransport listens on an ephemeral loopback TCP port.
func newTransport() (*raft.NetworkTransport, error) {
	t, err := raft.NewTCPTransportWithLogger("127.0.0.1:0", nil, transportMaxPool, transportTimeout, quietLogger("transport"))
	if err != nil {
		return nil, fmt.Errorf("node: listen on loopback: %w", err)
	}
	return t, nil
}

// raftConfig returns raft.DefaultConfig with the benchmark's overrides.
func raftConfig(id string, p control.RaftParams) (*raft.Config, error) {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(id)
	c.Logger = quietLogger("raft")
	c.LogLevel = "OFF"
	if p.MaxAppendEntries > 0 {
		c.MaxAppendEntries = p.MaxAppendEntries
	}
	c.BatchApplyCh = p.BatchApplyCh
	if err := raft.ValidateConfig(c); err != nil {
		return nil, fmt.Errorf("node: invalid raft config: %w", err)
	}
	return c, nil
}

// describe records the effective settings for the benchmark output.
func describe(c *raft.Config) control.RaftConfig {
	return control.RaftConfig{
		RaftVersion:          moduleVersion("github.com/hashicorp/raft"),
		ProtocolVersion:      int(c.ProtocolVersion),
		HeartbeatTimeoutMS:   c.HeartbeatTimeout.Milliseconds(),
		ElectionTimeoutMS:    c.ElectionTimeout.Milliseconds(),
		CommitTimeoutMS:      c.CommitTimeout.Milliseconds(),
		LeaderLeaseTimeoutMS: c.LeaderLeaseTimeout.Milliseconds(),
		MaxAppendEntries:     c.MaxAppendEntries,
		BatchApplyCh:         c.BatchApplyCh,
		SnapshotIntervalMS:   c.SnapshotInterval.Milliseconds(),
		SnapshotThreshold:    c.SnapshotThreshold,
		TrailingLogs:         c.TrailingLogs,
		LogStore:             "raft.InmemStore",
		StableStore:          "raft.InmemStore",
		SnapshotStore:        "raft.InmemSnapshotStore",
		Transport:            "raft.NewTCPTransport 127.0.0.1",
		TransportMaxPool:     transportMaxPool,
		TransportTimeoutMS:   transportTimeout.Milliseconds(),
		GOMAXPROCS:           runtime.GOMAXPROCS(0),
	}
}

// moduleVersion returns the version of a dependency linked into the binary.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}

// servers converts the peer list into a raft configuration.
func servers(peers []control.Peer) raft.Configuration {
	var c raft.Configuration
	for _, p := range peers {
		c.Servers = append(c.Servers, raft.Server{
			Suffrage: raft.Voter,
			ID:       raft.ServerID(p.ID),
			Address:  raft.ServerAddress(p.Addr),
		})
	}
	return c
}
