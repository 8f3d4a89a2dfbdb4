// Package auth provides the Auth and Privacy properties: every datagram a
// member sends — data, control messages, heartbeats, and the global
// datagrams of discovery, healing and merging — is sealed under the
// group's 256-bit key, and a received datagram that does not open is
// dropped before any layer sees it.
//
// # Where it sits
//
// Auth is not a layer but a codec at the Core's packet boundary (it
// implements stack.Guard). Layers see messages, and several messages are
// packed into one datagram below the lowest layer; the global datagrams of
// discovery, healing and merging do not travel through the layers of a
// view at all (the Core frames and parses them itself, see stack/core.go).
// A bottom layer would therefore miss part of the traffic, and could
// authenticate only messages, not the datagrams that carry them. At the
// packet boundary one seal covers every byte of every datagram, and one
// check runs before the envelope is even parsed. The guard is as
// deterministic as a layer: no clock, no randomness, no I/O (nonces are
// counters), so simulations with Auth replay exactly.
//
// A transport's own datagrams never reach the Core (the UDP transport's
// multicast probes and answers): the Guard also implements
// stack.ControlGuard, which the stack hands to such a transport, and they
// carry an HMAC-SHA-256 tag under a key derived from the group key for
// them alone (control.go). They are authenticated, never encrypted, and
// carry nonces of their own against replay.
//
// # What a sealed datagram proves
//
// Auth: a GMAC tag (AES-256-GCM authenticating without encrypting) over
// the whole datagram, including a header with the sender's address,
// incarnation and datagram sequence number, and an identifier of the key;
// the key is derived from the group key, the sender's address and
// incarnation (and the recipient's address, for a datagram sent to one
// member), and the sequence number is the nonce. Privacy: the datagram is
// encrypted with AES-256-GCM under such a key; the header is authenticated
// as additional data. Privacy implies Auth.
//
// # Replays and incarnations
//
// A receiver keeps, per sender address, the newest incarnation it has
// authenticated and a window of the last Window sequence numbers of that
// incarnation. The rule:
//
//   - an incarnation older than the one heard from the address is stale
//     and rejected (stack.ErrStaleIncarnation);
//   - a newer incarnation is a restart: it replaces the old one, whose
//     datagrams are stale from then on;
//   - within the incarnation, a sequence number seen before, or Window or
//     more behind the newest, is a replay (stack.ErrReplay).
//
// It relies on incarnations that only grow from one start of an address
// to the next: stack.Start takes the start time in nanoseconds. A member
// also treats its own address this way, so datagrams of its previous
// lives are stale to it. Datagrams of an earlier view are bound to it (the
// view hash is inside the sealed datagram) and dropped as stale by the
// Core. What remains: a member that has just started has heard nothing
// yet, so it accepts — once each — datagrams recorded from a sender's
// current incarnation that it never saw; those belong to views it was
// never in (the Core drops them) or are old announcements, which the
// membership protocols already tolerate as late datagrams.
//
// Nonces never repeat under one key: each sender incarnation has a key of
// its own (derived from its address and incarnation) and numbers its
// datagrams from 1; a restart is a new incarnation, hence a new key.
//
// # Keys
//
// Keys come from Options.Key, a key file (LoadKeyFile: one line of 64 hex
// digits, mode 0600) or the MAESTRO_GROUP_KEY environment variable;
// WriteKeyFile (`maestro keygen FILE`) makes one. Keys and Guard.SetKeys
// roll a group to a new key without stopping it.
package auth
