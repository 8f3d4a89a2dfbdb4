package auth

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// A control datagram sealed by one member opens at another of the group,
// whatever it holds, and comes back as it was sealed.
func TestControlSealOpen(t *testing.T) {
	modes(t, func(t *testing.T, privacy bool) {
		a := guard(t, "10.0.0.1:7000", 100, privacy, Keys{Seal: keyA})
		b := guard(t, "10.0.0.2:7000", 200, privacy, Keys{Seal: keyA})
		for _, msg := range [][]byte{[]byte("MU\x01nonce..."), nil, bytes.Repeat([]byte{7}, 96)} {
			sealed := a.SealControl(append([]byte(nil), msg...))
			require.Len(t, sealed, len(msg)+a.ControlOverhead())
			got, ok := b.OpenControl(sealed)
			require.True(t, ok)
			require.Equal(t, string(msg), string(got))
			got, ok = a.OpenControl(sealed)
			require.True(t, ok, "a member opens its own too: control datagrams carry their own nonces")
			require.Equal(t, string(msg), string(got))
		}
	})
}

// Nobody without the key makes a control datagram that opens: not by
// changing a byte of one, not with another key, not in the other mode,
// not from a datagram seal, and not from nothing.
func TestControlForgeriesRejected(t *testing.T) {
	a := guard(t, "10.0.0.1:7000", 100, false, Keys{Seal: keyA})
	b := guard(t, "10.0.0.2:7000", 200, false, Keys{Seal: keyA})
	sealed := a.SealControl([]byte("MU\x02answer"))
	for i := range sealed {
		forged := bytes.Clone(sealed)
		forged[i] ^= 0x10
		_, ok := b.OpenControl(forged)
		require.False(t, ok, "byte %d changed", i)
	}
	_, ok := b.OpenControl(sealed[:len(sealed)-1])
	require.False(t, ok, "cut short")
	for _, short := range [][]byte{nil, make([]byte, controlOverhead-1), make([]byte, controlOverhead)} {
		_, ok := b.OpenControl(short)
		require.False(t, ok)
	}

	other := guard(t, "10.0.0.3:7000", 300, false, Keys{Seal: keyB})
	_, ok = b.OpenControl(other.SealControl([]byte("MU\x02answer")))
	require.False(t, ok, "another group's key")
	private := guard(t, "10.0.0.4:7000", 400, true, Keys{Seal: keyA})
	_, ok = b.OpenControl(private.SealControl([]byte("MU\x02answer")))
	require.False(t, ok, "a Privacy member's, at an Auth member")

	// A datagram seal (GMAC under the sender's key) is no control tag.
	pkt := a.sealAll([]byte("MS\x01data"))
	_, ok = b.OpenControl(pkt)
	require.False(t, ok)
	_, _, err := b.Open(sealed)
	require.Error(t, err, "and a control datagram is no sealed datagram")
}

// While a key rolls, control datagrams follow the ring like datagrams:
// sealed with the sealing key, opened with any accepted key, refused once
// their key is dropped.
func TestControlFollowsTheKeyRing(t *testing.T) {
	a := guard(t, "10.0.0.1:7000", 100, false, Keys{Seal: keyA})
	b := guard(t, "10.0.0.2:7000", 200, false, Keys{Seal: keyA})
	old := a.SealControl([]byte("MU\x01probe"))

	require.NoError(t, b.SetKeys(Keys{Seal: keyA, Accept: []Key{keyB}}))
	require.NoError(t, a.SetKeys(Keys{Seal: keyB, Accept: []Key{keyA}}))
	rolled := a.SealControl([]byte("MU\x01probe"))
	require.NotEqual(t, old, rolled)
	for _, s := range [][]byte{old, rolled} {
		_, ok := b.OpenControl(s)
		require.True(t, ok, "both keys accepted while rolling")
	}
	require.NoError(t, b.SetKeys(Keys{Seal: keyB}))
	_, ok := b.OpenControl(old)
	require.False(t, ok, "the old key is no longer accepted")
	_, ok = b.OpenControl(rolled)
	require.True(t, ok)
}

// SealControl and OpenControl run on the transport's goroutines while the
// key ring changes: no race (go test -race).
func TestControlIsSafeForConcurrentUse(t *testing.T) {
	a := guard(t, "10.0.0.1:7000", 100, false, Keys{Seal: keyA, Accept: []Key{keyB}})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if _, ok := a.OpenControl(a.SealControl([]byte("MU\x01probe"))); !ok {
					t.Error("own control datagram did not open")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			seal := keyA
			if i%2 == 1 {
				seal = keyB
			}
			_ = a.SetKeys(Keys{Seal: seal, Accept: []Key{keyA, keyB}})
		}
	})
	wg.Wait()
}
