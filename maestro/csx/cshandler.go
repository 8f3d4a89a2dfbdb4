package csx

import (
	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/message"
)

// csHandler is the Member seen as a handler of the client/server member.
type csHandler Member

func (c *csHandler) m() *Member { return (*Member)(c) }

func (c *csHandler) AcceptedView(v *clsv.ViewData, msg *message.Message) {
	m := c.m()
	m.terminate() // a transaction never survives a view change
	var start *XferID
	if v.StartXfer {
		m.mu.Lock()
		m.counter++
		id := XferID{view: v.ID, member: v.Me, n: m.counter}
		m.cur = &xfer{id: id}
		m.mu.Unlock()
		start = &id
	}
	m.h.AcceptedView(v, msg)
	if start != nil {
		id := *start
		m.sched.Go(func() { m.h.StateTransfer(id) })
	}
}

func (c *csHandler) AskState(origin EndpID, req *message.Message) {
	m := c.m()
	s := req.GetString()
	seq := req.GetUint64()
	body := req.GetMessage()
	if req.Err() != nil {
		return
	}
	id, err := parseXferID(s)
	if err != nil || id.member != origin {
		return
	}
	id.req = seq
	m.h.AskState(origin, id, body)
}

func (c *csHandler) RcvState(origin EndpID, state *message.Message) {
	m := c.m()
	s := state.GetString()
	seq := state.GetUint64()
	body := state.GetMessage()
	if state.Err() != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	x := m.cur
	if x == nil || x.terminated || x.id.String() != s || seq != x.req || x.wake == nil {
		m.discarded++ // a reply of a terminated transaction or request
		return
	}
	x.reply = body
	close(x.wake)
	x.wake = nil
}

func (c *csHandler) ReceiveCast(from EndpID, msg *message.Message) { c.m().h.ReceiveCast(from, msg) }
func (c *csHandler) ReceiveSend(from EndpID, msg *message.Message) { c.m().h.ReceiveSend(from, msg) }
func (c *csHandler) ReceiveScast(from EndpID, msg *message.Message) {
	c.m().h.ReceiveScast(from, msg)
}
func (c *csHandler) ReceiveLsend(from EndpID, msg *message.Message) {
	c.m().h.ReceiveLsend(from, msg)
}
func (c *csHandler) ViewMsg(next *clsv.ViewData) *message.Message { return c.m().h.ViewMsg(next) }
func (c *csHandler) AbortCast(from EndpID, msg *message.Message)  { c.m().h.AbortCast(from, msg) }
func (c *csHandler) Block()                                       { c.m().h.Block() }
func (c *csHandler) Exit()                                        { c.m().h.Exit() }
