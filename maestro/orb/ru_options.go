package orb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/maestro-go/maestro/internal/strictyaml"
	"github.com/maestro-go/maestro/maestro/csx"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/stack/props"
)

// The properties of the ORB group. The first two give the total order the
// replicas need to apply requests alike; primaryProperties adds primary
// partitions and globally safe delivery (a request is applied once a
// majority of the replicas holds it, so no applied request is ever rolled
// back). commuteRUProperties, for requests that commute, keeps view
// synchrony and each replica's FIFO order but drops the total order: a
// replica applies its own clients' requests at once, with no round
// through a sequencer.
const (
	defaultRUProperties = "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total"
	primaryRUProperties = "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total:Primary:Safe"
	commuteRUProperties = "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow"
)

// ReplicatedUpdatesOptions configure a ReplicatedUpdates ORB; the first
// seven are the options of §3.4.1.
type ReplicatedUpdatesOptions struct {
	// Dispatcher is the IIOP dispatcher through which the ORB's objects
	// are reached (required). The ORB owns it: Deactivate shuts its server
	// down.
	Dispatcher *Dispatcher `yaml:"-"`
	// ProgressInPrimaryOnly applies updates only in the primary partition:
	// a view holding a majority of Replicas (the Primary and Safe
	// properties). Elsewhere requests are forwarded to a replica of the
	// primary partition, or refused with TRANSIENT/COMPLETED_NO.
	ProgressInPrimaryOnly bool `yaml:"progress_in_primary_only"`
	// Replicas is the configured number of replicas; the majority is of
	// it. Required with ProgressInPrimaryOnly.
	Replicas int `yaml:"replicas"`
	// StateTransfer brings a joining (or stale) replica's objects up to
	// date with PushState/GetState. Without it those hooks are never
	// called and a new replica starts from its objects' initial state.
	StateTransfer bool `yaml:"state_transfer"`
	// RequestsCommute says the objects' updates commute: applied in any
	// order, the same requests leave every replica in the same state. The
	// ORB group then drops the total order and keeps view synchrony
	// (every replica of a view applies the same requests before the next
	// view) with each replica's requests in the order it received them
	// (FIFO): the replica that received a request applies and answers it
	// at once, and the others apply it when the relayed cast arrives.
	// State transfer stays correct because the ORB's Atomic transfer holds
	// requests back while a view has replicas taking the state, so a
	// state is always taken between two views, where every replica has
	// applied the same set. A reply may reflect an order other replicas
	// did not see (only its receiving replica answers).
	//
	// It has no effect with ProgressInPrimaryOnly, whose safe delivery
	// counts positions in the total order, nor with LinearizableReads,
	// which need an order that puts a read after every acknowledged
	// update.
	RequestsCommute bool `yaml:"requests_commute"`
	// ReinstallIOR rewrites every bound object's compound IOR in Etc
	// (atomically) after every view change whose replicas differ from the
	// last one's — primary views only, with ProgressInPrimaryOnly. Without
	// it nothing is written; IOR returns the reference.
	ReinstallIOR bool `yaml:"reinstall_ior"`
	// Etc is where IORs are published (default: $MAESTRO_ETC).
	Etc Etc `yaml:"etc"`
	// Name is the ORB group's name (required).
	Name string `yaml:"name"`

	// Group holds the group's other options: properties, seeds, port
	// range, listen address, state directory, timings. Its Group and
	// Replicas fields are set from Name and Replicas; empty Properties
	// select the default stack, plus Primary and Safe with
	// ProgressInPrimaryOnly.
	Group groupmember.Options `yaml:"group"`
	// LinearizableReads sends the read-only operations through the order
	// too, so that a read reflects every update acknowledged before it
	// was sent, at the price of a group round.
	LinearizableReads bool `yaml:"linearizable_reads"`
	// RetainedClients bounds the FT-aware clients whose replies are kept
	// for retries (default 1024); RetainedPerClient bounds the replies
	// kept per client (default 16). The oldest go first. A client whose
	// calls in flight span more requests than RetainedPerClient may resend
	// one whose reply is gone, which then runs again: iiop.Client keeps
	// within its FTWindow (16 by default) for that reason.
	RetainedClients   int `yaml:"retained_clients"`
	RetainedPerClient int `yaml:"retained_per_client"`
	// RelayAborted is how many times a replica relays again a request
	// that a view change aborted — applied by no replica, and never to be
	// (the sequencer crashed before ordering it, say) — before it answers
	// the client TRANSIENT/COMPLETED_NO (default 3; negative: never, it
	// answers TRANSIENT at once). A request that cannot be relayed again
	// (outside the primary partition, or while leaving) is answered so at
	// once.
	RelayAborted int `yaml:"relay_aborted"`
	// Host is published in IORs instead of the dispatcher's host.
	Host string `yaml:"host"`
	// IIOPVersion of the published profiles; zero means 1.2 (the only
	// version whose profiles carry alternate addresses).
	IIOPVersion iiop.Version `yaml:"-"`
	// OnView, if set, is called with every view of the ORB group, after
	// the ORB has taken it into account, on the group's delivery
	// goroutine, in order; it must not block.
	OnView func(v *csx.ViewData) `yaml:"-"`
	// Logger receives diagnostics; nil means silence.
	Logger *slog.Logger `yaml:"-"`
	// Scheduler runs state transfers (the simulator's makes them
	// deterministic); nil means goroutines.
	Scheduler csx.Scheduler `yaml:"-"`
	// AfterFunc runs f after d (default time.AfterFunc); the simulator
	// replaces it with its virtual clock.
	AfterFunc func(d time.Duration, f func()) `yaml:"-"`
}

