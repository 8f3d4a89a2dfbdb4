package groupmember

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/maestro-go/maestro/internal/strictyaml"
	"github.com/maestro-go/maestro/maestro/admin"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/props"
)

// Options configure a member. Only Group is required: the zero value of
// every other field works on one machine (members find each other over
// loopback through the group's local port range).
type Options struct {
	// Group is the name of the group to join.
	Group string `yaml:"group"`
	// Properties selects the protocol layers, e.g.
	// "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total" (the default).
	Properties string `yaml:"properties"`
	// Listen is the UDP address to bind, e.g. "0.0.0.0:7400" to be
	// reachable from other machines. Default: a free port of the group's
	// local range on 127.0.0.1.
	Listen string `yaml:"listen"`
	// Seeds are addresses ("host:port") of other members, for discovery
	// across machines without IP multicast. A host may be a DNS name that
	// resolves to several members (a headless service); names are
	// resolved again every SeedRefresh, so a member that comes back with
	// a new address is found.
	Seeds []string `yaml:"seeds"`
	// SeedRefresh is how often seed names are resolved again (default
	// 30s).
	SeedRefresh time.Duration `yaml:"seed_refresh"`
	// Resolver resolves seed names (default net.DefaultResolver).
	Resolver *net.Resolver `yaml:"-"`
	// Advertise is the "ip:port" other members reach this one at when it
	// is not the address bound (NAT, containers); it is this member's
	// address in views. Default: the bound address.
	Advertise string `yaml:"advertise"`
	// Multicast is an IP multicast "group:port" used for discovery.
	Multicast string `yaml:"multicast"`
	// MulticastInterface is the interface to join the multicast group on.
	MulticastInterface string `yaml:"multicast_interface"`
	// NoMulticastData keeps casts on unicast. Without it, with Multicast,
	// a datagram for several members goes once to the multicast group
	// whenever all of them answer the transport's probes of it (see
	// udp.Config.NoMulticastData), and one datagram per member otherwise.
	NoMulticastData bool `yaml:"no_multicast_data"`
	// Deprecated: MulticastData is ignored. Casts take the multicast data
	// path by themselves wherever every receiver hears it; files that set
	// multicast_data still load.
	MulticastData bool `yaml:"multicast_data"`
	// PortBase and PortCount override the local discovery port range.
	PortBase  int `yaml:"port_base"`
	PortCount int `yaml:"port_count"`
	// MaxPacket is the largest UDP datagram sent (default 60000 on
	// loopback, 1400 elsewhere).
	MaxPacket int `yaml:"max_packet"`
	// NoOffload turns off UDP segmentation offload (GSO and GRO), which
	// is on where the kernel offers it: see udp.Config.NoOffload.
	NoOffload bool `yaml:"no_offload"`
	// Replicas is the configured number of replicas of the group. With the
	// Primary property it is required: a view is primary (may cast) only
	// if it holds a majority of them (§4.4.2).
	Replicas int `yaml:"replicas"`
	// StateDir is this replica's stable storage (required with Primary,
	// unless Observer): it holds the reincarnation mark (§4.4.4), set on
	// the first start; a replica that finds it set is a zombie, not counted
	// toward a majority until it has up-to-date state in a primary view.
	// The directory is locked while the member runs. If a replica's disk is
	// lost, mark the new directory before starting it (primary.SetMark).
	StateDir string `yaml:"state_dir"`
	// Observer says this member holds no replicated state: with Primary it
	// never counts toward a majority, is never stale, and needs no
	// StateDir.
	Observer bool `yaml:"observer"`
	// Reincarnate replaces StateDir's mark (simulations and tests): it
	// reports whether this start is a reincarnation of the replica.
	Reincarnate func(group string) (zombie bool, err error) `yaml:"-"`
	// InlineUpcalls lets callbacks run on the goroutine that brought the
	// work — the transport's receiver, or the goroutine calling Cast or
	// Send — when no other callback is running, which saves a hand-off
	// between goroutines per message (stack.Options.InlineUpcalls); a
	// goroutine casting in a stream leaves its callbacks to the delivery
	// goroutine. Callbacks stay one at a time and in order. Set it only if no
	// goroutine holds, while calling Cast or Send, a lock the callbacks
	// take, and if callbacks return quickly.
	InlineUpcalls bool `yaml:"inline_upcalls"`
	// RequestDriven promises that this member casts and sends only in
	// answer to requests from outside (one call per request, as a server
	// relaying its clients' requests does), never in a loop: no call is
	// then taken for part of a stream, so each Cast delivers what it
	// produced (with InlineUpcalls) and sends its datagrams on the calling
	// goroutine (stack.Options.RequestDriven). With InlineUpcalls as well,
	// the goroutines that bring requests and datagrams do all of the
	// member's work, so the transport's reader waits in a blocking system
	// call that the kernel wakes directly (udp.Config.BlockingReads)
	// instead of in Go's network poller.
	RequestDriven bool `yaml:"request_driven"`
	// Key is the group key. Naming a key — here, in KeyFile, or in the
	// MAESTRO_GROUP_KEY environment variable, looked for in that order —
	// turns the Auth property on: every datagram is authenticated under
	// it, and those that fail are dropped (package stack/auth). The zero
	// value names none.
	Key auth.Key `yaml:"-"`
	// KeyFile is a file holding the group key: one line of 64 hex digits,
	// readable by its owner only (chmod 600); `maestro keygen FILE`
	// writes one.
	KeyFile string `yaml:"key_file"`
	// AcceptKeys are further keys whose datagrams are accepted (while the
	// group rolls to a new key; see auth.Keys and Member.SetKeys).
	AcceptKeys []auth.Key `yaml:"-"`
	// AdminAddr, if set, is where the member serves its status to
	// operators while joined: Prometheus metrics at /metrics and JSON at
	// /debug/maestro (package admin). "host:port", or ":port" for the
	// loopback address 127.0.0.1; ":0" picks a free port (see
	// Member.AdminAddr). Name a host, e.g. "0.0.0.0:9464", to expose it
	// beyond the machine. Default: no admin endpoint.
	AdminAddr string `yaml:"admin_addr"`
	// Stack holds the protocol timings and sizes (see stack.Config).
	Stack stack.Config `yaml:"stack"`
	// Logger receives diagnostics; silent if nil.
	Logger *slog.Logger `yaml:"-"`
	// Transport replaces UDP (for tests and embedding); nil means UDP.
	Transport func(Options) (stack.Transport, error) `yaml:"-"`
	// Start replaces the whole running stack: it is given the stack's
	// options (with OnUpcall set) and returns a driver. The simulator uses
	// it to run members deterministically; nil means stack.Start over the
	// transport.
	Start func(stack.Options) (stack.Driver, error) `yaml:"-"`
}

