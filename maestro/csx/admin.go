package csx

import "github.com/maestro-go/maestro/maestro/admin"

// Annotate adds f to what builds the member's admin status (see
// groupmember.Member.Annotate): it runs after the role is set, on the
// goroutine that asks for the status, and must not block.
func (m *Member) Annotate(f func(*admin.Status)) { m.cs.Annotate(f) }

// AdminAddr returns the admin endpoint's bound address (see
// groupmember.Member.AdminAddr); empty when none runs.
func (m *Member) AdminAddr() string { return m.cs.AdminAddr() }

// Status returns the member's status for operators, with its role (see
// groupmember.Member.Status). Safe from any goroutine.
func (m *Member) Status() admin.Status { return m.cs.Status() }
