package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the size of a group key: 256 bits.
const KeySize = 32

// EnvVar is the environment variable a group key may come from (64 hex
// digits), when neither Options.Key nor Options.KeyFile names one.
const EnvVar = "MAESTRO_GROUP_KEY"

// Key is a 256-bit group key. Every member of a keyed group holds it;
// whoever holds it is a member.
type Key [KeySize]byte

// Errors of key handling; callers branch on them.
var (
	// ErrBadKey: the text is not exactly 64 hexadecimal digits.
	ErrBadKey = errors.New("auth: a group key is 64 hexadecimal digits (256 bits)")
	// ErrKeyFileMode: the key file may be read by its group or by others.
	ErrKeyFileMode = errors.New("auth: key file is readable by group or others")
	// ErrKeyFileExists: keygen refuses to overwrite an existing file.
	ErrKeyFileExists = errors.New("auth: key file exists")
)

// ParseKey reads a key written as 64 hexadecimal digits (surrounding
// white space is ignored).
func ParseKey(s string) (Key, error) {
	var k Key
	s = strings.TrimSpace(s)
	if len(s) != 2*KeySize {
		return k, fmt.Errorf("%w: got %d characters", ErrBadKey, len(s))
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return Key{}, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return k, nil
}

// String returns the key's fingerprint, never the key: "key:" and the hex
// of its 4-byte identifier, as carried in sealed datagrams.
func (k Key) String() string {
	id := k.id()
	return "key:" + hex.EncodeToString(id[:])
}

// Hex returns the key as 64 hexadecimal digits (the key file's form).
func (k Key) Hex() string { return hex.EncodeToString(k[:]) }

// id is the key's 4-byte identifier carried in every sealed datagram so
// that a receiver holding several keys (while rolling) picks the right one.
// It reveals nothing useful about the key.
func (k Key) id() [4]byte {
	h := sha256.New()
	h.Write([]byte("maestro key id v1\x00"))
	h.Write(k[:])
	var id [4]byte
	copy(id[:], h.Sum(nil))
	return id
}

// GenerateKey returns a fresh random key.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("auth: generate key: %w", err)
	}
	return k, nil
}

// LoadKeyFile reads a key file: one line of 64 hexadecimal digits. It
// refuses a file that its group or others may read (mode & 0o077 must be
// zero, as ssh does for private keys), naming the file and the fix.
func LoadKeyFile(path string) (Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Key{}, fmt.Errorf("auth: key file: %w", err)
	}
	if fi.IsDir() {
		return Key{}, fmt.Errorf("auth: key file %s is a directory", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("%w: %s has mode %04o; run `chmod 600 %s` (only its owner may read a group key)", ErrKeyFileMode, path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("auth: key file: %w", err)
	}
	text := strings.TrimRight(string(b), "\r\n")
	if strings.ContainsAny(text, "\r\n") {
		return Key{}, fmt.Errorf("auth: key file %s: %w: the file must hold one line", path, ErrBadKey)
	}
	k, err := ParseKey(text)
	if err != nil {
		return Key{}, fmt.Errorf("auth: key file %s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile writes a fresh key to path with mode 0600 and returns it.
// It refuses to overwrite an existing file (ErrKeyFileExists).
func WriteKeyFile(path string) (Key, error) {
	k, err := GenerateKey()
	if err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Key{}, fmt.Errorf("%w: %s (remove it first to replace the key)", ErrKeyFileExists, path)
		}
		return Key{}, fmt.Errorf("auth: write key file: %w", err)
	}
	// The umask cannot widen 0600, but a file system may ignore the mode:
	// set it explicitly.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(path)
		return Key{}, fmt.Errorf("auth: write key file: %w", err)
	}
	if _, err := f.WriteString(k.Hex() + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return Key{}, fmt.Errorf("auth: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("auth: write key file: %w", err)
	}
	return k, nil
}

// KeyFromEnv returns the key in MAESTRO_GROUP_KEY; ok is false when the
// variable is unset or empty.
func KeyFromEnv() (k Key, ok bool, err error) {
	s := os.Getenv(EnvVar)
	if strings.TrimSpace(s) == "" {
		return Key{}, false, nil
	}
	k, err = ParseKey(s)
	if err != nil {
		return Key{}, false, fmt.Errorf("auth: %s: %w", EnvVar, err)
	}
	return k, true, nil
}

// Keys is a member's key ring. Seal is the key its datagrams are sealed
// with; a datagram is accepted if sealed with Seal or with one of Accept.
// Rolling to a new key without stopping the group takes three steps, each
// applied to every member before the next (see Guard.SetKeys):
//
//  1. {Seal: old, Accept: [new]}  everyone accepts the new key;
//  2. {Seal: new, Accept: [old]}  everyone seals with it, old still accepted;
//  3. {Seal: new}                 the old key is dropped.
type Keys struct {
	Seal   Key
	Accept []Key
}
