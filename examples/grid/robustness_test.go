package main

import (
	"encoding/binary"
	"io"
	"math/rand"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// hostileMessages returns random, truncated, corrupted and oversized GIOP
// messages derived from valid requests to the grid.
func hostileMessages(rng *rand.Rand, key []byte) [][]byte {
	var valid [][]byte
	for _, v := range []iiop.Version{iiop.GIOP10, iiop.GIOP11, iiop.GIOP12} {
		for _, o := range []iiop.ByteOrder{iiop.BigEndian, iiop.LittleEndian} {
			syn := iiop.Syntax{Order: o, Version: v}
			m, _ := iiop.EncodeRequest(syn, &iiop.RequestHeader{RequestID: 9, ResponseFlags: iiop.ResponseExpected, Operation: "set",
				Target: iiop.TargetAddress{ObjectKey: key}}, func(e *iiop.Encoder) { e.WriteShort(1); e.WriteShort(1); e.WriteLong(5) })
			valid = append(valid, m)
			l, _ := iiop.EncodeLocateRequest(syn, &iiop.LocateRequestHeader{RequestID: 3, Target: iiop.TargetAddress{ObjectKey: key}})
			valid = append(valid, l)
		}
	}
	var out [][]byte
	for i := 0; i < 150; i++ {
		m := append([]byte(nil), valid[rng.Intn(len(valid))]...)
		switch i % 6 {
		case 0: // pure noise
			m = make([]byte, rng.Intn(200))
			rng.Read(m)
		case 1: // truncated: the size field promises more than is sent
			m = m[:HeaderPlus(rng, len(m))]
		case 2: // flipped bytes in the body
			for j := 0; j < 4; j++ {
				p := 12 + rng.Intn(len(m)-12)
				m[p] ^= byte(1 + rng.Intn(255))
			}
		case 3: // oversized size field
			binary.BigEndian.PutUint32(m[8:], 0x7fffffff)
			m[6] &^= 1
		case 4: // wrong arguments for set (too short), body size kept consistent
			m = m[:len(m)-4]
			sz := uint32(len(m) - 12)
			if m[6]&1 == 1 {
				binary.LittleEndian.PutUint32(m[8:], sz)
			} else {
				binary.BigEndian.PutUint32(m[8:], sz)
			}
		case 5: // bad message type / version
			m[7] = byte(8 + rng.Intn(200))
			if rng.Intn(2) == 0 {
				m[5] = 9
			}
		}
		out = append(out, m)
	}
	return out
}

// HeaderPlus picks a truncation point inside the message body.
func HeaderPlus(rng *rand.Rand, n int) int { return 12 + rng.Intn(n-12) }

// TestHostileTrafficThenWellBehavedClient throws random, truncated,
// corrupted and oversized GIOP messages at the Go Grid server from many
// connections at once, then shows the omniORB client still gets correct
// answers and the server is still serving.
func TestHostileTrafficThenWellBehavedClient(t *testing.T) {
	b := omniBinaries(t)
	etc := t.TempDir()
	ref := startGrid(t, iiop.GIOP12, etc)
	ps, _ := ref.IIOPProfiles()
	addr := ps[0].Addr.String()
	rng := rand.New(rand.NewSource(1))
	msgs := hostileMessages(rng, ps[0].ObjectKey)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, m := range msgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer nc.Close()
			nc.Write(m)
			nc.(*net.TCPConn).CloseWrite()
			nc.SetReadDeadline(time.Now().Add(20 * time.Second))
			io.Copy(io.Discard, nc) // until the server closes or answers and we close
		}()
	}
	wg.Wait()
	ctx := testCtx(t, 2*time.Minute)
	out, err := b.RunClient(ctx, "full", filepath.Join(etc, "Grid.ior"), badKeyIOR(t, ref, iiop.GIOP12), "2", "4")
	requirePasses(t, out, err, 9)
	// Our own client agrees.
	c := iiop.NewClient(iiop.ClientOptions{})
	defer c.Close()
	if _, err := c.Invoke(ctx, ref, "set", func(e *iiop.Encoder) { e.WriteShort(9); e.WriteShort(7); e.WriteLong(77) }); err != nil {
		t.Fatalf("Go client set after hostile traffic: %v", err)
	}
	rep, err := c.Invoke(ctx, ref, "get", func(e *iiop.Encoder) { e.WriteShort(9); e.WriteShort(7) })
	if err != nil || rep.Body.Decoder().ReadLong() != 77 {
		t.Fatalf("Go client get after hostile traffic: %v", err)
	}
}
