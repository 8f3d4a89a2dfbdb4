package token

import (
	"testing"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// FuzzTokenUp feeds a Token layer arbitrary messages from its peers —
// control messages, casts, point-to-point messages, flush annotations —
// interleaved with the application's casts, ends of batches, ticks and the
// end of the view. Nothing may panic, and every event passed up must name
// a member of the view.
//
// The input is a sequence of operations: a byte choosing the operation
// (low nibble) and the peer (high nibble), a length byte, and that many
// bytes of message.
func FuzzTokenUp(f *testing.F) {
	op := func(kind, peer byte, b []byte) []byte { return append([]byte{peer<<4 | kind, byte(len(b))}, b...) }
	tok := newToken(4, 2, 3, 0)
	f.Add(op(0, 0, encodeToken(&tok)))
	f.Add(append(op(0, 0, encodeToken(&tok)), op(0, 0, visitBody(kindCommit, 2))...))
	f.Add(op(1, 2, ordered(1, "x").Bytes()))
	f.Add(append(op(1, 3, unorderedMsg("u").Bytes()), op(6, 0, nil)...))
	f.Add(append(op(3, 0, []byte("c")), op(4, 0, nil)...))
	f.Add(op(0, 1, visitBody(kindRequest, 0)))
	f.Add(append(op(6, 0, nil), op(8, 0, annotation{holding: true, visit: 3, next: 1, counts: []uint64{0, 1, 0, 0}}.encode())...))
	f.Add([]byte{0xff, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		const n = 4
		h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(n), Rank: 1})
		for len(in) >= 2 {
			kind, peer := in[0]&0x0f, int(in[0]>>4)%n
			size := min(int(in[1]), len(in)-2)
			body := append([]byte(nil), in[2:2+size]...)
			in = in[2+size:]
			if peer == 1 {
				peer = 0 // a member does not hear from itself over the network
			}
			switch kind % 9 {
			case 0:
				h.Up(&stack.Event{Type: stack.ECtrl, Peer: peer, Msg: wire.WrapMsg(body)})
			case 1:
				h.Up(&stack.Event{Type: stack.ECast, Peer: peer, Msg: wire.WrapMsg(body)})
			case 2:
				h.Up(&stack.Event{Type: stack.ESend, Peer: peer, Msg: wire.WrapMsg(body)})
			case 3:
				h.Down(cast(string(body)))
			case 4:
				idle(h)
			case 5:
				h.Advance(40 * time.Millisecond)
			case 6:
				h.Up(&stack.Event{Type: stack.EBlock})
			case 7:
				annotate(h.Layer)
			case 8:
				ann := stack.Annotations{stack.MemberKey("Token", h.Env.View.MemberID(peer)): body}
				h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: ann}})
			}
		}
		for _, ev := range append(h.Ups, h.Downs...) {
			switch ev.Type {
			case stack.ECast, stack.EAbort, stack.ESend, stack.ECtrl:
				if ev.Peer != stack.AllPeers && (ev.Peer < 0 || ev.Peer >= n) {
					t.Fatalf("%v event for rank %d", ev.Type, ev.Peer)
				}
			}
		}
	})
}
