package stack

import (
	"fmt"
	"time"
)

// Config holds the timing and size parameters of a stack. The zero value of
// every field means "use the default" listed next to it; Defaults fills them.
type Config struct {
	// Tick is how often layers are given the time. Default 10ms.
	Tick time.Duration `yaml:"tick,omitempty"`
	// Heartbeat is how often a member tells the others it is alive when it
	// has nothing else to say. Default 200ms.
	Heartbeat time.Duration `yaml:"heartbeat,omitempty"`
	// SuspectTimeout is how long a member may stay silent before it is
	// suspected to have failed (§2.2.4). Default 2s.
	SuspectTimeout time.Duration `yaml:"suspect_timeout,omitempty"`
	// Retransmit is the minimum interval between two retransmission requests
	// (NAKs) for the same missing messages. Default 30ms.
	Retransmit time.Duration `yaml:"retransmit,omitempty"`
	// Status is how often a member with unstable messages reports what it
	// has received, so that senders can garbage-collect and detect losses.
	// Default 30ms.
	Status time.Duration `yaml:"status,omitempty"`
	// FlushTimeout bounds each step of a view change; a member that has not
	// answered by then is excluded. Default 2*SuspectTimeout.
	FlushTimeout time.Duration `yaml:"flush_timeout,omitempty"`
	// Gossip is how often a coordinator announces its view to the discovery
	// addresses so that partitions can find each other and merge. Default 500ms.
	Gossip time.Duration `yaml:"gossip,omitempty"`
	// MergeBackoff is how long a coordinator waits after a refused or
	// failed merge before trying again. Default 2*Gossip.
	MergeBackoff time.Duration `yaml:"merge_backoff,omitempty"`
	// LeaveTimeout bounds how long Leave waits for the group to confirm.
	// Default 2*FlushTimeout.
	LeaveTimeout time.Duration `yaml:"leave_timeout,omitempty"`
	// MaxPacket is the largest datagram the transport sends. Default 1400.
	MaxPacket int `yaml:"max_packet,omitempty"`
	// MaxMessage is the largest application message accepted. Default 16 MiB.
	MaxMessage int `yaml:"max_message,omitempty"`
	// FlowWindow is how many casts a sender may have in flight that some
	// member has not yet consumed. Default 1024.
	FlowWindow int `yaml:"flow_window,omitempty"`
	// FlowBytes is the same bound in bytes, and what this member lets
	// every sender have in flight towards it: a sender keeps within the
	// smallest FlowBytes of its view's members, which they report with
	// their credits. Default 2 MiB, or the transport's receive buffer if
	// that is smaller (ReceiveBuffered), so that a member that falls
	// behind for a moment finds what one sender has in flight still in
	// its socket, not dropped.
	FlowBytes int `yaml:"flow_bytes,omitempty"`
	// MaxViewMsg is the largest view message a coordinator may attach to a
	// view (it travels in one datagram). Default MaxPacket-512.
	MaxViewMsg int `yaml:"max_view_msg,omitempty"`
}

// Defaults returns a copy of c with every zero field set to its default.
func (c Config) Defaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Tick, 10*time.Millisecond)
	def(&c.Heartbeat, 200*time.Millisecond)
	def(&c.SuspectTimeout, 2*time.Second)
	def(&c.Retransmit, 30*time.Millisecond)
	def(&c.Status, 30*time.Millisecond)
	def(&c.FlushTimeout, 2*c.SuspectTimeout)
	def(&c.Gossip, 500*time.Millisecond)
	def(&c.MergeBackoff, 2*c.Gossip)
	def(&c.LeaveTimeout, 2*c.FlushTimeout)
	if c.MaxPacket <= 0 {
		c.MaxPacket = 1400
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = 16 << 20
	}
	if c.FlowWindow <= 0 {
		c.FlowWindow = 1024
	}
	if c.FlowBytes <= 0 {
		c.FlowBytes = DefaultFlowBytes
	}
	if c.MaxViewMsg <= 0 {
		c.MaxViewMsg = c.MaxPacket - 512
	}
	return c
}

// DefaultFlowBytes is Config.FlowBytes's default where the transport's
// receive buffer is at least as large.
const DefaultFlowBytes = 2 << 20

// Validate reports settings that cannot work together.
func (c Config) Validate() error {
	c = c.Defaults()
	switch {
	case c.MaxPacket < 576:
		return fmt.Errorf("stack config: MaxPacket %d is below 576 bytes", c.MaxPacket)
	case c.MaxPacket > 65000:
		return fmt.Errorf("stack config: MaxPacket %d exceeds a UDP datagram", c.MaxPacket)
	case c.Heartbeat >= c.SuspectTimeout:
		return fmt.Errorf("stack config: Heartbeat %v must be shorter than SuspectTimeout %v", c.Heartbeat, c.SuspectTimeout)
	case c.Tick > c.Heartbeat:
		return fmt.Errorf("stack config: Tick %v must not exceed Heartbeat %v", c.Tick, c.Heartbeat)
	case c.MaxViewMsg > c.MaxPacket-256:
		return fmt.Errorf("stack config: MaxViewMsg %d leaves no room for the view header in MaxPacket %d", c.MaxViewMsg, c.MaxPacket)
	}
	return nil
}
