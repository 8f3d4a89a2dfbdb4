package auth

import (
	"crypto/hmac"
	"crypto/sha256"

	"github.com/maestro-go/maestro/stack"
)

// A transport's own datagram (stack.ControlGuard), sealed:
//
//	datagram  keyID(4)  tag(16)
//
// tag is HMAC-SHA-256 truncated to 16 bytes, over the datagram, under a
// key of its own derived from the group key (controlKey), so that no
// control tag is ever a datagram seal or the other way round. It has no
// sequence number: a control datagram carries its own nonce (a multicast
// probe, random) or echoes one (an answer), which is what stops replays.
const controlOverhead = 4 + 16

var _ stack.ControlGuard = (*Guard)(nil)

// controlKey is HMAC-SHA-256(group key, label): the key of the control
// tags, one per mode, so Auth and Privacy members never take each
// other's for their own.
func controlKey(k Key, mode byte) []byte {
	label := "maestro control auth v1"
	if mode == modePrivacy {
		label = "maestro control privacy v1"
	}
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(label))
	return m.Sum(nil)
}

// ControlOverhead returns how many bytes SealControl adds.
func (g *Guard) ControlOverhead() int { return controlOverhead }

// SealControl appends the sealing key's identifier and a tag over b. Safe
// for concurrent use (it reads the key ring atomically).
func (g *Guard) SealControl(b []byte) []byte {
	ks := g.ring.Load().seal
	b = append(b, ks.id[:]...)
	return append(b, controlTag(ks.ctl, b)...)
}

// OpenControl verifies a datagram SealControl made with a key the ring
// accepts and returns it without its key identifier and tag. Safe for
// concurrent use.
func (g *Guard) OpenControl(b []byte) ([]byte, bool) {
	if len(b) < controlOverhead {
		return nil, false
	}
	end := len(b) - 16
	var id [4]byte
	copy(id[:], b[end-4:end])
	for _, ks := range g.ring.Load().accept {
		if ks.id == id {
			if !hmac.Equal(b[end:], controlTag(ks.ctl, b[:end])) {
				return nil, false
			}
			return b[: end-4 : end-4], true
		}
	}
	return nil, false
}

// controlTag is the 16-byte tag of b (the datagram and its key's
// identifier) under the control key ctl.
func controlTag(ctl, b []byte) []byte {
	m := hmac.New(sha256.New, ctl)
	m.Write(b)
	return m.Sum(nil)[:16]
}
