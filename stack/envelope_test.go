package stack

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack/wire"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	v := newView(ViewID{Ltime: 3, Coord: Endpoint{Addr: "a:1", Inc: 9}}, []Endpoint{{Addr: "a:1", Inc: 9}, {Addr: "b:2", Inc: 7}}, Endpoint{Addr: "b:2", Inc: 7})
	pkt := WrapForView("g", v, 1, []byte("hello"))
	p, err := parsePacket(pkt, groupHash("g"), 16, nil)
	require.NoError(t, err)
	require.Equal(t, v.Hash, p.viewHash)
	require.Equal(t, 1, p.rank)
	require.Equal(t, [][]byte{[]byte("hello")}, p.msgs)

	_, err = parsePacket(pkt, groupHash("other"), 16, nil)
	require.ErrorIs(t, err, errOtherGroup)

	g := globalPacket(groupHash("g"), Endpoint{Addr: "a:1", Inc: 5}, "gmp", []byte{1, 2})
	p, err = parsePacket(g, groupHash("g"), 16, nil)
	require.NoError(t, err)
	require.Equal(t, "gmp", p.target)
	require.Equal(t, Endpoint{Addr: "a:1", Inc: 5}, p.from)
	for i := 0; i < len(g); i++ {
		_, err := parsePacket(g[:i], groupHash("g"), 16, nil)
		require.Error(t, err, "truncated to %d", i)
	}
}

// A datagram's last message keeps the free space behind the datagram
// (Core.Receive hands it to the fragmenter); the others are capped at their
// own end, and a datagram with no capacity to spare gives none.
func TestParsePacketGivesTheLastMessageTheRoomBehindIt(t *testing.T) {
	v := newView(ViewID{Ltime: 3, Coord: Endpoint{Addr: "a:1", Inc: 9}}, []Endpoint{{Addr: "a:1", Inc: 9}, {Addr: "b:2", Inc: 7}}, Endpoint{Addr: "b:2", Inc: 7})
	w := wire.Writer{B: viewPacketHeader(groupHash("g"), v.Hash, 1)}
	w.Bytes([]byte("first"))
	w.Bytes([]byte("last"))
	sealed := sealPacket(w.B)

	pkt := append(make([]byte, 0, len(sealed)+100), sealed...)
	p, err := parsePacket(pkt, groupHash("g"), 16, nil)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("first"), []byte("last")}, p.msgs)
	require.True(t, p.lastRoom)
	require.Equal(t, len(p.msgs[0]), cap(p.msgs[0]), "a message followed by another has no room")
	require.Equal(t, len("last")+crcLen+100, cap(p.msgs[1]), "the last has the checksum's bytes and the spare capacity")

	p, err = parsePacket(sealed[:len(sealed):len(sealed)], groupHash("g"), 16, nil)
	require.NoError(t, err)
	require.False(t, p.lastRoom)
	require.Equal(t, len("last"), cap(p.msgs[1]))
}

func FuzzParsePacket(f *testing.F) {
	v := newView(ViewID{Ltime: 1, Coord: Endpoint{Addr: "x", Inc: 1}}, []Endpoint{{Addr: "x", Inc: 1}}, Endpoint{Addr: "x", Inc: 1})
	f.Add(WrapForView("g", v, 0, []byte("abc")))
	f.Add(globalPacket(groupHash("g"), Endpoint{Addr: "x", Inc: 1}, "heal", []byte("zz")))
	f.Add([]byte("MS\x01\x09"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePacket(b, groupHash("g"), 64, nil)
		if err == nil && p.kind == packetView && (p.rank < 0 || p.rank > 64) {
			t.Fatalf("rank %d out of range", p.rank)
		}
		// The same datagram with room behind it: the same messages, the
		// last with the room, every other capped at its end.
		roomy := append(append(make([]byte, 0, len(b)+64), b...), make([]byte, 64)...)[:len(b)]
		q, err2 := parsePacket(roomy, groupHash("g"), 64, nil)
		if (err == nil) != (err2 == nil) || len(p.msgs) != len(q.msgs) {
			t.Fatalf("room changed the result: %v / %v", err, err2)
		}
		for i, m := range q.msgs {
			if string(m) != string(p.msgs[i]) {
				t.Fatalf("message %d differs with room", i)
			}
			if last := i == len(q.msgs)-1; cap(m) > len(m) != (last && q.lastRoom) {
				t.Fatalf("message %d of %d has room %d (lastRoom %v)", i, len(q.msgs), cap(m)-len(m), q.lastRoom)
			}
		}
	})
}

func TestEndpointIDRoundTrip(t *testing.T) {
	e := Endpoint{Addr: "127.0.0.1:7400", Inc: 0xabc}
	got, err := ParseEndpID(e.ID())
	require.NoError(t, err)
	require.Equal(t, e, got)
	_, err = ParseEndpID("nonsense")
	require.Error(t, err)
	_, err = ParseEndpID("a/zz")
	require.Error(t, err)
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	require.Error(t, Config{MaxPacket: 100}.Validate())
	require.Error(t, Config{Heartbeat: 3e9, SuspectTimeout: 1e9}.Validate())
}
