package frag

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// config makes fragments small, so a few kilobytes make several.
var config = stack.Config{MaxPacket: 600, MaxMessage: 4096}

func message(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// split returns what rank 0's layer sends for a cast of payload, each as
// it arrives at a peer.
func split(t testing.TB, payload []byte) []*stack.Event {
	t.Helper()
	h := layertest.New(Protocol{}, layertest.Options{Config: config})
	h.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: layertest.Msg(payload)})
	var out []*stack.Event
	for _, ev := range h.TakeDowns() {
		require.LessOrEqual(t, ev.Msg.Len(), config.MaxPacket-overhead, "a fragment fits a datagram")
		out = append(out, &stack.Event{Type: ev.Type, Peer: 0, Msg: layertest.Wire(ev)})
	}
	return out
}

// A message that fits one datagram goes whole; a larger one goes as
// fragments and comes up once, whole, with the last of them.
func TestLargeMessagesAreReassembledWhole(t *testing.T) {
	for _, n := range []int{0, 1, 400, 503, 504, 505, 1500, 4096} {
		frags := split(t, message(n))
		h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
		for i, ev := range frags {
			h.Up(ev)
			ups := h.TakeUps()
			if i < len(frags)-1 {
				require.Empty(t, ups, "%d bytes: delivered before its last fragment", n)
				continue
			}
			require.Len(t, ups, 1, "%d bytes", n)
			require.Equal(t, 0, ups[0].Peer)
			require.True(t, bytes.Equal(message(n), ups[0].Msg.Bytes()), "%d bytes come up as they were cast", n)
		}
		require.Equal(t, n > config.MaxPacket-overhead-1, len(frags) > 1, "%d bytes: fragmented only when too large", n)
	}
}

// The reassembled message is a copy: the datagrams that brought its
// fragments may be reused once it is up.
func TestReassembledMessageOwnsItsBytes(t *testing.T) {
	frags := split(t, message(1500))
	h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
	for _, ev := range frags {
		h.Up(ev)
	}
	ups := h.TakeUps()
	require.Len(t, ups, 1)
	for _, ev := range frags {
		clear(ev.Msg.Bytes())
	}
	require.True(t, bytes.Equal(message(1500), ups[0].Msg.Bytes()))
}

// A whole message from the same sender interrupts a message being
// reassembled (its sender's stream moved on), and fragments that follow
// no first fragment are dropped: neither ever comes up.
func TestInterruptedAndOrphanFragmentsAreDropped(t *testing.T) {
	frags := split(t, message(1500))
	require.Greater(t, len(frags), 2)
	h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
	h.Up(frags[0])
	whole := split(t, []byte("whole"))
	require.Len(t, whole, 1)
	h.Up(whole[0])
	for _, ev := range frags[1:] {
		h.Up(ev)
	}
	ups := h.TakeUps()
	require.Len(t, ups, 1)
	require.Equal(t, "whole", string(ups[0].Msg.Bytes()))
	drops := h.Env.Metrics.Snapshot().Drops
	require.Equal(t, uint64(1), drops["frag-interrupted"])
	require.Equal(t, uint64(len(frags)-1), drops["frag-orphan"])
}

// A first fragment that announces more fragments than the largest message
// could need, or fewer than two, is malformed.
func TestImplausibleFragmentCountsAreMalformed(t *testing.T) {
	for _, count := range []byte{0, 1, 127} {
		h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
		m := layertest.Msg([]byte("data"))
		m.Push([]byte{kindFirst, count})
		h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: m})
		require.Empty(t, h.TakeUps())
		require.Equal(t, uint64(1), h.Env.Metrics.Snapshot().Drops["frag-malformed"], "count %d", count)
	}
}

