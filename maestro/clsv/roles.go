package clsv

import (
	"slices"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
)

// rolesVersion tags the roles a coordinator publishes in a view message.
const rolesVersion = 1

// encodeView builds the view message: the roles of the servers and xfer
// servers (everyone else is a client), then the application's message.
func encodeView(roles map[EndpID]State, members []EndpID, app *message.Message) *message.Message {
	m := message.New().PutInt32(rolesVersion)
	var n int
	for _, id := range members {
		if roles[id] != StateClient {
			n++
		}
	}
	m.PutInt(n)
	for _, id := range members {
		if st := roles[id]; st != StateClient {
			m.PutString(string(id)).PutInt32(int32(st))
		}
	}
	return m.PutMessage(app)
}

// decodeView reads a view message; ok is false if it carries no roles.
func decodeView(m *message.Message) (roles map[EndpID]State, app *message.Message, ok bool) {
	if m == nil || m.Len() == 0 {
		return nil, message.New(), false
	}
	m.Rewind()
	if m.GetInt32() != rolesVersion || m.Err() != nil {
		return nil, message.New(), false
	}
	n := m.GetInt()
	if n < 0 || n > m.Remaining() {
		return nil, message.New(), false
	}
	roles = make(map[EndpID]State, n)
	for i := 0; i < n; i++ {
		id := EndpID(m.GetString())
		st := State(m.GetInt32())
		if st == StateServer || st == StateXfer {
			roles[id] = st
		}
	}
	app = m.GetMessage()
	if m.Err() != nil {
		return nil, message.New(), false
	}
	return roles, app, true
}

// info is what each member tells the coordinator through the flush.
type info struct {
	wantServer bool
	xferDoneIn string // the view in which this member called XferDone
	mayFound   bool   // waited JoinGrace without meeting an up-to-date server
}

func (i info) encode() *message.Message {
	return message.New().PutInt32(rolesVersion).PutBool(i.wantServer).PutString(i.xferDoneIn).PutBool(i.mayFound)
}

func decodeInfo(m *message.Message) info {
	if m == nil {
		return info{}
	}
	m.Rewind()
	if m.GetInt32() != rolesVersion {
		return info{}
	}
	i := info{wantServer: m.GetBool(), xferDoneIn: m.GetString(), mayFound: m.GetBool()}
	if m.Err() != nil {
		return info{}
	}
	return i
}

// assignRoles decides everyone's role in the view next (coordinator).
//
// The up-to-date servers are those of one component — one previous view —
// the one with the most servers (ties: the one holding the smallest server
// id). They stay servers, and so do the xfer servers that finished their
// transfer in that component; every other server or xfer server, and every
// client that wants to be a server, becomes an xfer server.
//
// If no member of next comes from a view that had a server, the xfer
// servers that finished their transfer in one previous view become the
// servers (they hold the state the lost servers had). If none did, one
// member that has waited long enough (JoinGrace) without meeting an
// up-to-date server founds the group's state — one, so that a single state
// survives — and the others that want to be servers take it from it.
func assignRoles(next *groupmember.ViewData, primary bool) map[EndpID]State {
	if primary {
		return primaryRoles(next)
	}
	prevRoles := map[string]map[EndpID]State{}
	for v, m := range next.PrevMsgs {
		if roles, _, ok := decodeView(m); ok {
			prevRoles[v] = roles
		}
	}
	was := func(id EndpID) State { return prevRoles[next.Prev[id]][id] }
	infos := make(map[EndpID]info, len(next.Members))
	for _, id := range next.Members {
		infos[id] = decodeInfo(next.Infos[id])
	}
	finished := func(id EndpID) bool {
		return was(id) == StateXfer && infos[id].xferDoneIn != "" && infos[id].xferDoneIn == next.Prev[id]
	}
	wants := func(id EndpID) bool {
		return was(id) != StateClient || infos[id].wantServer
	}

	upToDate := pick(next, func(id EndpID) bool { return was(id) == StateServer })
	if len(upToDate) > 0 {
		winner := next.Prev[upToDate[0]]
		upToDate = nil
		for _, id := range next.Members {
			if next.Prev[id] == winner && (was(id) == StateServer || finished(id)) {
				upToDate = append(upToDate, id)
			}
		}
	} else if upToDate = pick(next, finished); len(upToDate) == 0 {
		var founders []EndpID
		for _, id := range next.Members {
			if wants(id) && infos[id].mayFound {
				founders = append(founders, id)
			}
		}
		if len(founders) > 0 {
			upToDate = []EndpID{slices.Min(founders)}
		}
	}
	roles := make(map[EndpID]State, len(next.Members))
	for _, id := range next.Members {
		switch {
		case slices.Contains(upToDate, id):
			roles[id] = StateServer
		case wants(id):
			roles[id] = StateXfer
		}
	}
	return roles
}

// primaryRoles follows the Primary layer's verdict (§4.4.2): the replicas
// holding the most advanced state (the highest SVN) are the servers, the
// stale ones are xfer servers and receive it from them, and every other
// member (an observer) is a client. So the direction of a transfer after
// a merge is decided by what each side delivered, never by its size.
func primaryRoles(next *groupmember.ViewData) map[EndpID]State {
	roles := make(map[EndpID]State, len(next.Members))
	for _, id := range next.UpToDate {
		roles[id] = StateServer
	}
	for _, id := range next.Stale {
		roles[id] = StateXfer
	}
	return roles
}

// pick returns the members of the best component (previous view) among
// those whose members satisfy ok: the one with most such members, ties to
// the one holding the smallest id.
func pick(next *groupmember.ViewData, ok func(EndpID) bool) []EndpID {
	comps := map[string][]EndpID{}
	for _, id := range next.Members {
		if ok(id) {
			comps[next.Prev[id]] = append(comps[next.Prev[id]], id)
		}
	}
	var best []EndpID
	for _, ids := range comps {
		if best == nil || better(ids, best) {
			best = ids
		}
	}
	return best
}

// better reports whether the component with servers a is preferred to the
// one with servers b.
func better(a, b []EndpID) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return slices.Min(a) < slices.Min(b)
}
