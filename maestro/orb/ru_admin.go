package orb

import "github.com/maestro-go/maestro/maestro/admin"

// annotate adds the replica's serving state to its member's admin status
// (request goroutines of the admin endpoint).
func (o *ReplicatedUpdates) annotate(s *admin.Status) {
	serving := o.Serving()
	s.Serving = &serving
}

// AdminAddr returns the bound address of the admin endpoint of the ORB's
// group member (Group.AdminAddr in the options), once Activate has joined
// the group; empty otherwise.
func (o *ReplicatedUpdates) AdminAddr() string {
	o.mu.Lock()
	m := o.m
	o.mu.Unlock()
	if m == nil {
		return ""
	}
	return m.AdminAddr()
}
