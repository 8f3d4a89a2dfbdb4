package stack

import "errors"

// A Guard protects every datagram at the Core's packet boundary: the Core
// seals each complete datagram it sends (view datagrams with data,
// control messages and heartbeats, and the global datagrams of discovery,
// healing and merging) and opens each datagram it receives before parsing
// it, so that nothing a Guard rejects reaches any layer. Package
// stack/auth implements it (the Auth and Privacy properties).
//
// A Guard is used by the one goroutine driving its Core, like a layer; it
// must be deterministic (no clock, no randomness), so that simulations
// replay exactly.
type Guard interface {
	// Overhead is how many bytes Seal adds to a datagram; the Core sizes
	// its datagrams so that sealed ones stay within Config.MaxPacket.
	Overhead() int
	// Seal returns the protected form of the datagram pkt, sent to the
	// member at address to, or, if to is empty, to several (a multicast to
	// the view, an announcement on the discovery addresses). A datagram
	// sealed for one member must not open at another: the recipient is
	// bound into the seal. Seal may reuse pkt's storage.
	Seal(pkt []byte, to string) []byte
	// Open verifies a received datagram and returns its content (the
	// datagram that was sealed) and the authenticated sender: its address
	// and incarnation. A datagram it rejects comes with an error wrapping
	// ErrAuth, ErrReplay or ErrStaleIncarnation, which the Core counts.
	Open(pkt []byte) (inner []byte, from Endpoint, err error)
}

// Errors a Guard reports; the Core counts them in Metrics under the drop
// reasons "auth", "auth-replay" and "auth-stale".
var (
	// ErrAuth: the datagram is not sealed with a key this member accepts
	// (forged, corrupted, sealed with another key or in another mode, or
	// not sealed at all).
	ErrAuth = errors.New("stack: datagram failed authentication")
	// ErrReplay: the datagram was seen before, or is older than the replay
	// window of its sender's incarnation.
	ErrReplay = errors.New("stack: replayed datagram")
	// ErrStaleIncarnation: the datagram comes from an incarnation of its
	// sender's address older than one already heard.
	ErrStaleIncarnation = errors.New("stack: datagram from an earlier incarnation")
)

// SealedMagic starts every sealed datagram ("MA"; plain ones start "MS"):
// a member without a key recognises a keyed group by it.
const SealedMagic = "MA"

// A ControlGuard authenticates a transport's own datagrams under the
// group key: those that never reach the Core, like the UDP transport's
// multicast probes and answers (see ControlGuarded). Package stack/auth's
// Guard implements it beside Guard. Unlike Guard it keeps no state and is
// safe for concurrent use: the transport's datagrams carry nonces of
// their own against replay.
type ControlGuard interface {
	// SealControl returns b with a tag appended (ControlOverhead bytes)
	// that only holders of the group key can make. It may reuse b's
	// storage.
	SealControl(b []byte) []byte
	// OpenControl verifies a datagram SealControl made with a key of the
	// ring and returns it without the tag; ok is false for any other.
	OpenControl(b []byte) (inner []byte, ok bool)
	// ControlOverhead is how many bytes SealControl adds.
	ControlOverhead() int
}
