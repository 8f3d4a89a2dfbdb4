package groupmember

import (
	"sync"
	"time"

	"github.com/maestro-go/maestro/maestro/admin"
)

// adminState is a member's admin endpoint and what higher layers add to
// its status. It has a lock of its own: Status runs on the endpoint's
// request goroutines and must not wait for Join, Leave or callbacks.
type adminState struct {
	mu      sync.Mutex
	srv     *admin.Server
	started time.Time
	notes   []func(*admin.Status)
}

// startAdmin records the join time and, with Options.AdminAddr, starts
// the admin endpoint (caller holds m.mu, in Join).
func (m *Member) startAdmin() error {
	m.stopAdmin() // a stack that exited by itself left its endpoint running
	m.adm.mu.Lock()
	m.adm.started = time.Now()
	m.adm.mu.Unlock()
	if m.opts.AdminAddr == "" {
		return nil
	}
	srv, err := admin.Listen(m.opts.AdminAddr, m)
	if err != nil {
		return err
	}
	m.adm.mu.Lock()
	m.adm.srv = srv
	m.adm.mu.Unlock()
	return nil
}

// stopAdmin closes the admin endpoint, if any; its port is free on return.
func (m *Member) stopAdmin() {
	m.adm.mu.Lock()
	srv := m.adm.srv
	m.adm.srv = nil
	m.adm.mu.Unlock()
	if srv != nil {
		_ = srv.Close() // the only error is the listener's, already closed
	}
}

// AdminAddr returns the address the admin endpoint is bound to, e.g.
// "127.0.0.1:41234" for Options.AdminAddr ":0"; empty when the member
// has no endpoint running (no AdminAddr, not joined, or left).
func (m *Member) AdminAddr() string {
	m.adm.mu.Lock()
	defer m.adm.mu.Unlock()
	if m.adm.srv == nil {
		return ""
	}
	return m.adm.srv.Addr()
}

// Annotate adds f to what builds the member's Status: after the member
// has filled in its own fields, each f (in the order added) may set the
// Role or Serving state a higher layer knows (clsv, csx, the Replicated
// Updates ORB). f runs on whichever goroutine calls Status, possibly
// concurrently with callbacks and other calls of f; it must not block.
func (m *Member) Annotate(f func(*admin.Status)) {
	m.adm.mu.Lock()
	m.adm.notes = append(m.adm.notes, f)
	m.adm.mu.Unlock()
}

// Status returns the member's state for operators (admin.Source): group,
// identity, role ("member" unless a higher layer says otherwise), current
// view with its primary verdict, and protocol counters. Safe from any
// goroutine; it waits only for a Join or Leave in progress.
func (m *Member) Status() admin.Status {
	s := admin.Status{
		Group: m.opts.Group, Member: string(m.ID()), Properties: m.pr.String(), Role: "member",
		Metrics: admin.MetricsFrom(m.Metrics()),
	}
	if v := m.View(); v != nil {
		s.View = &admin.View{
			ID: v.ID, Ltime: v.Ltime, Members: ids(v.Members), Coordinator: string(v.Coordinator), Rank: v.Rank,
			Primary: v.Primary, PrimaryNumber: v.PrimaryNum, Counted: v.Counted, Replicas: v.Replicas,
			NotPrimary: v.NotPrimary, Stale: ids(v.Stale), Zombies: ids(v.Zombies),
		}
	}
	m.adm.mu.Lock()
	if s.Member != "" {
		s.Started = m.adm.started
	}
	notes := m.adm.notes
	m.adm.mu.Unlock()
	for _, f := range notes {
		f(&s)
	}
	return s
}

func ids(es []EndpID) []string {
	if es == nil {
		return nil
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return out
}
