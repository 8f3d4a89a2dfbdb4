package main

import "encoding/binary"

// Control messages between the driver and member processes (JSON lines on
// the members' stdin and stdout).
type command struct {
	Cmd        string `json:"cmd"` // "throughput", "latency", "selflatency", "quit"
	Run        uint32 `json:"run"`
	Size       int    `json:"size"`
	Send       bool   `json:"send"`                  // this member sends
	Senders    int    `json:"senders"`               // how many members send
	Millis     int    `json:"millis"`                // throughput: how long to send
	WarmMillis int    `json:"warm_millis,omitempty"` // throughput: unmeasured casts first
	Count      int    `json:"count"`                 // latency: round trips
	Receiver   int    `json:"receiver"`              // latency: members that acknowledge
}

type report struct {
	Event   string  `json:"event"` // "view", "done", "error"
	Members int     `json:"members,omitempty"`
	Rank    int     `json:"rank"`
	Primary bool    `json:"primary,omitempty"` // view: casts are allowed in it
	Run     uint32  `json:"run,omitempty"`
	Count   uint64  `json:"count,omitempty"`
	StartNs int64   `json:"start_ns,omitempty"`
	LastNs  int64   `json:"last_ns,omitempty"`
	P50us   float64 `json:"p50_us,omitempty"` // latency until every member acknowledged
	P99us   float64 `json:"p99_us,omitempty"`
	Q50us   float64 `json:"q50_us,omitempty"` // latency until a majority (with the sender) had it
	Q99us   float64 `json:"q99_us,omitempty"`
	// U50us is the p50 of the cell's main latency (q50_us, or p50_us for
	// "selflatency") timed until the delivery callback ran rather than
	// until the goroutine waiting for it did.
	U50us  float64 `json:"u50_us,omitempty"`
	Error  string  `json:"error,omitempty"`
	Note   string  `json:"note,omitempty"` // view: why it is not primary; addr: the UDP echo address
	RSSKiB int64   `json:"rss_kib,omitempty"`
	CPUus  float64 `json:"cpu_us,omitempty"` // throughput: CPU time the process used during the cell
}

// Cast payloads: kind(1) run(4) seq(8), padded to the cell's size. The
// header fits the smallest (16-byte) messages.
const (
	kindData  = 1
	kindEnd   = 2
	kindPing  = 3
	kindAck   = 4
	kindProbe = 5 // timed until its sender delivers it; the others ignore it
	kindWarm  = 6 // a throughput cell's warm-up: not counted
	hdrLen    = 13
)

func payload(kind byte, run uint32, seq uint64, size int) []byte {
	b := make([]byte, max(size, hdrLen))
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], run)
	binary.BigEndian.PutUint64(b[5:], seq)
	return b
}

func parse(b []byte) (kind byte, run uint32, seq uint64, ok bool) {
	if len(b) < hdrLen {
		return 0, 0, 0, false
	}
	return b[0], binary.BigEndian.Uint32(b[1:]), binary.BigEndian.Uint64(b[5:]), true
}
