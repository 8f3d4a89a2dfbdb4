package clsv

import "github.com/maestro-go/maestro/maestro/admin"

// Annotate adds f to what builds the member's admin status (see
// groupmember.Member.Annotate): it runs after the member has set its
// role, on the goroutine that asks for the status, and must not block.
func (m *Member) Annotate(f func(*admin.Status)) { m.gm.Annotate(f) }

// annotate sets the admin status's role to this member's role in the
// current view: client, server or xfer-server (a client until the
// first view).
func (m *Member) annotate(s *admin.Status) {
	s.Role = StateClient.String()
	if v := m.View(); v != nil {
		s.Role = v.MyState.String()
	}
}

// AdminAddr returns the admin endpoint's bound address (see
// groupmember.Member.AdminAddr); empty when none runs.
func (m *Member) AdminAddr() string { return m.gm.AdminAddr() }

// Status returns the member's status for operators, with its role (see
// groupmember.Member.Status). Safe from any goroutine.
func (m *Member) Status() admin.Status { return m.gm.Status() }
