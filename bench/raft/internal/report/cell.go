// Package report formats benchmark cells as JSON lines or a human table.
package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

// Cell is the result of one (size, mode) run. Its JSON form is the
// machine-readable output shared with the maestro side of the comparison.
type Cell struct {
	System      string  `json:"system"`
	Size        int     `json:"size"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	Ops         int     `json:"ops"`
	Seconds     float64 `json:"seconds"`
	MsgsPerSec  float64 `json:"msgs_per_sec"`
	MBPerSec    float64 `json:"mb_per_sec"`
	P50US       float64 `json:"p50_us"`
	P99US       float64 `json:"p99_us"`
	Nodes       int     `json:"nodes"`

	MeanUS    float64 `json:"mean_us"`
	P90US     float64 `json:"p90_us"`
	P999US    float64 `json:"p999_us"`
	MaxUS     float64 `json:"max_us"`
	WarmupOps int     `json:"warmup_ops"`
	Leader    string  `json:"leader"`
	// Applied is each node's total applied entry count after this cell.
	Applied []uint64 `json:"applied"`
	// ReplicasConsistent is true when every node applied exactly the
	// entries the leader acknowledged so far, with equal checksums.
	ReplicasConsistent bool               `json:"replicas_consistent"`
	Config             control.RaftConfig `json:"config"`
}

// NewCell derives throughput figures from a run result. MB is 10^6 bytes of
// payload; framing and raft headers are not counted.
func NewCell(size int, mode string, conc, nodes int, r control.RunResult) Cell {
	c := Cell{
		System: "raft", Size: size, Mode: mode, Concurrency: conc, Nodes: nodes,
		Ops: r.Ops, Seconds: r.Seconds, WarmupOps: r.WarmupOps,
		P50US: r.P50US, P99US: r.P99US, MeanUS: r.MeanUS, P90US: r.P90US, P999US: r.P999US, MaxUS: r.MaxUS,
	}
	if r.Seconds > 0 {
		c.MsgsPerSec = float64(r.Ops) / r.Seconds
		c.MBPerSec = float64(r.Ops) * float64(size) / r.Seconds / 1e6
	}
	return c
}

// WriteJSON writes c as one line of JSON.
func WriteJSON(w io.Writer, c Cell) error {
	if err := json.NewEncoder(w).Encode(c); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}
