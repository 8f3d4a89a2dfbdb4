// Package frag splits messages larger than a datagram into fragments and
// reassembles them. It sits above the reliable layer, which delivers each
// sender's fragments complete and in order, so reassembly needs no
// timers: a message is whole when its last fragment arrives. A message cut
// short by a view change (its sender failed mid-message) is never whole
// anywhere in the new view, so it is never delivered.
package frag

import (
	"bytes"
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

const (
	kindWhole = 0 // an unfragmented message
	kindFirst = 1 // first fragment: total fragment count, then data
	kindNext  = 2 // a following fragment

	// overhead is what the layers below and the envelope may add to a
	// fragment; fragments are sized so the datagram stays within MaxPacket.
	overhead = 96
)

// Protocol is the fragmentation protocol.
type Protocol struct{}

// Fragments marks the protocol as the stack's fragmenter.
func (Protocol) Fragments() bool { return true }

// Name returns "Frag".
func (Protocol) Name() string { return "Frag" }

// NewLayer returns the layer for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	n := env.View.N()
	return &layer{env: env, casts: make([]*partial, n), sends: make([]*partial, n)}
}

type layer struct {
	env   *stack.Env
	casts []*partial // reassembly per sender, cast stream
	sends []*partial // reassembly per sender, point-to-point stream
	// own holds this member's fragmented casts, in the order they were
	// split, until their fragments come back up: its own delivery goes
	// up as the message that was cast instead of a reassembled copy.
	// The layers below deliver a member's own casts to it complete and
	// in order within the view, so the head is always the message whose
	// fragments are coming up.
	own [][]byte
}

// partial is a message being reassembled. Its fragments are appended to
// the first one in place while they fit the room behind it (a received
// datagram's unused read buffer, wire.Msg.TakeRoom), so that a message
// just over one datagram — a 64 KiB cast on loopback — is never copied;
// from the first that does not fit, each is kept as it came (aliasing its
// datagram, whose content the stack never writes into) and they are
// joined into one buffer of the exact size when the last arrives. For
// this member's own cast, whole is the message it split.
type partial struct {
	want  int
	got   int
	buf   []byte   // the fragments so far, contiguous, while they fit
	parts [][]byte // once one did not fit: every fragment so far
	size  int
	whole []byte
}

// add keeps one more fragment.
func (p *partial) add(b []byte) {
	p.got++
	p.size += len(b)
	switch {
	case p.got == 1:
		p.buf = b
	case p.parts == nil && len(b) <= cap(p.buf)-len(p.buf):
		p.buf = append(p.buf, b...)
	case p.parts == nil:
		p.parts = append(make([][]byte, 0, p.want), p.buf, b)
	default:
		p.parts = append(p.parts, b)
	}
}

// joined returns the message the fragments make.
func (p *partial) joined() []byte {
	if p.parts == nil {
		return p.buf[:len(p.buf):len(p.buf)]
	}
	return bytes.Join(p.parts, nil)
}

func (l *layer) chunk() int { return l.env.Config.MaxPacket - overhead }

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast, stack.ESend:
		if ev.Msg.Len()+1 <= l.chunk() {
			ev.Msg.PushByte(kindWhole)
			l.env.PassDown(ev)
			return
		}
		l.split(ev)
	case stack.ECtrl:
		ev.Msg.PushByte(kindWhole)
		l.env.PassDown(ev)
	default:
		l.env.PassDown(ev)
	}
}

// split sends ev's message as consecutive fragments of one stream. The
// first is the message itself cut short — its headers go into the room in
// front of it, so it needs no copy: on loopback a 64 KiB cast is a
// fragment of nearly 60,000 bytes and one of the rest — and the others are
// copied into one buffer, each with room in front for its headers (which
// would otherwise overwrite the end of the fragment before it).
func (l *layer) split(ev *stack.Event) {
	data := ev.Msg.Bytes()
	size := l.chunk() - 8
	count := (len(data) + size - 1) / size
	parts := make([][]byte, count)
	for i := range parts {
		parts[i] = data[i*size : min((i+1)*size, len(data))]
	}
	if ev.Type == stack.ECast {
		l.own = append(l.own, data)
	}
	first := ev.Msg
	first.Truncate(len(parts[0]))
	for i, m := range append([]*wire.Msg{first}, wire.NewMsgs(parts[1:])...) {
		if i == 0 {
			var w wire.Writer
			w.Byte(kindFirst)
			w.Uvarint(uint64(count))
			m.Push(w.B)
		} else {
			m.PushByte(kindNext)
		}
		l.env.PassDown(&stack.Event{Type: ev.Type, Peer: ev.Peer, Msg: m})
	}
}

func (l *layer) Up(ev *stack.Event) {
	var streams []*partial
	switch ev.Type {
	case stack.ECast:
		streams = l.casts
	case stack.ESend:
		streams = l.sends
	case stack.ECtrl:
		if k, err := ev.Msg.PopByte(); err != nil || k != kindWhole {
			l.env.Metrics.Drop("frag-malformed")
			return
		}
		l.env.PassUp(ev)
		return
	default:
		l.env.PassUp(ev)
		return
	}
	kind, err := ev.Msg.PopByte()
	if err != nil {
		l.env.Metrics.Drop("frag-malformed")
		return
	}
	from := ev.Peer
	switch kind {
	case kindWhole:
		if streams[from] != nil {
			l.env.Metrics.Drop("frag-interrupted")
			streams[from] = nil
		}
		l.env.PassUp(ev)
	case kindFirst:
		r := ev.Msg.Reader()
		count := r.Int(l.env.Config.MaxMessage/max(1, l.chunk()-8) + 1)
		if r.Err() != nil || count < 2 || ev.Msg.Skip(r.Consumed()) != nil {
			l.env.Metrics.Drop("frag-malformed")
			return
		}
		if streams[from] != nil {
			l.env.Metrics.Drop("frag-interrupted")
		}
		p := &partial{want: count}
		if from == l.env.View.Rank && ev.Type == stack.ECast && len(l.own) > 0 {
			p.whole = l.own[0]
			l.own[0] = nil
			l.own = l.own[1:]
		}
		p.add(ev.Msg.TakeRoom())
		streams[from] = p
	case kindNext:
		p := streams[from]
		if p == nil {
			l.env.Metrics.Drop("frag-orphan")
			return
		}
		p.add(ev.Msg.Bytes())
		if p.size > l.env.Config.MaxMessage+l.chunk() {
			l.env.Metrics.Drop("frag-too-large")
			streams[from] = nil
			return
		}
		if p.got == p.want {
			streams[from] = nil
			whole := p.whole
			if len(whole) != p.size {
				whole = p.joined()
			}
			l.env.PassUp(stack.WrappedEvent(ev.Type, from, whole))
		}
	default:
		l.env.Metrics.Drop("frag-malformed")
	}
}

func (l *layer) Tick(time.Time) {}
