package orb

import (
	"fmt"
	"slices"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/message"
)

// retainedReply is the reply the group recorded for an FT-aware client's
// request, returned again when the client retries it.
type retainedReply struct {
	retention int32
	status    iiop.ReplyStatus
	syntax    iiop.Syntax
	body      []byte
}

// clientReplies are one client's retained replies, oldest first.
type clientReplies struct {
	lastUse uint64
	replies []retainedReply
}

// retained holds the replies of FT-aware clients so that a retried
// request is executed at most once. Every replica changes it in delivery
// order only, and bounds it by count (never by clock), so it is the same
// on every replica and travels with the state.
type retained struct {
	maxClients, perClient int
	tick                  uint64
	clients               map[string]*clientReplies
}

func newRetained(maxClients, perClient int) *retained {
	return &retained{maxClients: maxClients, perClient: perClient, clients: map[string]*clientReplies{}}
}

// lookup returns the recorded reply of ft, if any.
func (r *retained) lookup(ft ftRequest) (retainedReply, bool) {
	c := r.clients[ft.client]
	if c == nil {
		return retainedReply{}, false
	}
	for _, rr := range c.replies {
		if rr.retention == ft.retention {
			return rr, true
		}
	}
	return retainedReply{}, false
}

// record keeps the reply of ft, forgetting the client's oldest reply and
// the least recently used client beyond the bounds.
func (r *retained) record(ft ftRequest, rr retainedReply) {
	r.tick++
	c := r.clients[ft.client]
	if c == nil {
		c = &clientReplies{}
		r.clients[ft.client] = c
		if len(r.clients) > r.maxClients {
			r.evictOldest()
		}
	}
	c.lastUse = r.tick
	rr.retention = ft.retention
	rr.body = slices.Clone(rr.body)
	c.replies = append(c.replies, rr)
	if len(c.replies) > r.perClient {
		c.replies = slices.Delete(c.replies, 0, len(c.replies)-r.perClient)
	}
}

func (r *retained) evictOldest() {
	var oldest string
	first := true
	for id, c := range r.clients {
		if first || c.lastUse < r.clients[oldest].lastUse {
			oldest, first = id, false
		}
	}
	delete(r.clients, oldest)
}

// encode writes the table, clients in name order so that every replica
// writes the same bytes.
func (r *retained) encode(m *message.Message) {
	ids := make([]string, 0, len(r.clients))
	for id := range r.clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	m.PutUint64(r.tick).PutInt(len(ids))
	for _, id := range ids {
		c := r.clients[id]
		m.PutString(id).PutUint64(c.lastUse).PutInt(len(c.replies))
		for _, rr := range c.replies {
			s := rr.syntax
			m.PutInt32(rr.retention).PutUint32(uint32(rr.status)).
				PutInt16(int16(s.Order)).PutInt16(int16(s.Version.Major)).PutInt16(int16(s.Version.Minor)).
				PutUint32(s.CodeSets.Char).PutUint32(s.CodeSets.WChar).PutBytes(rr.body)
		}
	}
}

// decodeRetained reads a table encode wrote.
func decodeRetained(m *message.Message, maxClients, perClient int) (*retained, error) {
	r := newRetained(maxClients, perClient)
	r.tick = m.GetUint64()
	n := m.GetInt()
	if n < 0 || n > m.Remaining() {
		return nil, fmt.Errorf("orb: retained replies: bad client count %d", n)
	}
	for range n {
		id := m.GetString()
		c := &clientReplies{lastUse: m.GetUint64()}
		k := m.GetInt()
		if k < 0 || k > m.Remaining() {
			return nil, fmt.Errorf("orb: retained replies: bad reply count %d", k)
		}
		for range k {
			rr := retainedReply{retention: m.GetInt32(), status: iiop.ReplyStatus(m.GetUint32())}
			order, major, minor := m.GetInt16(), m.GetInt16(), m.GetInt16()
			rr.syntax = iiop.Syntax{Order: iiop.ByteOrder(order), Version: iiop.Version{Major: uint8(major), Minor: uint8(minor)},
				CodeSets: iiop.CodeSets{Char: m.GetUint32(), WChar: m.GetUint32()}}
			rr.body = m.GetBytes()
			c.replies = append(c.replies, rr)
		}
		if err := m.Err(); err != nil {
			return nil, fmt.Errorf("orb: retained replies: %w", err)
		}
		r.clients[id] = c
	}
	return r, m.Err()
}