// Errors of invalid options.
var (
	// ErrNoGroup reports options without a group name.
	ErrNoGroup = errors.New("groupmember: no group name")
	// ErrNoReplicas reports the Primary property without Replicas.
	ErrNoReplicas = errors.New("no number of replicas")
	// ErrNoStateDir reports the Primary property without a state directory.
	ErrNoStateDir = errors.New("no state directory")
)

// LoadOptions reads options from a YAML file.
func LoadOptions(path string) (Options, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Options{}, fmt.Errorf("groupmember: read options: %w", err)
	}
	var o Options
	if err := strictyaml.Decode(b, &o); err != nil {
		return Options{}, fmt.Errorf("groupmember: parse %s: %w", path, err)
	}
	return o, nil
}

// validate checks the options and parses the properties.
func (o Options) validate() (props.Properties, error) {
	if o.Group == "" {
		return props.Properties{}, ErrNoGroup
	}
	pr, err := props.Parse(o.Properties)
	if err != nil {
		return props.Properties{}, fmt.Errorf("groupmember: %w", err)
	}
	if pr.Has("Primary") {
		switch {
		case o.Replicas < 1:
			return props.Properties{}, fmt.Errorf("groupmember: %w: the Primary property needs Options.Replicas, the configured number of replicas (a view is primary with a majority of them)", ErrNoReplicas)
		case o.StateDir == "" && o.Reincarnate == nil && !o.Observer:
			return props.Properties{}, fmt.Errorf("groupmember: %w: the Primary property needs Options.StateDir, where the replica keeps its reincarnation mark (or Observer for a member without replicated state)", ErrNoStateDir)
		}
	}
	if o.AdminAddr != "" {
		if _, err := admin.ListenAddr(o.AdminAddr); err != nil {
			return props.Properties{}, fmt.Errorf("groupmember: Options.AdminAddr: %w", err)
		}
	}
	cfg := o.Stack
	if cfg.MaxPacket == 0 {
		cfg.MaxPacket = 1400
	}
	if err := cfg.Validate(); err != nil {
		return props.Properties{}, fmt.Errorf("groupmember: %w", err)
	}
	return pr, nil
}
