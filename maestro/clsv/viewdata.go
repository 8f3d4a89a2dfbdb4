package clsv

import (
	"fmt"
	"slices"

	"github.com/maestro-go/maestro/maestro/groupmember"
)

// EndpID identifies a member.
type EndpID = groupmember.EndpID

// State is a member's role in a view.
type State int

const (
	// StateClient: no replicated state.
	StateClient State = iota
	// StateServer: an up-to-date server.
	StateServer
	// StateXfer: a server receiving the state (an xfer server).
	StateXfer
)

func (s State) String() string {
	switch s {
	case StateClient:
		return "client"
	case StateServer:
		return "server"
	case StateXfer:
		return "xfer-server"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// ViewData describes a view for clients and servers: the group member's
// view plus everyone's role in it.
type ViewData struct {
	*groupmember.ViewData
	Servers     []EndpID // up-to-date servers, in rank order (Servers[0] is the oldest)
	Clients     []EndpID
	XferServers []EndpID // servers receiving the state in this view

	NewServers, DepartedServers         []EndpID
	NewClients, DepartedClients         []EndpID
	NewXferServers, DepartedXferServers []EndpID

	// MyState is this member's role.
	MyState State
	// StartXfer tells an xfer server to (re)start its state transfer: it
	// is set in every view in which this member is an xfer server and there
	// is an up-to-date server to get the state from, since a transfer in
	// progress does not survive a view change.
	StartXfer bool
	// Roles lists every member's role (missing members are clients).
	Roles map[EndpID]State
}

// IsServer reports whether id is an up-to-date server.
func (v *ViewData) IsServer(id EndpID) bool { return slices.Contains(v.Servers, id) }

// XferView reports whether state transfer is going on in this view.
func (v *ViewData) XferView() bool { return len(v.XferServers) > 0 }

// newViewData fills the role lists of gv from roles, relative to prev.
func newViewData(gv *groupmember.ViewData, roles map[EndpID]State, prev *ViewData) *ViewData {
	v := &ViewData{ViewData: gv, Roles: roles}
	for _, m := range gv.Members {
		switch roles[m] {
		case StateServer:
			v.Servers = append(v.Servers, m)
		case StateXfer:
			v.XferServers = append(v.XferServers, m)
		default:
			v.Clients = append(v.Clients, m)
		}
	}
	v.MyState = roles[gv.Me]
	v.StartXfer = v.MyState == StateXfer && len(v.Servers) > 0
	var ps, pc, px []EndpID
	if prev != nil {
		ps, pc, px = prev.Servers, prev.Clients, prev.XferServers
	}
	v.NewServers, v.DepartedServers = diff(v.Servers, ps)
	v.NewClients, v.DepartedClients = diff(v.Clients, pc)
	v.NewXferServers, v.DepartedXferServers = diff(v.XferServers, px)
	return v
}

// diff returns the ids in now but not before, and in before but not now.
func diff(now, before []EndpID) (added, gone []EndpID) {
	for _, m := range now {
		if !slices.Contains(before, m) {
			added = append(added, m)
		}
	}
	for _, m := range before {
		if !slices.Contains(now, m) {
			gone = append(gone, m)
		}
	}
	return added, gone
}
