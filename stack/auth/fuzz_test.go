package auth

import (
	"bytes"
	"testing"

	"github.com/maestro-go/maestro/stack"
)

// FuzzOpen feeds arbitrary datagrams to the decoder of sealed datagrams,
// in both modes: it never panics, and it accepts nothing but datagrams
// sealed with the key, each once, returning exactly what was sealed.
func FuzzOpen(f *testing.F) {
	sealed := map[string][]byte{} // sealed datagram -> content
	for _, privacy := range []bool{false, true} {
		g, _ := New(Options{Me: stack.Endpoint{Addr: "127.0.0.1:7000", Inc: 5}, Keys: Keys{Seal: keyA}, Privacy: privacy})
		for _, m := range []string{"", "MS\x01\x01abc", "a longer datagram of the group with some content"} {
			pkt := g.sealAll([]byte(m))
			sealed[string(pkt)] = []byte(m)
			f.Add(pkt, privacy)
		}
	}
	f.Add([]byte("MA\x01\x01"), false)
	f.Add([]byte("MA\x01\x02\x00\x00\x00\x00"), true)
	f.Fuzz(func(t *testing.T, pkt []byte, privacy bool) {
		g, err := New(Options{Me: stack.Endpoint{Addr: "127.0.0.1:7001", Inc: 9}, Keys: Keys{Seal: keyA, Accept: []Key{keyB}}, Privacy: privacy})
		if err != nil {
			t.Fatal(err)
		}
		inner, _, err := g.Open(pkt)
		if err != nil {
			return
		}
		want, ok := sealed[string(pkt)]
		if !ok {
			t.Fatalf("accepted a datagram nobody sealed: %x", pkt)
		}
		if !bytes.Equal(inner, want) {
			t.Fatalf("opened to %q, sealed %q", inner, want)
		}
		if _, _, err := g.Open(pkt); err == nil {
			t.Fatal("accepted the same datagram twice")
		}
	})
}

// FuzzOpenControl feeds arbitrary datagrams to the decoder of sealed
// control datagrams: it never panics and accepts nothing but what a
// holder of the key sealed, returning exactly that.
func FuzzOpenControl(f *testing.F) {
	g, _ := New(Options{Me: stack.Endpoint{Addr: "127.0.0.1:7000", Inc: 5}, Keys: Keys{Seal: keyA}})
	sealed := map[string][]byte{}
	for _, m := range []string{"", "MU\x01\x00\x00\x00\x00\x00\x00\x00\x01", "MU\x02\x00\x00\x00\x00\x00\x00\x00\x01127.0.0.1:7000"} {
		pkt := g.SealControl([]byte(m))
		sealed[string(pkt)] = []byte(m)
		f.Add(pkt)
	}
	f.Add(make([]byte, controlOverhead))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		h, err := New(Options{Me: stack.Endpoint{Addr: "127.0.0.1:7001", Inc: 9}, Keys: Keys{Seal: keyA, Accept: []Key{keyB}}})
		if err != nil {
			t.Fatal(err)
		}
		inner, ok := h.OpenControl(pkt)
		if !ok {
			return
		}
		want, known := sealed[string(pkt)]
		if !known {
			t.Fatalf("accepted a control datagram nobody sealed: %x", pkt)
		}
		if !bytes.Equal(inner, want) {
			t.Fatalf("opened to %q, sealed %q", inner, want)
		}
	})
}
