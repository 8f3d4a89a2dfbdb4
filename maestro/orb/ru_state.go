package orb

import (
	"bytes"
	"fmt"

	"github.com/maestro-go/maestro/maestro/message"
)

// encodeState writes the ORB's state in one message: the retained replies
// and, with StateTransfer, every bound object's state in key order —
// taken under one lock, so that no request is applied between two
// objects' PushState.
func (o *ReplicatedUpdates) encodeState() (*message.Message, error) {
	o.mu.Lock()
	refs := refsOf(o.objects)
	objs := make([]RUObjectAdaptor, len(refs))
	for i, r := range refs {
		objs[i] = o.objects[r.key].obj
	}
	o.mu.Unlock()
	o.objMu.Lock()
	defer o.objMu.Unlock()
	m := message.New()
	o.retained.encode(m)
	if !o.opts.StateTransfer {
		return m.PutInt(0), nil
	}
	m.PutInt(len(refs))
	var buf bytes.Buffer
	for i, r := range refs {
		buf.Reset()
		if err := objs[i].PushState(&buf); err != nil {
			return nil, fmt.Errorf("orb: PushState of %s: %w", r.key, err)
		}
		m.PutBytes(r.key.Octets()).PutBytes(buf.Bytes())
	}
	return m, nil
}

// installState replaces this replica's state with one encodeState wrote:
// the message is read whole before any object changes, then every
// object's GetState runs under one lock.
func (o *ReplicatedUpdates) installState(m *message.Message) error {
	ret, err := decodeRetained(m, o.opts.RetainedClients, o.opts.RetainedPerClient, retainedPerOrigin)
	if err != nil {
		return err
	}
	n := m.GetInt()
	if n < 0 || n > m.Remaining() {
		return fmt.Errorf("orb: state: bad object count %d", n)
	}
	type objState struct {
		b     *bound[RUObjectAdaptor]
		key   ObjectKey
		state []byte
	}
	states := make([]objState, 0, n)
	for range n {
		key, st := KeyFromOctets(m.GetBytes()), m.GetBytes()
		if err := m.Err(); err != nil {
			return fmt.Errorf("orb: state: %w", err)
		}
		o.mu.Lock()
		b := o.objects[key]
		o.mu.Unlock()
		if b == nil {
			return fmt.Errorf("orb: state holds object %s, which this replica does not bind: every replica must bind the same objects", key)
		}
		states = append(states, objState{b, key, st})
	}
	o.objMu.Lock()
	defer o.objMu.Unlock()
	for _, s := range states {
		if err := s.b.obj.GetState(bytes.NewReader(s.state)); err != nil {
			return fmt.Errorf("orb: GetState of %s: %w", s.key, err)
		}
	}
	o.retained = ret
	return nil
}

// answerFromState answers this replica's relayed requests whose effect
// came with the state just installed: their casts were delivered before
// the state was taken, so they will not be delivered here.
func (o *ReplicatedUpdates) answerFromState() {
	type answer struct {
		n  uint64
		rr retainedReply
	}
	var answers []answer
	o.objMu.Lock()
	o.mu.Lock()
	for n, p := range o.pending {
		if rr, ok := o.retained.lookup(p.ident); ok {
			answers = append(answers, answer{n, rr})
		}
	}
	o.mu.Unlock()
	o.objMu.Unlock()
	for _, a := range answers {
		o.answerPending(a.n, a.rr.status, a.rr.body)
	}
}
