package auth

import (
	"fmt"
	"testing"

	"github.com/maestro-go/maestro/stack"
)

// BenchmarkSealOpen is the guard's cost per datagram: one Seal and one
// Open, by size and mode.
func BenchmarkSealOpen(b *testing.B) {
	for _, privacy := range []bool{false, true} {
		for _, size := range []int{16, 1024, 8192} {
			name := "Auth"
			if privacy {
				name = "Privacy"
			}
			b.Run(fmt.Sprintf("%s/%dB", name, size), func(b *testing.B) {
				a, _ := New(Options{Me: stack.Endpoint{Addr: "127.0.0.1:7000", Inc: 1}, Keys: Keys{Seal: keyA}, Privacy: privacy})
				r, _ := New(Options{Me: stack.Endpoint{Addr: "127.0.0.1:7001", Inc: 2}, Keys: Keys{Seal: keyA}, Privacy: privacy})
				pkt := make([]byte, size)
				b.SetBytes(int64(size))
				for i := 0; i < b.N; i++ {
					if _, _, err := r.Open(a.Seal(pkt, "")); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
