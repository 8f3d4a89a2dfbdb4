package groupmember

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/props"
)

// ErrNoKey reports the Auth or Privacy property without a group key.
var ErrNoKey = errors.New("no group key")

// groupKey finds the member's group key: Options.Key, else
// Options.KeyFile, else the MAESTRO_GROUP_KEY environment variable. ok is
// false when none is named.
func (o Options) groupKey() (key auth.Key, ok bool, err error) {
	var zero auth.Key
	switch {
	case o.Key != zero:
		return o.Key, true, nil
	case o.KeyFile != "":
		k, err := auth.LoadKeyFile(o.KeyFile)
		if err != nil {
			return zero, false, fmt.Errorf("groupmember: %w", err)
		}
		return k, true, nil
	}
	k, ok, err := auth.KeyFromEnv()
	if err != nil {
		return zero, false, fmt.Errorf("groupmember: %w", err)
	}
	return k, ok, nil
}

// withKey turns Auth on when a key is named, and refuses Auth or Privacy
// without one.
func (o Options) withKey(pr props.Properties) (props.Properties, auth.Keys, error) {
	key, ok, err := o.groupKey()
	if err != nil {
		return pr, auth.Keys{}, err
	}
	if !ok {
		if pr.Has("Auth") {
			return pr, auth.Keys{}, fmt.Errorf("groupmember: %w: the Auth and Privacy properties need the group's key: set Options.Key or Options.KeyFile (a file written by `maestro keygen FILE`), or %s", ErrNoKey, auth.EnvVar)
		}
		return pr, auth.Keys{}, nil
	}
	pr, err = pr.With("Auth")
	if err != nil {
		return pr, auth.Keys{}, err
	}
	return pr, auth.Keys{Seal: key, Accept: o.AcceptKeys}, nil
}

// newGuard returns the stack's Guard factory (nil without Auth); the
// guard made is kept so that SetKeys can reach it.
func (m *Member) newGuard() func(stack.Endpoint) (stack.Guard, error) {
	if !m.pr.Has("Auth") {
		return nil
	}
	return func(me stack.Endpoint) (stack.Guard, error) {
		m.keyMu.Lock()
		defer m.keyMu.Unlock()
		g, err := auth.New(auth.Options{Me: me, Keys: m.keys, Privacy: m.pr.Has("Privacy")})
		if err != nil {
			return nil, err
		}
		m.guard = g
		return g, nil
	}
}

// SetKeys replaces the member's key ring while it runs, to roll the group
// to a new key without stopping it: apply each of the three steps that
// auth.Keys describes to every member before the next. It fails with
// ErrNoKey if the member was started without a key (Auth cannot be turned
// on while running).
func (m *Member) SetKeys(k auth.Keys) error {
	if !m.pr.Has("Auth") {
		return fmt.Errorf("groupmember: set keys: %w: the member runs without Auth", ErrNoKey)
	}
	m.keyMu.Lock()
	defer m.keyMu.Unlock()
	if m.guard != nil {
		if err := m.guard.SetKeys(k); err != nil {
			return fmt.Errorf("groupmember: set keys: %w", err)
		}
	}
	m.keys = k
	return nil
}

// warnUnauthenticated logs once, when a member without Auth is reachable
// beyond the loopback interface: anyone who can send to it may join the
// group and speak for its members.
func (m *Member) warnUnauthenticated(local string) {
	if m.pr.Has("Auth") {
		return
	}
	ap, err := netip.ParseAddrPort(local)
	exposed := m.opts.Multicast != "" || err != nil || !ap.Addr().IsLoopback()
	if !exposed {
		return
	}
	log := m.opts.Logger
	if log == nil {
		log = slog.Default()
	}
	where := "on a non-loopback address"
	if m.opts.Multicast != "" {
		where = "with IP multicast"
	}
	log.Warn("group runs WITHOUT authentication "+where+": anyone who can reach it can join, read and forge messages; give every member the group key (key_file / -key-file; `maestro keygen FILE` makes one)",
		"group", m.opts.Group, "addr", local)
}