// Fragments that add up to more than the largest message (from a sender
// with larger datagrams, in a plausible count) are dropped before the
// reassembly grows past it.
func TestOversizedReassemblyIsDropped(t *testing.T) {
	big := stack.Config{MaxPacket: 2000, MaxMessage: 8192}
	h := layertest.New(Protocol{}, layertest.Options{Config: big})
	h.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: layertest.Msg(message(8000))})
	frags := h.TakeDowns()
	r := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
	for _, ev := range frags {
		r.Up(&stack.Event{Type: ev.Type, Peer: 0, Msg: layertest.Wire(ev)})
	}
	require.Empty(t, r.TakeUps())
	require.Equal(t, uint64(1), r.Env.Metrics.Snapshot().Drops["frag-too-large"])
}

// A member's own fragmented casts come back up as the messages it cast,
// not as reassembled copies, in order, interleaved with others' fragments
// and its own whole casts.
func TestOwnCastsComeUpAsCastWithoutReassembly(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Config: config})
	first, second := layertest.Msg(message(1500)), layertest.Msg(message(2000))
	firstBytes, secondBytes := first.Bytes(), second.Bytes()
	var own []*stack.Event
	for _, m := range []*wire.Msg{first, layertest.Msg([]byte("small")), second} {
		h.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: m})
		for _, ev := range h.TakeDowns() {
			own = append(own, &stack.Event{Type: ev.Type, Peer: 0, Msg: layertest.Wire(ev)})
		}
	}
	others := split(t, message(1500))
	for i, ev := range own {
		h.Up(ev)
		if i < len(others) {
			h.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: others[i].Msg})
		}
	}
	var ups, fromOther []*stack.Event
	for _, ev := range h.TakeUps() {
		if ev.Peer == 0 {
			ups = append(ups, ev)
		} else {
			fromOther = append(fromOther, ev)
		}
	}
	require.Len(t, fromOther, 1)
	require.True(t, bytes.Equal(message(1500), fromOther[0].Msg.Bytes()), "the other member's cast, reassembled")
	require.Len(t, ups, 3)
	require.Same(t, &firstBytes[0], &ups[0].Msg.Bytes()[0], "the first cast itself")
	require.Equal(t, "small", string(ups[1].Msg.Bytes()))
	require.Same(t, &secondBytes[0], &ups[2].Msg.Bytes()[0], "the second cast itself")
	require.True(t, bytes.Equal(message(2000), ups[2].Msg.Bytes()))
}

// The first fragment of a cast is the cast's own buffer cut short, not a
// copy; the headers pushed onto it below go in front and leave the cast
// intact for its own delivery.
func TestFirstFragmentIsTheMessageItself(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Config: config})
	cast := layertest.Msg(message(1500))
	payload := cast.Bytes()
	h.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: cast})
	downs := h.TakeDowns()
	require.Greater(t, len(downs), 1)
	body := downs[0].Msg.Bytes()[2:] // kindFirst, the count
	require.Same(t, &payload[0], &body[0], "the first fragment's payload is the cast's own bytes")
	var wires []*stack.Event
	for _, ev := range downs {
		wires = append(wires, &stack.Event{Type: ev.Type, Peer: 0, Msg: layertest.Wire(ev)})
		ev.Msg.Push(bytes.Repeat([]byte{0xEE}, 40)) // the layers below
	}
	require.True(t, bytes.Equal(message(1500), payload), "headers pushed below leave the cast as it was")
	for _, ev := range wires {
		h.Up(ev)
	}
	ups := h.TakeUps()
	require.Len(t, ups, 1)
	require.Same(t, &payload[0], &ups[0].Msg.Bytes()[0], "the cast itself comes up")
	require.True(t, bytes.Equal(message(1500), ups[0].Msg.Bytes()))
}

// withRoom returns ev as the last message of a received datagram whose
// read buffer has room bytes free behind it (wire.Msg.WrapWithRoom), and
// that message's bytes as they lie in the buffer.
func withRoom(ev *stack.Event, room int) (*stack.Event, []byte) {
	content := ev.Msg.Bytes()
	buf := append(make([]byte, 0, len(content)+room), content...)
	var m wire.Msg
	m.WrapWithRoom(buf)
	return &stack.Event{Type: ev.Type, Peer: ev.Peer, Msg: &m}, buf
}

