package auth

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
)

var (
	keyA = mustKey("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0")
	keyB = mustKey("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")
)

func mustKey(s string) Key {
	k, err := ParseKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

func guard(t testing.TB, addr string, inc uint64, privacy bool, keys Keys) *Guard {
	t.Helper()
	g, err := New(Options{Me: stack.Endpoint{Addr: addr, Inc: inc}, Keys: keys, Privacy: privacy})
	require.NoError(t, err)
	return g
}

func modes(t *testing.T, f func(t *testing.T, privacy bool)) {
	t.Run("Auth", func(t *testing.T) { f(t, false) })
	t.Run("Privacy", func(t *testing.T) { f(t, true) })
}

func TestSealOpenRoundTrip(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		for _, msg := range [][]byte{[]byte("MS\x01hello"), nil, bytes.Repeat([]byte{7}, 1500)} {
			pkt := a.sealAll(append([]byte(nil), msg...))
			require.Len(t, pkt, len(msg)+a.Overhead())
			inner, from, err := b.Open(pkt)
			require.NoError(t, err)
			require.Equal(t, stack.Endpoint{Addr: "10.0.0.1:7000", Inc: 100}, from)
			require.True(t, bytes.Equal(msg, inner))
			if privacy && len(msg) > 8 {
				require.False(t, bytes.Contains(pkt, msg), "Privacy left the payload in the clear")
			}
		}
	})
}

// Any change to any byte of a sealed datagram — header, body or tag — is
// detected.
func TestForgedDatagramRejected(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		pkt := a.sealAll([]byte("MS\x01 a datagram of the group"))
		for i := range pkt {
			b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
			forged := append([]byte(nil), pkt...)
			forged[i] ^= 0x20
			_, _, err := b.Open(forged)
			require.ErrorIs(t, err, stack.ErrAuth, "byte %d flipped", i)
			// The untouched datagram still opens: the forgery changed no
			// state.
			_, _, err = b.Open(pkt)
			require.NoError(t, err, "byte %d", i)
		}
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		for n := 0; n < len(pkt); n++ {
			_, _, err := b.Open(pkt[:n])
			require.ErrorIs(t, err, stack.ErrAuth, "truncated to %d", n)
		}
		_, _, err := b.Open(append(append([]byte(nil), pkt...), 0))
		require.ErrorIs(t, err, stack.ErrAuth, "extended")
	})
}

func TestWrongKeyAndModeRejected(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyB})
		_, _, err := b.Open(a.sealAll([]byte("MS\x01x")))
		require.ErrorIs(t, err, stack.ErrAuth)
		// The other mode with the right key is rejected too.
		c := guard(t, "10.0.0.3:7000", 300, !privacy, Keys{Seal: keyA})
		_, _, err = c.Open(a.sealAll([]byte("MS\x01x")))
		require.ErrorIs(t, err, stack.ErrAuth)
		// A plain datagram is not sealed.
		_, _, err = c.Open([]byte("MS\x01\x01 plain datagram of enough length"))
		require.ErrorIs(t, err, stack.ErrAuth)
	})
}

func TestReplayWindow(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		var pkts [][]byte
		for i := 0; i < Window+10; i++ {
			pkts = append(pkts, a.sealAll([]byte{'M', 'S', byte(i)}))
		}
		// Out of order inside the window: each accepted once.
		for _, i := range []int{5, 2, 3, 1, 4} {
			_, _, err := b.Open(pkts[i-1])
			require.NoError(t, err, "seq %d", i)
		}
		for _, i := range []int{1, 3, 5} {
			_, _, err := b.Open(pkts[i-1])
			require.ErrorIs(t, err, stack.ErrReplay, "replayed seq %d", i)
		}
		// A jump forward, then something still inside the window.
		_, _, err := b.Open(pkts[Window+5-1]) // seq Window+5
		require.NoError(t, err)
		_, _, err = b.Open(pkts[10-1]) // seq 10: Window-5 behind
		require.NoError(t, err)
		_, _, err = b.Open(pkts[10-1])
		require.ErrorIs(t, err, stack.ErrReplay)
		// Outside the window: rejected even though never seen.
		_, _, err = b.Open(pkts[5+1-1]) // seq 6: Window-1 behind
		require.NoError(t, err)
		_, _, err = b.Open(pkts[5-1]) // seen
		require.ErrorIs(t, err, stack.ErrReplay)
		_, _, err = b.Open(pkts[Window+10-1]) // seq Window+10 moves the window
		require.NoError(t, err)
		_, _, err = b.Open(pkts[7-1]) // seq 7: Window+3 behind, never seen
		require.ErrorIs(t, err, stack.ErrReplay)
	})
}

