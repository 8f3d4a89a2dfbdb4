// Package props turns a properties string such as
// "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total" into the column of
// protocol layers that provides those properties (§2.2.1).
//
// The string names properties, not positions: the layers are always
// stacked in the one order that makes them work together, top first:
//
//	Flow    flow control: a slow receiver bounds every sender's memory
//	Primary primary views: only a majority partition casts (§4.4.1-2)
//	Safe    globally safe delivery: delivered once a majority holds it (§4.4.3)
//	Total   total order of casts within a view (sequencer), Strong Prefix
//	Token   total order by a rotating token (instead of Total)
//	Frag    fragmentation of messages larger than a datagram
//	Heal    discovery of other components and merging
//	Gmp     partitionable membership: flushes and view installation
//	Sync    View Atomic Delivery: same casts delivered between two views
//	Nak     reliable FIFO delivery (always present)
//	Suspect heartbeat failure detection
//
// Two properties are not layers: Auth (every datagram authenticated under
// the group key) and Privacy (every datagram encrypted too; implies Auth)
// select the Guard at the Core's packet boundary (package stack/auth).
// They need a group key, which the member's options provide; naming a key
// there turns Auth on without naming it here.
//
// "Switch" (protocol switching in Horus) is accepted and currently does
// nothing: the stack is fixed for the life of a member.
package props

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/flow"
	"github.com/maestro-go/maestro/stack/frag"
	"github.com/maestro-go/maestro/stack/gmp"
	"github.com/maestro-go/maestro/stack/heal"
	"github.com/maestro-go/maestro/stack/nak"
	"github.com/maestro-go/maestro/stack/primary"
	"github.com/maestro-go/maestro/stack/safe"
	"github.com/maestro-go/maestro/stack/suspect"
	"github.com/maestro-go/maestro/stack/sync"
	"github.com/maestro-go/maestro/stack/token"
	"github.com/maestro-go/maestro/stack/total"
)

// Default is the dissertation's default property set (§2.2.5).
const Default = "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total"

// ErrUnknown reports a property no layer provides.
var ErrUnknown = errors.New("unknown property")

// ErrMissing reports a property set that lacks one another requires.
var ErrMissing = errors.New("missing property")

// Settings are what some properties need besides their name.
type Settings struct {
	// Replicas is the group's configured number of replicas; with Primary
	// a view is primary only if it holds a majority of them. Required
	// with Primary.
	Replicas int
	// Zombie says this member is a reincarnation (§4.4.4): its stable
	// storage shows it ran before, so it does not count toward a majority
	// until it has up-to-date state in a primary view.
	Zombie bool
	// Observer says this member holds no replicated state: with Primary it
	// never counts toward a majority and is never stale.
	Observer bool
}

// property describes one name the string may contain.
type property struct {
	name     string
	order    int      // position from the top; 0 = not a layer
	requires []string // properties that must also be present
	build    func(set map[string]bool, s Settings) stack.Protocol
}

var known = []property{
	{name: "Flow", order: 1, requires: []string{"Gmp"}, build: func(map[string]bool, Settings) stack.Protocol { return flow.Protocol{} }},
	{name: "Primary", order: 2, requires: []string{"Gmp", "Sync"}, build: func(set map[string]bool, s Settings) stack.Protocol {
		return primary.New(primary.Options{Replicas: s.Replicas, Zombie: s.Zombie, Observer: s.Observer})
	}},
	{name: "Safe", order: 3, requires: []string{"Primary", "Frag"}, build: func(_ map[string]bool, s Settings) stack.Protocol { return safe.New(s.Observer) }},
	{name: "Total", order: 4, requires: []string{"Gmp"}, build: func(map[string]bool, Settings) stack.Protocol { return total.Protocol{} }},
	{name: "Token", order: 4, requires: []string{"Gmp"}, build: func(map[string]bool, Settings) stack.Protocol { return token.Protocol{} }},
	{name: "Frag", order: 5, build: func(map[string]bool, Settings) stack.Protocol { return frag.Protocol{} }},
	{name: "Heal", order: 6, requires: []string{"Gmp"}, build: func(map[string]bool, Settings) stack.Protocol { return &heal.Protocol{} }},
	{name: "Gmp", order: 7, build: func(set map[string]bool, _ Settings) stack.Protocol { return &gmp.Protocol{Sync: set["Sync"]} }},
	{name: "Sync", order: 8, requires: []string{"Gmp"}, build: func(map[string]bool, Settings) stack.Protocol { return sync.Protocol{} }},
	{name: "Nak", order: 9, build: func(map[string]bool, Settings) stack.Protocol { return nak.Protocol{} }},
	{name: "Suspect", order: 10, requires: []string{"Gmp"}, build: func(map[string]bool, Settings) stack.Protocol { return suspect.Protocol{} }},
	{name: "Switch"},
	{name: "Auth"},
	{name: "Privacy"},
}

