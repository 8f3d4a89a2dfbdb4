package orb

import (
	"context"
	"net"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/csx"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/message"
)

// ruHandler is the ORB's side of its CSX member; its callbacks run on the
// member's delivery goroutine, in delivery order (StateTransfer in a
// goroutine of its own).
type ruHandler ReplicatedUpdates

func (h *ruHandler) orb() *ReplicatedUpdates { return (*ReplicatedUpdates)(h) }

// AcceptedView records the view, tells the new view's members this
// replica's IIOP address, and republishes the IORs.
func (h *ruHandler) AcceptedView(v *csx.ViewData, _ *message.Message) {
	o := h.orb()
	own := o.ownAddr()
	o.mu.Lock()
	o.view = v
	m := o.m
	o.addrs[v.Me] = own
	for id := range o.addrs {
		if !v.Contains(id) {
			delete(o.addrs, id) // a replica that comes back may listen elsewhere
		}
	}
	o.mu.Unlock()
	o.log.Info("orb: view", "view", v.ID, "members", len(v.Members), "primary", v.Primary, "state", v.MyState)
	if o.opts.ProgressInPrimaryOnly && !o.inMajority(v) {
		o.refuseHeld(m)
	}
	msg := message.New().PutInt16(kindAddress).PutString(own.Host).PutInt32(int32(own.Port))
	for _, id := range v.Members {
		if id == v.Me {
			continue
		}
		if err := m.Send(id, msg, clsv.Generic); err != nil {
			o.log.Debug("orb: address not sent", "to", id, "err", err)
		}
	}
	o.publish()
	if o.opts.OnView != nil {
		o.opts.OnView(v)
	}
}

// refuseHeld answers TRANSIENT/COMPLETED_NO to the requests this replica
// relayed into a view that held a majority but was not primary yet, which
// clsv holds until the transfer ends: the view lost its majority, so the
// next primary view may be long in coming, and the requests were sent
// nowhere — withdrawn, they never will be, and the clients may send them
// again elsewhere.
func (o *ReplicatedUpdates) refuseHeld(m *csx.Member) {
	for _, msg := range m.Withdraw() {
		msg.Rewind()
		if msg.GetInt16() != kindRequest {
			continue
		}
		r, err := decodeRelayed(msg)
		if err != nil {
			continue
		}
		o.log.Debug("orb: held request withdrawn: the view lost its majority", "n", r.n, "op", r.operation)
		o.abortPending(r.n)
	}
}

// ReceiveSend records another replica's IIOP address.
func (h *ruHandler) ReceiveSend(from csx.EndpID, msg *message.Message) {
	o := h.orb()
	if msg.GetInt16() != kindAddress {
		return
	}
	host, port := msg.GetString(), msg.GetInt32()
	if msg.Err() != nil || host == "" || port <= 0 || port > 65535 {
		o.log.Warn("orb: unreadable address message", "from", from)
		return
	}
	o.mu.Lock()
	o.addrs[from] = iiop.Addr{Host: host, Port: uint16(port)}
	o.mu.Unlock()
	o.publish()
}

// ReceiveCast applies a relayed request; the replica that received it
// from the client answers.
func (h *ruHandler) ReceiveCast(from csx.EndpID, msg *message.Message) {
	o := h.orb()
	if msg.GetInt16() != kindRequest {
		return
	}
	r, err := decodeRelayed(msg)
	if err != nil {
		// Only a replica of another version could send this; applying
		// nothing keeps every replica of this version alike.
		o.log.Error("orb: undecodable relayed request", "from", from, "err", err)
		return
	}
	status, body := o.apply(r, string(from))
	if from == o.memberID() {
		o.answerPending(r.n, status, body)
	}
}

// AbortCast: a view change aborted a relayed request before any replica
// applied it; its receiving replica relays it again (ru_rerelay.go).
func (h *ruHandler) AbortCast(from csx.EndpID, msg *message.Message) {
	o := h.orb()
	msg.Rewind()
	if from != o.memberID() || msg.GetInt16() != kindRequest {
		return
	}
	if r, err := decodeRelayed(msg); err == nil {
		o.aborted(r)
	}
}

// AskState sends this replica's state — the retained replies and every
// object's state, in one message — to a replica that needs it.
func (h *ruHandler) AskState(origin csx.EndpID, id csx.XferID, _ *message.Message) {
	o := h.orb()
	st, err := o.encodeState()
	if err != nil {
		o.log.Error("orb: state not sent", "to", origin, "err", err)
		return
	}
	if err := o.m.SendState(origin, id, st); err != nil {
		o.log.Debug("orb: state not sent", "to", origin, "err", err)
	}
}

// StateTransfer fetches the state from an up-to-date replica, installs it,
// and reports the transfer done.
func (h *ruHandler) StateTransfer(id csx.XferID) {
	o := h.orb()
	st, err := o.m.GetState(context.Background(), id, message.New())
	if err != nil {
		o.log.Info("orb: state transfer ended", "err", err)
		return
	}
	if err := o.installState(st); err != nil {
		o.log.Error("orb: state not installed; waiting for another transfer", "err", err)
		return
	}
	o.log.Info("orb: state transfer: state installed", "bytes", st.Len())
	o.answerFromState()
	if err := o.m.XferDone(id); err != nil {
		o.log.Info("orb: state transfer ended", "err", err)
	}
}

// ViewMsg returns nil.
func (h *ruHandler) ViewMsg(*csx.ViewData) *message.Message { return nil }

// ReceiveScast ignores server casts (the ORB uses none).
func (h *ruHandler) ReceiveScast(csx.EndpID, *message.Message) {}

// ReceiveLsend ignores list sends (the ORB uses none).
func (h *ruHandler) ReceiveLsend(csx.EndpID, *message.Message) {}

// Block does nothing: requests keep arriving and wait in the order.
func (h *ruHandler) Block() {}

// Exit does nothing: Deactivate's Leave returns once the member has left.
func (h *ruHandler) Exit() {}

// memberID is this replica's endpoint in the ORB group.
func (o *ReplicatedUpdates) memberID() csx.EndpID {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.me
}

// publish notes the replicas of a serving view (where clients are
// forwarded to) once the addresses of all its members are known and, with
// ReinstallIOR, writes every bound object's compound IOR to Etc if the
// list changed. With ProgressInPrimaryOnly only a primary view counts, so
// that clients are never sent to a minority.
func (o *ReplicatedUpdates) publish() {
	o.mu.Lock()
	v := o.view
	if v == nil || (o.opts.ProgressInPrimaryOnly && !v.Primary) {
		o.mu.Unlock()
		return
	}
	addrs := o.viewAddrsLocked()
	if len(addrs) < len(v.Members) {
		o.mu.Unlock()
		return // waiting for some replica's address
	}
	o.forwardTo = addrs
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = net.JoinHostPort(a.Host, strconv.Itoa(int(a.Port)))
	}
	list := strings.Join(parts, ",")
	save := list != o.savedForward
	o.savedForward = list
	if save {
		// Under o.mu, so that two views' lists are saved in their order.
		o.saveForward(list)
	}
	if list == o.published || !o.opts.ReinstallIOR {
		o.mu.Unlock()
		return
	}
	o.published = list
	pubs := refsOf(o.objects)
	o.mu.Unlock()
	for _, p := range pubs {
		if _, err := o.opts.Etc.PublishCompound(InterfaceName(p.typeID), p.typeID, p.key, addrs, o.opts.IIOPVersion); err != nil {
			o.log.Error("orb: IOR not published", "interface", InterfaceName(p.typeID), "err", err)
		}
	}
	o.log.Info("orb: IORs published", "replicas", list)
}
