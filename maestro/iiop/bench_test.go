package iiop

import (
	"context"
	"strings"
	"testing"
)

func BenchmarkEncodeDecodeRequest(b *testing.B) {
	syn := Syntax{Order: LittleEndian, Version: GIOP12, CodeSets: CodeSets{Char: CodeSetUTF8, WChar: CodeSetUTF16}}
	arg := strings.Repeat("v", 64)
	rh := &RequestHeader{RequestID: 2, ResponseFlags: ResponseExpected, Operation: "_set_value", Target: TargetAddress{ObjectKey: []byte("MAE:0011223344556677:PerformanceTest")}}
	b.ReportAllocs()
	for b.Loop() {
		msg, _ := EncodeRequest(syn, rh, func(e *Encoder) { e.WriteString(arg) })
		h, _ := ParseHeader(msg)
		_, body, err := DecodeRequest(h, msg[HeaderSize:], syn.CodeSets)
		if err != nil || body.Decoder().ReadString() != arg {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip measures a synchronous call from the Go client to the
// Go server over loopback.
func BenchmarkRoundTrip(b *testing.B) {
	h := newEchoHandler()
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0"}, h)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h.s = s
	c := NewClient(ClientOptions{})
	defer c.Close()
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), s.IIOPAddr(), GIOP12)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Invoke(ctx, ior, "add", func(e *Encoder) { e.WriteLong(1); e.WriteLong(2) }); err != nil {
			b.Fatal(err)
		}
	}
}