// Errors of invalid options and misuse.
var (
	// ErrActive reports Bind or Unbind on an active ORB.
	ErrActive = errors.New("orb: the ORB is active; bind and unbind objects before Activate or after Deactivate")
	// ErrInactive reports Deactivate on an ORB that is not active.
	ErrInactive = errors.New("orb: the ORB is not active")
)

// LoadReplicatedUpdatesOptions reads options from a YAML file; the
// Dispatcher, Logger and Scheduler are left for the caller to set.
func LoadReplicatedUpdatesOptions(path string) (ReplicatedUpdatesOptions, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ReplicatedUpdatesOptions{}, fmt.Errorf("orb: read options: %w", err)
	}
	var o ReplicatedUpdatesOptions
	if err := strictyaml.Decode(b, &o); err != nil {
		return ReplicatedUpdatesOptions{}, fmt.Errorf("orb: parse %s: %w", path, err)
	}
	return o, nil
}

// withDefaults validates the options and fills in the defaults.
func (o ReplicatedUpdatesOptions) withDefaults() (ReplicatedUpdatesOptions, error) {
	switch {
	case o.Dispatcher == nil:
		return o, errors.New("orb: ReplicatedUpdatesOptions.Dispatcher is required")
	case o.Name == "":
		return o, errors.New("orb: ReplicatedUpdatesOptions.Name (the ORB group's name) is required")
	case o.ProgressInPrimaryOnly && o.Replicas < 1:
		return o, errors.New("orb: ProgressInPrimaryOnly needs Replicas, the configured number of replicas (updates need a majority of them)")
	case o.Replicas < 0:
		return o, fmt.Errorf("orb: Replicas %d is negative", o.Replicas)
	}
	if o.IIOPVersion == (iiop.Version{}) {
		o.IIOPVersion = iiop.GIOP12
	}
	if o.RetainedClients <= 0 {
		o.RetainedClients = 1024
	}
	if o.RetainedPerClient <= 0 {
		o.RetainedPerClient = 16
	}
	switch {
	case o.RelayAborted == 0:
		o.RelayAborted = 3
	case o.RelayAborted < 0:
		o.RelayAborted = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Group.Group = o.Name
	// The ORB casts holding none of its locks, and its callbacks only
	// apply a request and write a reply: the goroutine that read a
	// request (or the datagram that completes it) may deliver it too,
	// with no hand-off on the request's path.
	o.Group.InlineUpcalls = true
	// Each cast is a request a client sent, and the client waits for its
	// reply before its next: requests that come quickly one after another
	// are not a stream to hand to other goroutines.
	o.Group.RequestDriven = true
	if o.ProgressInPrimaryOnly {
		o.Group.Replicas = o.Replicas
	}
	if o.Group.Properties == "" {
		o.Group.Properties = o.properties()
	} else if err := o.checkOrder(); err != nil {
		return o, err
	}
	if o.Group.Logger == nil {
		o.Group.Logger = o.Logger
	}
	return o, nil
}

// totallyOrdered reports whether the replicas need one order of requests:
// unless they commute, and always for primary partitions and
// linearizable reads.
func (o ReplicatedUpdatesOptions) totallyOrdered() bool {
	return !o.RequestsCommute || o.ProgressInPrimaryOnly || o.LinearizableReads
}

// properties are the ORB group's default properties for the options.
func (o ReplicatedUpdatesOptions) properties() string {
	switch {
	case o.ProgressInPrimaryOnly:
		return primaryRUProperties
	case o.totallyOrdered():
		return defaultRUProperties
	default:
		return commuteRUProperties
	}
}

// checkOrder refuses group properties without a total order when the
// requests need one: the replicas would apply them in different orders
// and diverge.
func (o ReplicatedUpdatesOptions) checkOrder() error {
	if !o.totallyOrdered() {
		return nil
	}
	pr, err := props.Parse(o.Group.Properties)
	if err != nil {
		return fmt.Errorf("orb: %w", err)
	}
	if !pr.Has("Total") && !pr.Has("Token") {
		return fmt.Errorf("orb: properties %q have no total order (Total or Token): replicas would apply requests in different orders; add one, or set RequestsCommute if the requests commute", o.Group.Properties)
	}
	return nil
}