// A restart is a later incarnation: accepted, after which the earlier
// incarnation's datagrams — live or replayed — are stale.
func TestIncarnations(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		old := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		captured := old.sealAll([]byte("MS\x01old life"))
		unseen := old.sealAll([]byte("MS\x01old life, never delivered"))
		_, _, err := b.Open(captured)
		require.NoError(t, err)

		reborn := guard(t, "10.0.0.1:7000", 101, privacy, Keys{Seal: keyA})
		_, from, err := b.Open(reborn.sealAll([]byte("MS\x01new life")))
		require.NoError(t, err)
		require.Equal(t, uint64(101), from.Inc)
		_, _, err = b.Open(captured)
		require.ErrorIs(t, err, stack.ErrStaleIncarnation)
		_, _, err = b.Open(unseen)
		require.ErrorIs(t, err, stack.ErrStaleIncarnation)

		// A member rejects datagrams of its own address's earlier lives.
		me := guard(t, "10.0.0.1:7000", 102, privacy, Keys{Seal: keyA})
		_, _, err = me.Open(unseen)
		require.ErrorIs(t, err, stack.ErrStaleIncarnation)
	})
}

// Nonces: one sender never repeats one, and two senders (or two lives of
// one) encrypt the same datagram differently.
func TestPrivacyNonces(t *testing.T) {
	msg := []byte("MS\x01 same plaintext")
	a := guard(t, "10.0.0.1:7000", 100, true, Keys{Seal: keyA})
	a2 := guard(t, "10.0.0.1:7000", 101, true, Keys{Seal: keyA})
	c := guard(t, "10.0.0.3:7000", 100, true, Keys{Seal: keyA})
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		for _, g := range []*Guard{a, a2, c} {
			pkt := g.sealAll(append([]byte(nil), msg...))
			body := string(pkt[len(g.header):])
			require.False(t, seen[body], "ciphertext repeated")
			seen[body] = true
		}
	}
}

// Rolling: every step keeps the group talking, and once the old key is
// dropped it is refused.
func TestKeyRoll(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		talk := func(step string) {
			t.Helper()
			_, _, err := b.Open(a.sealAll([]byte("MS\x01a")))
			require.NoError(t, err, step)
			_, _, err = a.Open(b.sealAll([]byte("MS\x01b")))
			require.NoError(t, err, step)
		}
		steps := []Keys{{Seal: keyA, Accept: []Key{keyB}}, {Seal: keyB, Accept: []Key{keyA}}, {Seal: keyB}}
		for _, k := range steps {
			require.NoError(t, a.SetKeys(k))
			talk("a moved, b not yet")
			require.NoError(t, b.SetKeys(k))
			talk("both moved")
		}
		stale := guard(t, "10.0.0.9:7000", 1, privacy, Keys{Seal: keyA})
		_, _, err := b.Open(stale.sealAll([]byte("MS\x01old key")))
		require.ErrorIs(t, err, stack.ErrAuth)
		require.ErrorIs(t, a.SetKeys(Keys{}), ErrBadKey)
	})
}

func TestPeerStateBounded(t *testing.T) {
	b := guard(t, "10.0.0.2:7000", 200, false, Keys{Seal: keyA})
	for i := 0; i < maxPeers+50; i++ {
		s := guard(t, fmt.Sprintf("10.1.%d.%d:7000", i/256, i%256), 1, false, Keys{Seal: keyA})
		_, _, err := b.Open(s.sealAll([]byte("MS")))
		require.NoError(t, err)
	}
	require.LessOrEqual(t, len(b.peers), maxPeers)
	require.Contains(t, b.peers, "10.0.0.2:7000", "own address forgotten")
}

func TestErrorsAreSentinels(t *testing.T) {
	b := guard(t, "10.0.0.2:7000", 200, false, Keys{Seal: keyA})
	_, _, err := b.Open([]byte("garbage"))
	require.True(t, errors.Is(err, stack.ErrAuth))
}

// sealAll seals a datagram for several members.
func (g *Guard) sealAll(pkt []byte) []byte { return g.Seal(pkt, "") }

// A datagram sealed for one member opens there only: it cannot be
// replayed to another member (whose window has not seen its number).
func TestUnicastBoundToRecipient(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		c := guard(t, "10.0.0.3:7000", 300, privacy, Keys{Seal: keyA})
		pkt := a.Seal([]byte("MS\x01for b only"), "10.0.0.2:7000")
		_, _, err := c.Open(pkt)
		require.ErrorIs(t, err, stack.ErrAuth)
		inner, _, err := b.Open(pkt)
		require.NoError(t, err)
		require.Equal(t, "MS\x01for b only", string(inner))
		// Claiming it was for everyone does not help.
		forged := append([]byte(nil), pkt...)
		forged[3] &^= flagUnicast
		_, _, err = c.Open(forged)
		require.ErrorIs(t, err, stack.ErrAuth)
	})
}
