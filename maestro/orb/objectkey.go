package orb

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
)

// ObjectKey identifies an object in IIOP messages. It is an immutable octet
// sequence; keys made by NewKey/Init have the text form MAE:<hex>:<name>
// (§3.3.3), and those octets are the text itself, so the key reads well in
// catior output. ObjectKey is comparable and usable as a map key.
type ObjectKey struct {
	octets string
}

const maePrefix = "MAE:"

// uniqueBytes is the number of random octets in a generated key; the first
// four are the key's hash.
const uniqueBytes = 17

// KeyFromString returns the key whose octets are s, as in "my key" of §3.3.3
// or a MAE:<hex>:<name> string produced by newkey.
func KeyFromString(s string) ObjectKey { return ObjectKey{octets: s} }

// KeyFromOctets returns the key with the given octets (copied).
func KeyFromOctets(b []byte) ObjectKey { return ObjectKey{octets: string(b)} }

// NewKey returns a fresh, globally unique key MAE:<hex>:<name> whose hex part
// starts with a random 32-bit hash value.
func NewKey(name string) (ObjectKey, error) {
	if strings.ContainsAny(name, ":\x00") {
		return ObjectKey{}, fmt.Errorf("orb: key name %q may not contain ':' or NUL", name)
	}
	var b [uniqueBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return ObjectKey{}, fmt.Errorf("orb: generating key: %w", err)
	}
	return ObjectKey{octets: maePrefix + hex.EncodeToString(b[:]) + ":" + name}, nil
}

// Init makes k a new globally unique key for the named interface (the
// dissertation's key.init("Grid")).
func (k *ObjectKey) Init(name string) error {
	nk, err := NewKey(name)
	if err != nil {
		return err
	}
	*k = nk
	return nil
}

// ParseKey checks that s is a well-formed MAE:<hex>:<name> key and returns it.
func ParseKey(s string) (ObjectKey, error) {
	if !strings.HasPrefix(s, maePrefix) {
		return ObjectKey{}, errors.New("orb: key does not start with MAE:")
	}
	rest := s[len(maePrefix):]
	i := strings.IndexByte(rest, ':')
	if i < 8 {
		return ObjectKey{}, fmt.Errorf("orb: key %q: want MAE:<hex>:<name> with at least 8 hex digits", s)
	}
	if _, err := hex.DecodeString(rest[:i]); err != nil {
		return ObjectKey{}, fmt.Errorf("orb: key %q: %w", s, err)
	}
	return ObjectKey{octets: s}, nil
}

// Octets returns a copy of the key's octets (what travels in IIOP).
func (k ObjectKey) Octets() []byte { return []byte(k.octets) }

// IsZero reports whether the key is empty (uninitialised).
func (k ObjectKey) IsZero() bool { return k.octets == "" }

// isMAE reports whether the key has the MAE:<hex>:<name> form, and returns
// the hex part and name.
func (k ObjectKey) parts() (hexPart, name string, ok bool) {
	if !strings.HasPrefix(k.octets, maePrefix) {
		return "", "", false
	}
	rest := k.octets[len(maePrefix):]
	i := strings.IndexByte(rest, ':')
	if i < 8 {
		return "", "", false
	}
	if _, err := hex.DecodeString(rest[:i]); err != nil {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// Name is the interface name of a MAE key ("Grid"), or "" for other keys.
func (k ObjectKey) Name() string {
	_, n, _ := k.parts()
	return n
}

// Hash returns the key's 32-bit hash: for MAE keys the random value chosen
// by Init (the first 8 hex digits), for other keys FNV-1a of the octets.
func (k ObjectKey) Hash() uint32 {
	if h, _, ok := k.parts(); ok {
		b, _ := hex.DecodeString(h[:8])
		return binary.BigEndian.Uint32(b)
	}
	f := fnv.New32a()
	f.Write([]byte(k.octets))
	return f.Sum32()
}

// String returns the text form: the octets if printable, else "0x<hex>".
func (k ObjectKey) String() string {
	for i := 0; i < len(k.octets); i++ {
		if c := k.octets[i]; c < 0x20 || c > 0x7e {
			return "0x" + hex.EncodeToString([]byte(k.octets))
		}
	}
	return k.octets
}
