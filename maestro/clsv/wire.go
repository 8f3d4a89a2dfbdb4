package clsv

import (
	"fmt"

	"github.com/maestro-go/maestro/maestro/message"
)

// Kinds of the messages this level exchanges over the group member.
const (
	kindCast     = 1 // app message to everyone
	kindScast    = 2 // app message to servers, xfer servers and listed clients
	kindLsend    = 3 // app message to listed members
	kindSend     = 4 // app message to one member (point-to-point)
	kindAskState = 5 // state request (point-to-point)
	kindState    = 6 // state (point-to-point)
	kindXferDone = 7 // to the coordinator: this member finished in view id
)

// envelope wraps an application message with this level's header: its
// kind, whether it must not be delivered during a state transfer
// (sensitive), and for scast and lsend the destinations.
func envelope(kind int32, sensitive bool, dests []EndpID, app *message.Message) *message.Message {
	size := 4 * message.Overhead // kind, sensitive, the destination count, app's tag and length
	if app != nil {
		size += app.Len()
	}
	for _, d := range dests {
		size += message.Overhead + len(d)
	}
	m := message.NewSize(size).PutInt32(kind).PutBool(sensitive)
	if kind == kindScast || kind == kindLsend {
		m.PutInt(len(dests))
		for _, d := range dests {
			m.PutString(string(d))
		}
	}
	return m.PutMessage(app)
}

// opened is a decoded envelope.
type opened struct {
	kind      int32
	sensitive bool
	dests     []EndpID
	app       *message.Message
	view      string // kindXferDone
}

func open(m *message.Message) (opened, error) {
	var o opened
	o.kind = m.GetInt32()
	if o.kind != kindXferDone {
		o.sensitive = m.GetBool()
	}
	switch o.kind {
	case kindScast, kindLsend:
		n := m.GetInt()
		if n < 0 || n > m.Remaining() {
			return o, fmt.Errorf("clsv: bad destination count %d", n)
		}
		for i := 0; i < n; i++ {
			o.dests = append(o.dests, EndpID(m.GetString()))
		}
		o.app = m.GetMessage()
	case kindCast, kindSend, kindAskState, kindState:
		o.app = m.GetMessage()
	case kindXferDone:
		o.view = m.GetString()
	default:
		if m.Err() == nil {
			return o, fmt.Errorf("clsv: unknown message kind %d", o.kind)
		}
	}
	if err := m.Err(); err != nil {
		return o, fmt.Errorf("clsv: malformed message: %w", err)
	}
	return o, nil
}
