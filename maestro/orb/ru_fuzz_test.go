package orb

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/message"
)

// The ORB group's messages come from the network: their decoders must
// reject what they cannot read, never panic, and read back what the
// encoders wrote.

func FuzzRelayedDecode(f *testing.F) {
	r := &relayed{n: 7, responseExpected: true, key: KeyFromString("k"), operation: "set", hasFT: true,
		ft: ftRequest{client: "c", retention: 3}, args: iiop.Body{Syntax: iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12}, Data: []byte{1, 2, 3}, Offset: 0}}
	m := encodeRelayed(r)
	f.Add(m.Bytes())
	f.Add(encodeRelayed(&relayed{n: 1, key: KeyFromString("x")}).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		m := message.FromBytes(b)
		if m.GetInt16() != kindRequest {
			return
		}
		got, err := decodeRelayed(m)
		if err != nil {
			return
		}
		again, err := decodeRelayed(skipKind(encodeRelayed(got)))
		require.NoError(t, err)
		require.Equal(t, got.args.Data, again.args.Data)
		require.Equal(t, got.operation, again.operation)
	})
}

func FuzzStateDecode(f *testing.F) {
	ret := newRetained(4, 2, 8)
	ret.record(requestIdent{requester: "ft:a", n: 1}, retainedReply{status: iiop.NoException, body: []byte{9}})
	ret.record(requestIdent{requester: "at:r1", n: 5, origin: true}, retainedReply{status: iiop.SystemExceptionReply})
	m := message.New()
	ret.encode(m)
	m.PutInt(1).PutBytes([]byte("log")).PutBytes([]byte("state"))
	f.Add(m.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		o := &ReplicatedUpdates{opts: ReplicatedUpdatesOptions{RetainedClients: 4, RetainedPerClient: 2},
			objects: map[ObjectKey]*bound[RUObjectAdaptor]{KeyFromString("log"): {typeID: "IDL:Log:1.0", obj: &ledger{}}}}
		o.retained = newRetained(4, 2, 8)
		_ = o.installState(message.FromBytes(b))
	})
}

// TestRetainedIsBoundedAndEncodesAlike: the table keeps the newest replies
// per requester and the most recently used requesters, and two tables
// built alike encode to the same bytes (so every replica's state is the
// same).
func TestRetainedIsBoundedAndEncodesAlike(t *testing.T) {
	build := func() *retained {
		r := newRetained(2, 2, 3)
		for i := int64(1); i <= 4; i++ {
			r.record(requestIdent{requester: "ft:a", n: i}, retainedReply{body: []byte{byte(i)}})
			r.record(requestIdent{requester: "at:x", n: i, origin: true}, retainedReply{body: []byte{byte(i)}})
		}
		r.record(requestIdent{requester: "ft:b", n: 1}, retainedReply{})
		return r
	}
	r := build()
	_, ok := r.lookup(requestIdent{requester: "ft:a", n: 2})
	require.False(t, ok, "a client's oldest replies go")
	_, ok = r.lookup(requestIdent{requester: "at:x", n: 2})
	require.True(t, ok, "a receiving replica keeps more")
	require.Len(t, r.clients, 2, "the least recently used requester goes")
	_, ok = r.lookup(requestIdent{requester: "ft:a", n: 4})
	require.False(t, ok, "ft:a was used least recently")
	a, b := message.New(), message.New()
	r.encode(a)
	build().encode(b)
	require.True(t, bytes.Equal(a.Bytes(), b.Bytes()))
	back, err := decodeRetained(message.FromBytes(a.Bytes()), 2, 2, 3)
	require.NoError(t, err)
	c := message.New()
	back.encode(c)
	require.Equal(t, a.Bytes(), c.Bytes())
}

func skipKind(m *message.Message) *message.Message {
	m.GetInt16()
	return m
}

// TestEncodeRelayedSizesItsMessage: a relayed request is encoded into a
// buffer sized for it up front (the message and its buffer, nothing
// regrown), with or without FT_REQUEST, whatever the arguments' size.
func TestEncodeRelayedSizesItsMessage(t *testing.T) {
	for _, size := range []int{0, 64, 1 << 16} {
		for _, hasFT := range []bool{false, true} {
			r := &relayed{n: 1 << 40, responseExpected: true, key: KeyFromString("PerformanceTest"), operation: "_set_value",
				hasFT: hasFT, ft: ftRequest{client: "client-with-a-long-name", retention: 7},
				args: iiop.Body{Syntax: iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12}, Data: make([]byte, size)}}
			allocs := testing.AllocsPerRun(20, func() { encodeRelayed(r) })
			require.LessOrEqual(t, allocs, 3.0, "args %d bytes, FT %v", size, hasFT)
		}
	}
}
