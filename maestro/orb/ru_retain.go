package orb

import (
	"fmt"
	"slices"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/message"
)

// retainedReply is the reply the group recorded for a request, returned
// again when an FT-aware client retries it, or when the replica that
// received the request gets its effect by state transfer instead of
// delivering it.
type retainedReply struct {
	id     int64
	status iiop.ReplyStatus
	syntax iiop.Syntax
	body   []byte
}

// clientReplies are one requester's retained replies: by id for lookup,
// oldest first for eviction and encoding.
type clientReplies struct {
	lastUse uint64
	byID    map[int64]retainedReply
	order   []int64
}

func newClientReplies(lastUse uint64) *clientReplies {
	return &clientReplies{lastUse: lastUse, byID: map[int64]retainedReply{}}
}

// add keeps rr, and at most keep replies.
func (c *clientReplies) add(rr retainedReply, keep int) {
	if _, dup := c.byID[rr.id]; !dup {
		c.order = append(c.order, rr.id)
	}
	c.byID[rr.id] = rr
	for len(c.order) > keep {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
}

// retained holds the replies of requests: so that a request an FT-aware
// client retries is executed at most once, and so that a replica whose
// own relayed request reaches it inside a transferred state rather than
// by delivery can still answer it. Every replica changes it in delivery
// order only, and bounds it by count (never by clock), so it is the same
// on every replica and travels with the state.
type retained struct {
	maxClients, perClient, perOrigin int
	tick                             uint64
	clients                          map[string]*clientReplies
}

func newRetained(maxClients, perClient, perOrigin int) *retained {
	return &retained{maxClients: maxClients, perClient: perClient, perOrigin: perOrigin, clients: map[string]*clientReplies{}}
}

// lookup returns the recorded reply of the request named id, if any.
func (r *retained) lookup(id requestIdent) (retainedReply, bool) {
	c := r.clients[id.requester]
	if c == nil {
		return retainedReply{}, false
	}
	rr, ok := c.byID[id.n]
	return rr, ok
}

// record keeps the reply of the request named id, forgetting the
// requester's oldest reply and the least recently used requester beyond
// the bounds.
func (r *retained) record(id requestIdent, rr retainedReply) {
	r.tick++
	c := r.clients[id.requester]
	if c == nil {
		c = newClientReplies(r.tick)
		r.clients[id.requester] = c
		if len(r.clients) > r.maxClients {
			r.evictOldest()
		}
	}
	c.lastUse = r.tick
	rr.id = id.n
	rr.body = slices.Clone(rr.body)
	keep := r.perClient
	if id.origin {
		keep = r.perOrigin
	}
	c.add(rr, keep)
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
		m.PutString(id).PutUint64(c.lastUse).PutInt(len(c.order))
		for _, n := range c.order {
			rr := c.byID[n]
			s := rr.syntax
			m.PutInt64(rr.id).PutUint32(uint32(rr.status)).
				PutInt16(int16(s.Order)).PutInt16(int16(s.Version.Major)).PutInt16(int16(s.Version.Minor)).
				PutUint32(s.CodeSets.Char).PutUint32(s.CodeSets.WChar).PutBytes(rr.body)
		}
	}
}

// decodeRetained reads a table encode wrote.
func decodeRetained(m *message.Message, maxClients, perClient, perOrigin int) (*retained, error) {
	r := newRetained(maxClients, perClient, perOrigin)
	r.tick = m.GetUint64()
	n := m.GetInt()
	if n < 0 || n > m.Remaining() {
		return nil, fmt.Errorf("orb: retained replies: bad client count %d", n)
	}
	for range n {
		id := m.GetString()
		c := newClientReplies(m.GetUint64())
		k := m.GetInt()
		if k < 0 || k > m.Remaining() {
			return nil, fmt.Errorf("orb: retained replies: bad reply count %d", k)
		}
		for range k {
			rr := retainedReply{id: m.GetInt64(), status: iiop.ReplyStatus(m.GetUint32())}
			order, major, minor := m.GetInt16(), m.GetInt16(), m.GetInt16()
			rr.syntax = iiop.Syntax{Order: iiop.ByteOrder(order), Version: iiop.Version{Major: uint8(major), Minor: uint8(minor)},
				CodeSets: iiop.CodeSets{Char: m.GetUint32(), WChar: m.GetUint32()}}
			rr.body = m.GetBytes()
			c.add(rr, k)
		}
		if err := m.Err(); err != nil {
			return nil, fmt.Errorf("orb: retained replies: %w", err)
		}
		r.clients[id] = c
	}
	return r, m.Err()
}