// ErrConflict reports two properties that cannot be used together.
var ErrConflict = errors.New("conflicting properties")

// ErrSettings reports a property whose settings are missing or invalid.
var ErrSettings = errors.New("property settings")

func lookup(name string) (property, bool) {
	for _, p := range known {
		if strings.EqualFold(p.name, name) {
			return p, true
		}
	}
	return property{}, false
}

// Properties is a validated property set.
type Properties struct {
	set map[string]bool
}

// Parse validates a properties string. The empty string means Default.
// Names are separated by ':' and matched without regard to case; an
// unknown name, a repeated name, or a name whose requirements are missing
// is an error that names it. Gmp is always required, and Nak is always
// included whether named or not.
func Parse(s string) (Properties, error) {
	if strings.TrimSpace(s) == "" {
		s = Default
	}
	set := map[string]bool{}
	for _, raw := range strings.Split(s, ":") {
		name := strings.TrimSpace(raw)
		if name == "" {
			return Properties{}, fmt.Errorf("properties %q: empty property name", s)
		}
		p, ok := lookup(name)
		if !ok {
			return Properties{}, fmt.Errorf("properties %q: %w %q (known: %s)", s, ErrUnknown, name, knownNames())
		}
		if set[p.name] {
			return Properties{}, fmt.Errorf("properties %q: property %q given twice", s, p.name)
		}
		set[p.name] = true
	}
	set["Nak"] = true
	if set["Privacy"] {
		set["Auth"] = true // encryption with GCM authenticates too
	}
	if !set["Gmp"] {
		return Properties{}, fmt.Errorf("properties %q: %w \"Gmp\": every stack needs group membership", s, ErrMissing)
	}
	if set["Total"] && set["Token"] {
		return Properties{}, fmt.Errorf("properties %q: %w: \"Total\" and \"Token\" are two total orders (sequencer and rotating token); name one", s, ErrConflict)
	}
	for _, p := range known {
		if !set[p.name] {
			continue
		}
		for _, r := range p.requires {
			if !set[r] {
				return Properties{}, fmt.Errorf("properties %q: %q requires %w %q", s, p.name, ErrMissing, r)
			}
		}
	}
	if set["Primary"] && !set["Total"] && !set["Token"] {
		return Properties{}, fmt.Errorf("properties %q: \"Primary\" requires %w \"Total\" or \"Token\": replicas agree on their state only if they deliver in one order", s, ErrMissing)
	}
	return Properties{set: set}, nil
}

func knownNames() string {
	var names []string
	for _, p := range known {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

// Has reports whether the set includes the named property.
func (p Properties) Has(name string) bool { return p.set[name] }

// With returns the set with the named property added (Privacy adds Auth
// too); it is how a member's key turns Auth on. Unknown names are an
// error.
func (p Properties) With(name string) (Properties, error) {
	k, ok := lookup(name)
	if !ok {
		return p, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, knownNames())
	}
	set := make(map[string]bool, len(p.set)+2)
	for n, v := range p.set {
		set[n] = v
	}
	set[k.name] = true
	if set["Privacy"] {
		set["Auth"] = true
	}
	return Properties{set: set}, nil
}

// String renders the set in stack order (top first), then Switch, Auth
// and Privacy.
func (p Properties) String() string {
	var names []string
	for _, k := range p.sorted() {
		names = append(names, k.name)
	}
	for _, k := range []string{"Switch", "Auth", "Privacy"} {
		if p.set[k] {
			names = append(names, k)
		}
	}
	return strings.Join(names, ":")
}

func (p Properties) sorted() []property {
	var ps []property
	for _, k := range known {
		if p.set[k.name] && k.order > 0 {
			ps = append(ps, k)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].order < ps[j].order })
	return ps
}

// Build returns fresh protocol instances for one stack, top first, or an
// error naming the property whose settings are missing.
func (p Properties) Build(s Settings) ([]stack.Protocol, error) {
	if p.set["Primary"] && s.Replicas < 1 {
		return nil, fmt.Errorf("property \"Primary\": %w: the number of replicas (the majority is of it) must be set, got %d", ErrSettings, s.Replicas)
	}
	var out []stack.Protocol
	for _, k := range p.sorted() {
		out = append(out, k.build(p.set, s))
	}
	return out, nil
}

// Protocols returns fresh protocol instances with zero Settings; it
// panics for sets that need settings (Primary), so use Build for those.
func (p Properties) Protocols() []stack.Protocol {
	ps, err := p.Build(Settings{})
	if err != nil {
		panic(err)
	}
	return ps
}
