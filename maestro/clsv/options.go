package clsv

import (
	"fmt"
	"time"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/stack/props"
)

// Mode says whether a member wants to be a server.
type Mode int

const (
	// Client members have no replicated state.
	Client Mode = iota
	// Server members hold the group's state; they join as clients and
	// become servers through state transfer.
	Server
)

// XferType is the state-transfer safety level (§2.3.1).
type XferType int

const (
	// Free transfer holds nothing back.
	Free XferType = iota
	// Protected transfer holds back Generic messages.
	Protected
	// Atomic transfer holds back Generic and Safe messages.
	Atomic
)

// Safety is a message's state-transfer safety type (§2.3.2).
type Safety int

const (
	// Generic messages may change servers' state: held back during
	// Protected and Atomic transfer.
	Generic Safety = iota
	// Safe messages do not change servers' state: held back only during
	// Atomic transfer.
	Safe
	// Xfer messages belong to the state transfer: never held back.
	Xfer
)

func (s Safety) String() string {
	switch s {
	case Generic:
		return "generic"
	case Safe:
		return "safe"
	case Xfer:
		return "xfer"
	}
	return fmt.Sprintf("safety(%d)", int(s))
}

// held reports whether a message of safety s waits during a transfer of
// type t.
func (s Safety) held(t XferType) bool {
	switch t {
	case Protected:
		return s == Generic
	case Atomic:
		return s == Generic || s == Safe
	}
	return false
}

// Options configure a client/server member.
type Options struct {
	groupmember.Options
	// Mode: Client (default) or Server.
	Mode Mode `yaml:"mode"`
	// Xfer is the transfer safety level (default Free).
	Xfer XferType `yaml:"xfer"`
	// JoinGrace is how long a server-mode member alone in its view waits
	// to meet the rest of the group before it founds the group's state
	// itself. Default 4×Stack.Gossip (2s with default timings). Unused
	// with the Primary property: there, the first primary view founds the
	// state.
	JoinGrace time.Duration `yaml:"join_grace"`
	// Commute lets the properties lack a total order: the application's
	// casts commute, so that servers delivering the same casts in
	// different orders hold the same state. Only with Atomic transfer,
	// whose states are taken between views — no Generic or Safe message
	// is delivered while a view has xfer servers — where view synchrony
	// has given every server the same casts.
	Commute bool `yaml:"commute"`
	// XferBatch is how long the coordinator waits, after the first xfer
	// server of a view is done, for the others before it installs the view
	// that makes the finished ones normal servers. Default 200ms.
	XferBatch time.Duration `yaml:"xfer_batch"`
	// AfterFunc runs f after d (default time.AfterFunc); the simulator
	// replaces it with its virtual clock.
	AfterFunc func(d time.Duration, f func()) `yaml:"-"`

	primary bool // the Primary property decides who is up to date
}

func (o *Options) defaults() error {
	pr, err := props.Parse(o.Properties)
	if err != nil {
		return fmt.Errorf("clsv: %w", err)
	}
	if !pr.Has("Sync") {
		return fmt.Errorf("clsv: properties %q lack Sync: roles and state transfer need view-synchronous casts", o.Properties)
	}
	if !pr.Has("Total") && !pr.Has("Token") && (!o.Commute || o.Xfer != Atomic) {
		return fmt.Errorf("clsv: properties %q lack a total order (Total or Token): servers stay alike only if they deliver casts in one order, or if the casts commute (Commute) and transfers are Atomic", o.Properties)
	}
	o.primary = pr.Has("Primary")
	if o.primary {
		// The replicas are the server-mode members: a client holds no
		// replicated state and never counts toward a majority.
		o.Observer = o.Mode == Client
	}
	if o.JoinGrace <= 0 {
		o.JoinGrace = 4 * o.Stack.Defaults().Gossip
	}
	if o.XferBatch <= 0 {
		o.XferBatch = 200 * time.Millisecond
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	if o.Mode != Client && o.Mode != Server {
		return fmt.Errorf("clsv: unknown mode %d", o.Mode)
	}
	if o.Xfer < Free || o.Xfer > Atomic {
		return fmt.Errorf("clsv: unknown transfer type %d", o.Xfer)
	}
	return nil
}