// Fragments go into the room behind the first while they fit, so that a
// message just over one datagram is never copied; the first that does not
// fit, and every one after it, are joined with what is there instead. The
// message comes up whole either way, and the first fragment's datagram —
// which the stack keeps for retransmission — is left as it came.
func TestFragmentsGoBehindTheFirstWhileThereIsRoom(t *testing.T) {
	const size = 1500 // four fragments of config: 496, 496, 496, 12
	for _, room := range []int{0, 100, 496, 600, 1004, 2000} {
		frags := split(t, message(size))
		require.Len(t, frags, 4)
		first, buf := withRoom(frags[0], room)
		datagram := bytes.Clone(buf)
		h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
		h.Up(first)
		for _, ev := range frags[1:] {
			h.Up(ev)
		}
		ups := h.TakeUps()
		require.Len(t, ups, 1, "room %d", room)
		got := ups[0].Msg.Bytes()
		require.True(t, bytes.Equal(message(size), got), "room %d: comes up as it was cast", room)
		require.Equal(t, datagram, buf, "room %d: the first fragment's datagram is unchanged", room)
		inPlace := &got[0] == &buf[2] // behind kindFirst and the count
		require.Equal(t, room >= size-496, inPlace, "room %d: in place exactly when all of the rest fits", room)
		require.Equal(t, len(got), cap(got), "room %d: the message shows no room of its own", room)
	}
}

// Room is taken once: a first fragment whose room someone took already
// (the same message handed up twice) is reassembled by copying, so that a
// message delivered from that room before keeps its bytes.
func TestRoomTakenAlreadyIsNotWrittenAgain(t *testing.T) {
	frags := split(t, message(900)) // 496 and 404
	require.Len(t, frags, 2)
	first, _ := withRoom(frags[0], 1000)
	earlier := first.Msg.TakeRoom()
	earlier = append(earlier, "delivered before"...)
	h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
	h.Up(first)
	h.Up(frags[1])
	ups := h.TakeUps()
	require.Len(t, ups, 1)
	require.True(t, bytes.Equal(message(900), ups[0].Msg.Bytes()))
	require.Equal(t, "delivered before", string(earlier[len(earlier)-len("delivered before"):]))
}

// Whatever comes up from the network — kinds, counts, fragments out of
// their order, with or without room behind them — Frag never panics, never
// writes into a datagram's content, and never delivers more than
// MaxMessage and a fragment.
func FuzzFragmentsFromTheNetwork(f *testing.F) {
	for _, ev := range split(f, message(1500)) {
		f.Add(ev.Msg.Bytes(), uint8(100), uint8(1))
	}
	f.Add([]byte{kindFirst, 2, 1, 2, 3}, uint8(0), uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, room uint8, cut uint8) {
		h := layertest.New(Protocol{}, layertest.Options{Rank: 1, Config: config})
		// The stream is cut into datagrams of cut+1 bytes (the last may
		// be shorter), each the last message of its datagram.
		step := int(cut) + 1
		for len(stream) > 0 {
			n := min(step, len(stream))
			ev, buf := withRoom(&stack.Event{Type: stack.ECast, Peer: 0, Msg: wire.WrapMsg(stream[:n])}, int(room))
			content := bytes.Clone(buf)
			h.Up(ev)
			if !bytes.Equal(content, buf) {
				t.Fatalf("a datagram's content changed")
			}
			stream = stream[n:]
		}
		for _, up := range h.TakeUps() {
			if up.Msg.Len() > config.MaxMessage+config.MaxPacket {
				t.Fatalf("delivered %d bytes", up.Msg.Len())
			}
		}
	})
}
