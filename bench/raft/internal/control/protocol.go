// Package control defines the line protocol between the raftbench driver and
// its node processes.
//
// The driver writes one JSON Request per line to a node's stdin and reads one
// JSON Reply per line from the node's stdout. A node first emits an unsolicited
// Reply carrying its transport address, then answers every Request with exactly
// one Reply, in order. A node exits when its stdin reaches EOF, so a node
// process never outlives the driver that owns the pipe.
package control

// Command names understood by a node.
const (
	// CmdStart creates the raft instance with the given peers.
	CmdStart = "start"
	// CmdStatus asks for the node's raft state and its view of the leader.
	CmdStatus = "status"
	// CmdRun runs a workload on the node, which must be the leader.
	CmdRun = "run"
	// CmdWait waits until the node's FSM has applied a given log index.
	CmdWait = "wait"
	// CmdBarrier issues a raft barrier (leader only) and returns the FSM state.
	CmdBarrier = "barrier"
	// CmdCompact takes a user snapshot (log compaction) and runs the GC.
	CmdCompact = "compact"
)

// Peer names one cluster member.
type Peer struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// RaftParams are overrides applied on top of raft.DefaultConfig. A zero
// value means "keep raft's default".
type RaftParams struct {
	MaxAppendEntries int  `json:"max_append_entries,omitempty"`
	BatchApplyCh     bool `json:"batch_apply_ch,omitempty"`
}

// StartArgs configures CmdStart.
type StartArgs struct {
	Peers     []Peer     `json:"peers"`
	Bootstrap bool       `json:"bootstrap"`
	Params    RaftParams `json:"params"`
}

// RunArgs configures CmdRun. Durations are in nanoseconds.
type RunArgs struct {
	Size           int   `json:"size"`
	Concurrency    int   `json:"concurrency"`
	MaxOps         int   `json:"max_ops"`
	DurationNS     int64 `json:"duration_ns"`
	WarmupNS       int64 `json:"warmup_ns"`
	TimeoutNS      int64 `json:"timeout_ns"`
	ApplyTimeoutNS int64 `json:"apply_timeout_ns"`
}

// WaitArgs configures CmdWait.
type WaitArgs struct {
	Index     uint64 `json:"index"`
	TimeoutNS int64  `json:"timeout_ns"`
}

// Request is one command from the driver to a node.
type Request struct {
	Cmd   string     `json:"cmd"`
	Start *StartArgs `json:"start,omitempty"`
	Run   *RunArgs   `json:"run,omitempty"`
	Wait  *WaitArgs  `json:"wait,omitempty"`
}

// Status is a node's view of the cluster.
type Status struct {
	State    string `json:"state"`
	LeaderID string `json:"leader_id"`
}

// FSMState is the content of a node's counting state machine.
type FSMState struct {
	Entries   uint64 `json:"entries"`
	Bytes     uint64 `json:"bytes"`
	Checksum  uint64 `json:"checksum"`
	LastIndex uint64 `json:"last_index"`
}

// RunResult is the outcome of CmdRun as measured by the load generator.
type RunResult struct {
	Ops       int     `json:"ops"`
	WarmupOps int     `json:"warmup_ops"`
	Seconds   float64 `json:"seconds"`
	MeanUS    float64 `json:"mean_us"`
	P50US     float64 `json:"p50_us"`
	P90US     float64 `json:"p90_us"`
	P99US     float64 `json:"p99_us"`
	P999US    float64 `json:"p999_us"`
	MaxUS     float64 `json:"max_us"`
}

// RaftConfig records the effective raft settings of a node.
type RaftConfig struct {
	RaftVersion          string `json:"raft_version"`
	ProtocolVersion      int    `json:"protocol_version"`
	HeartbeatTimeoutMS   int64  `json:"heartbeat_timeout_ms"`
	ElectionTimeoutMS    int64  `json:"election_timeout_ms"`
	CommitTimeoutMS      int64  `json:"commit_timeout_ms"`
	LeaderLeaseTimeoutMS int64  `json:"leader_lease_timeout_ms"`
	MaxAppendEntries     int    `json:"max_append_entries"`
	BatchApplyCh         bool   `json:"batch_apply_ch"`
	SnapshotIntervalMS   int64  `json:"snapshot_interval_ms"`
	SnapshotThreshold    uint64 `json:"snapshot_threshold"`
	TrailingLogs         uint64 `json:"trailing_logs"`
	LogStore             string `json:"log_store"`
	StableStore          string `json:"stable_store"`
	SnapshotStore        string `json:"snapshot_store"`
	Transport            string `json:"transport"`
	TransportMaxPool     int    `json:"transport_max_pool"`
	TransportTimeoutMS   int64  `json:"transport_timeout_ms"`
	GOMAXPROCS           int    `json:"gomaxprocs"`
}

// Reply is a node's answer to one Request, or its initial hello.
type Reply struct {
	OK     bool        `json:"ok"`
	Error  string      `json:"error,omitempty"`
	Addr   string      `json:"addr,omitempty"`
	Status *Status     `json:"status,omitempty"`
	FSM    *FSMState   `json:"fsm,omitempty"`
	Run    *RunResult  `json:"run,omitempty"`
	Config *RaftConfig `json:"config,omitempty"`
}
