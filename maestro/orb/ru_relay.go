package orb

import (
	"errors"
	"fmt"
	"sync"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/message"
)

// Kinds of the ORB group's messages (the first field of each).
const (
	// kindRequest: a client request relayed by its receiving replica, a
	// totally ordered cast applied by every replica.
	kindRequest int16 = 1
	// kindAddress: a replica's IIOP address, sent point to point to the
	// members of each new view (point-to-point sends flow in every view,
	// primary or not).
	kindAddress int16 = 2
)

// ftRequest is a request's FT_REQUEST identity.
type ftRequest struct {
	client    string
	retention int32
}

// parseFTRequest reads FT_REQUEST from the service contexts, if there; a
// malformed one is an error (the request is refused, never relayed). The
// expiration is not used: retention is bounded by count, which is the
// same on every replica, where clocks are not.
func parseFTRequest(scs []iiop.ServiceContext, s iiop.Syntax) (ftRequest, bool, error) {
	sc, ok := iiop.FindServiceContext(scs, iiop.ServiceFTRequest)
	if !ok {
		return ftRequest{}, false, nil
	}
	r, err := iiop.ParseFTRequest(sc, s)
	if err != nil {
		return ftRequest{}, false, err
	}
	if r.ClientID == "" {
		return ftRequest{}, false, errors.New("FT_REQUEST service context: empty client id")
	}
	return ftRequest{client: r.ClientID, retention: r.RetentionID}, true, nil
}

// requestIdent names a request for the retained replies: an FT-aware
// client's (client id, retention id), or else the receiving replica's
// endpoint and its number for the request (origin).
type requestIdent struct {
	requester string
	n         int64
	origin    bool
}

// ident is the name of r, relayed by the member from.
func (r *relayed) ident(from string) requestIdent {
	if r.hasFT {
		return requestIdent{requester: "ft:" + r.ft.client, n: int64(r.ft.retention)}
	}
	return requestIdent{requester: originNames.get(from), n: int64(r.n), origin: true}
}

// originNames caches the requester names of receiving replicas ("at:" and
// the endpoint), which every request a replica relays is named after,
// instead of building one per request. Replicas come and go with new
// endpoints, so the cache starts over beyond a bound.
var originNames = &nameCache{prefix: "at:"}

type nameCache struct {
	prefix string
	mu     sync.Mutex
	names  map[string]string
}

func (c *nameCache) get(s string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.names[s]; ok {
		return name
	}
	if c.names == nil || len(c.names) >= 1024 {
		c.names = map[string]string{}
	}
	name := c.prefix + s
	c.names[s] = name
	return name
}

// relayed is a request as every replica applies it.
type relayed struct {
	n                uint64 // the receiving replica's number for it
	responseExpected bool
	key              ObjectKey
	operation        string
	ft               ftRequest
	hasFT            bool
	args             iiop.Body
}

// encodeRelayed writes a request for the cast. The arguments travel with
// their full syntax — byte order, GIOP version, negotiated code sets — so
// that every replica decodes exactly what the receiving one would.
func encodeRelayed(r *relayed) *message.Message {
	// Fifteen values at most, four of them of variable length: one
	// allocation.
	size := 15*message.Overhead + len(r.key.octets) + len(r.operation) + len(r.ft.client) + len(r.args.Data)
	m := message.NewSize(size).PutInt16(kindRequest).PutUint64(r.n).PutBool(r.responseExpected).
		PutBytes(r.key.Octets()).PutString(r.operation).PutBool(r.hasFT)
	if r.hasFT {
		m.PutString(r.ft.client).PutInt32(r.ft.retention)
	}
	s := r.args.Syntax
	return m.PutInt16(int16(s.Order)).PutInt16(int16(s.Version.Major)).PutInt16(int16(s.Version.Minor)).
		PutUint32(s.CodeSets.Char).PutUint32(s.CodeSets.WChar).
		PutInt64(int64(r.args.Offset)).PutBytes(r.args.Data)
}

// decodeRelayed reads a request after its kind.
func decodeRelayed(m *message.Message) (*relayed, error) {
	r := &relayed{n: m.GetUint64(), responseExpected: m.GetBool()}
	r.key = KeyFromOctets(m.GetBytes())
	r.operation = m.GetString()
	if r.hasFT = m.GetBool(); r.hasFT {
		r.ft = ftRequest{client: m.GetString(), retention: m.GetInt32()}
	}
	order, major, minor := m.GetInt16(), m.GetInt16(), m.GetInt16()
	r.args.Syntax = iiop.Syntax{
		Order:    iiop.ByteOrder(order),
		Version:  iiop.Version{Major: uint8(major), Minor: uint8(minor)},
		CodeSets: iiop.CodeSets{Char: m.GetUint32(), WChar: m.GetUint32()},
	}
	off := m.GetInt64()
	r.args.Data = m.GetBytes()
	if err := m.Err(); err != nil {
		return nil, fmt.Errorf("orb: relayed request: %w", err)
	}
	if order > 1 || off < 0 || off > 1<<20 {
		return nil, fmt.Errorf("orb: relayed request: bad syntax (order %d, offset %d)", order, off)
	}
	r.args.Offset = int(off)
	return r, nil
}
