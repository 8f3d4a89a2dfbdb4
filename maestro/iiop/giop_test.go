package iiop

import (
	"bytes"
	"errors"
	"testing"
)

// orders are both byte orders, for tests that try each.
var orders = []ByteOrder{BigEndian, LittleEndian}

func TestHeaderRoundTrip(t *testing.T) {
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		for _, o := range orders {
			h := Header{Version: v, Order: o, Type: MsgLocateReply, Size: 0x01020304, MoreFragments: v != GIOP10}
			b := h.Marshal()
			got, err := ParseHeader(b[:])
			if err != nil || got != h {
				t.Fatalf("%+v -> %+v, %v", h, got, err)
			}
		}
	}
	bad := map[string][]byte{
		"magic":        []byte("GIOQ\x01\x02\x00\x00\x00\x00\x00\x00"),
		"version 2.0":  []byte("GIOP\x02\x00\x00\x00\x00\x00\x00\x00"),
		"version 1.3":  []byte("GIOP\x01\x03\x00\x00\x00\x00\x00\x00"),
		"type 8":       []byte("GIOP\x01\x02\x00\x08\x00\x00\x00\x00"),
		"1.0 fragment": []byte("GIOP\x01\x00\x00\x07\x00\x00\x00\x00"),
		"1.0 flags 2":  []byte("GIOP\x01\x00\x02\x00\x00\x00\x00\x00"),
		"short":        []byte("GIOP\x01\x02"),
	}
	for name, b := range bad {
		if _, err := ParseHeader(b); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func encodeArgs(e *Encoder) {
	e.WriteShort(2)
	e.WriteShort(4)
	e.WriteLong(123)
}

func TestRequestRoundTrip(t *testing.T) {
	key := []byte("MAE:00112233:Grid")
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		for _, o := range orders {
			for _, withArgs := range []bool{true, false} {
				syn := Syntax{Order: o, Version: v, CodeSets: CodeSets{Char: CodeSetUTF8, WChar: CodeSetUTF16}}
				rh := &RequestHeader{RequestID: 7, ResponseFlags: ResponseExpected, Operation: "set",
					Target:          TargetAddress{ObjectKey: key},
					ServiceContexts: []ServiceContext{{ID: 0x4f4d0099, Data: []byte{1, 2, 3}}, CodeSetsContext(syn.CodeSets)}}
				var args func(*Encoder)
				if withArgs {
					args = encodeArgs
				}
				msg, err := EncodeRequest(syn, rh, args)
				if err != nil {
					t.Fatal(err)
				}
				h, err := ParseHeader(msg)
				if err != nil || h.Type != MsgRequest || int(h.Size) != len(msg)-HeaderSize {
					t.Fatalf("header %+v %v", h, err)
				}
				got, body, err := DecodeRequest(h, msg[HeaderSize:], CodeSets{})
				if err != nil {
					t.Fatal(err)
				}
				if got.RequestID != 7 || !got.ResponseExpected() || got.Operation != "set" || !bytes.Equal(got.Target.ObjectKey, key) || len(got.ServiceContexts) != 2 {
					t.Fatalf("%v %v: %+v", v, o, got)
				}
				if body.Syntax.CodeSets.Char != CodeSetUTF8 {
					t.Errorf("code sets context not honoured: %+v", body.Syntax.CodeSets)
				}
				if !withArgs {
					if len(body.Data) != 0 {
						t.Fatalf("%v: %d bytes of body without arguments", v, len(body.Data))
					}
					continue
				}
				if v == GIOP12 && body.Offset%8 != 0 {
					t.Errorf("GIOP 1.2 body at offset %d", body.Offset)
				}
				d := body.Decoder()
				if d.ReadShort() != 2 || d.ReadShort() != 4 || d.ReadLong() != 123 || d.Err() != nil {
					t.Fatalf("%v %v args: %v", v, o, d.Err())
				}
			}
		}
	}
	if _, err := EncodeRequest(Syntax{Version: GIOP11}, &RequestHeader{Target: TargetAddress{Disposition: ProfileAddr}}, nil); err == nil {
		t.Fatal("GIOP 1.1 request by profile accepted")
	}
}

// TestRequest12Golden decodes a GIOP 1.2 request laid out as docs/omniorb.md
// describes omniORB's (little-endian, garbage padding before the args).
func TestRequest12Golden(t *testing.T) {
	body := []byte{
		2, 0, 0, 0, // request id 2
		3, 'x', 'x', 'x', // response flags + 3 reserved (garbage)
		0, 0, 'p', 'p', // KeyAddr + 2 bytes pad (garbage)
		3, 0, 0, 0, 'k', 'e', 'y', 'p', // key "key" + pad
		4, 0, 0, 0, 'g', 'e', 't', 0, // operation "get"
		0, 0, 0, 0, // no service contexts -> offset 12+32=44
		'g', 'a', 'r', 'b', // pad to 48
		2, 0, 4, 0, // args
	}
	h := Header{Version: GIOP12, Order: LittleEndian, Type: MsgRequest, Size: uint32(len(body))}
	rh, args, err := DecodeRequest(h, body, CodeSets{})
	if err != nil {
		t.Fatal(err)
	}
	if rh.RequestID != 2 || string(rh.Target.ObjectKey) != "key" || rh.Operation != "get" {
		t.Fatalf("%+v", rh)
	}
	d := args.Decoder()
	if d.ReadShort() != 2 || d.ReadShort() != 4 || d.Err() != nil {
		t.Fatalf("args: %v", d.Err())
	}
}

func TestTargetAddressForms(t *testing.T) {
	key := []byte("k1")
	prof := (&IIOPProfile{Version: GIOP12, Addr: Addr{"h", 1}, ObjectKey: key}).Encode()
	ior := &IOR{TypeID: "IDL:X:1.0", Profiles: []TaggedProfile{prof}}
	for _, ta := range []TargetAddress{
		{Disposition: KeyAddr, ObjectKey: key},
		{Disposition: ProfileAddr, Profile: prof},
		{Disposition: ReferenceAddr, IOR: ior, ProfileIndex: 0},
	} {
		msg, err := EncodeRequest(Syntax{Version: GIOP12}, &RequestHeader{RequestID: 1, Target: ta, Operation: "op"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := ParseHeader(msg)
		rh, _, err := DecodeRequest(h, msg[HeaderSize:], CodeSets{})
		if err != nil {
			t.Fatal(err)
		}
		k, err := rh.Target.Key()
		if err != nil || !bytes.Equal(k, key) {
			t.Fatalf("disposition %d: key %q %v", ta.Disposition, k, err)
		}
	}
	bad := TargetAddress{Disposition: ReferenceAddr, IOR: ior, ProfileIndex: 5}
	if _, err := bad.Key(); err == nil {
		t.Fatal("profile index out of range accepted")
	}
}

func TestReplyRoundTrip(t *testing.T) {
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		for _, o := range orders {
			syn := Syntax{Order: o, Version: v}
			e := NewReplyEncoder(syn)
			e.WriteLongLong(-9) // 8-aligned value: misplacement would show
			e.WriteString("ok")
			msg, err := EncodeReply(syn, &ReplyHeader{RequestID: 5, Status: NoException}, e.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			h, _ := ParseHeader(msg)
			if int(h.Size) != len(msg)-HeaderSize {
				t.Fatal("size field")
			}
			rh, body, err := DecodeReply(h, msg[HeaderSize:], CodeSets{})
			if err != nil || rh.RequestID != 5 || rh.Status != NoException {
				t.Fatalf("%+v %v", rh, err)
			}
			if body.Offset != 24 {
				t.Errorf("%v: reply body at %d, want 24", v, body.Offset)
			}
			d := body.Decoder()
			if d.ReadLongLong() != -9 || d.ReadString() != "ok" || d.Err() != nil {
				t.Fatalf("%v %v body: %v", v, o, d.Err())
			}
			// An empty body adds no padding.
			msg, _ = EncodeReply(syn, &ReplyHeader{RequestID: 6}, nil)
			if len(msg) != 24 {
				t.Errorf("%v: empty reply of %d bytes", v, len(msg))
			}
		}
	}
	// 1.0/1.1 service contexts that would misalign the body are refused.
	_, err := EncodeReply(Syntax{Version: GIOP11}, &ReplyHeader{ServiceContexts: []ServiceContext{{ID: 1, Data: []byte{1}}}}, []byte{1})
	if err == nil {
		t.Fatal("misaligned 1.1 reply accepted")
	}
}

func TestLocateMessages(t *testing.T) {
	key := []byte("obj")
	fwd := NewIOR("IDL:Grid:1.0", key, Addr{"127.0.0.1", 2809}, GIOP12)
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		syn := Syntax{Order: LittleEndian, Version: v}
		msg, err := EncodeLocateRequest(syn, &LocateRequestHeader{RequestID: 9, Target: TargetAddress{ObjectKey: key}})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := ParseHeader(msg)
		lr, err := DecodeLocateRequest(h, msg[HeaderSize:])
		if err != nil || lr.RequestID != 9 || !bytes.Equal(lr.Target.ObjectKey, key) {
			t.Fatalf("%v: %+v %v", v, lr, err)
		}
		e := NewEncoder(syn, 20)
		fwd.Encode(e)
		msg = EncodeLocateReply(syn, &LocateReplyHeader{RequestID: 9, Status: ObjectForward}, e.Bytes())
		if v == GIOP12 && len(msg) != 20+e.Len() {
			t.Fatalf("locate reply padded: %d bytes", len(msg))
		}
		h, _ = ParseHeader(msg)
		rep, body, err := DecodeLocateReply(h, msg[HeaderSize:])
		if err != nil || rep.Status != ObjectForward {
			t.Fatalf("%+v %v", rep, err)
		}
		d := body.Decoder()
		got := DecodeIOR(d)
		if d.Err() != nil || got.String() != fwd.String() {
			t.Fatalf("forward IOR: %v", d.Err())
		}
	}
}

func TestControlMessages(t *testing.T) {
	msg := EncodeCancelRequest(Syntax{Version: GIOP11, Order: LittleEndian}, 44)
	h, _ := ParseHeader(msg)
	if id, err := DecodeCancelRequest(h, msg[HeaderSize:]); err != nil || id != 44 {
		t.Fatalf("cancel %d %v", id, err)
	}
	for _, m := range [][]byte{EncodeCloseConnection(Syntax{Version: GIOP12}), EncodeMessageError(Syntax{Version: GIOP10})} {
		h, err := ParseHeader(m)
		if err != nil || h.Size != 0 || len(m) != HeaderSize {
			t.Fatalf("%+v %v", h, err)
		}
	}
}

// fragment splits a complete message into a first part and Fragment
// messages of the given sizes, as omniORB does for large requests.
func fragment(t *testing.T, msg []byte, sizes ...int) [][]byte {
	t.Helper()
	h, err := ParseHeader(msg)
	if err != nil {
		t.Fatal(err)
	}
	body := msg[HeaderSize:]
	var id uint32
	if h.Version == GIOP12 {
		id = h.Order.Uint32(body)
	}
	first := sizes[0]
	fh := h
	fh.MoreFragments = true
	fh.Size = uint32(first)
	hb := fh.Marshal()
	out := [][]byte{append(hb[:], body[:first]...)}
	rest := body[first:]
	for i, n := range sizes[1:] {
		last := i == len(sizes)-2
		if last {
			n = len(rest)
		}
		syn := Syntax{Order: h.Order, Version: h.Version}
		out = append(out, EncodeFragment(syn, id, rest[:n], !last))
		rest = rest[n:]
	}
	return out
}

func feed(r *reassembler, msgs [][]byte) (Header, []byte, bool, error) {
	var (
		h    Header
		body []byte
		done bool
		err  error
	)
	for _, m := range msgs {
		hh, herr := ParseHeader(m)
		if herr != nil {
			return h, nil, false, herr
		}
		h, body, done, err = r.add(hh, m[HeaderSize:])
		if err != nil {
			return h, nil, false, err
		}
	}
	return h, body, done, err
}

func TestReassembly(t *testing.T) {
	big := make([]byte, 50000)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	for _, v := range []Version{GIOP11, GIOP12} {
		syn := Syntax{Order: LittleEndian, Version: v}
		msg, err := EncodeRequest(syn, &RequestHeader{RequestID: 3, ResponseFlags: ResponseExpected, Operation: "echo", Target: TargetAddress{ObjectKey: []byte("k")}},
			func(e *Encoder) { e.WriteString(string(big)) })
		if err != nil {
			t.Fatal(err)
		}
		parts := fragment(t, msg, 8192, 8000, 16, 20000, 0)
		r := newReassembler(1 << 20)
		h, body, done, err := feed(r, parts)
		if err != nil || !done {
			t.Fatalf("%v: done %v err %v", v, done, err)
		}
		if !bytes.Equal(body, msg[HeaderSize:]) || int(h.Size) != len(body) || h.MoreFragments {
			t.Fatalf("%v: reassembled message differs", v)
		}
		_, args, err := DecodeRequest(h, body, CodeSets{})
		if err != nil || args.Decoder().ReadString() != string(big) {
			t.Fatalf("%v: decode after reassembly: %v", v, err)
		}
		// Too large.
		r = newReassembler(30000)
		if _, _, _, err := feed(r, parts); !errors.Is(err, ErrMessageTooLarge) {
			t.Fatalf("%v: want ErrMessageTooLarge, got %v", v, err)
		}
	}
	// GIOP 1.2 fragments of two requests interleave.
	syn := Syntax{Version: GIOP12}
	m1, _ := EncodeRequest(syn, &RequestHeader{RequestID: 1, Operation: "a", Target: TargetAddress{ObjectKey: []byte("k")}}, func(e *Encoder) { e.WriteOctets(big[:9000]) })
	m2, _ := EncodeRequest(syn, &RequestHeader{RequestID: 2, Operation: "b", Target: TargetAddress{ObjectKey: []byte("k")}}, func(e *Encoder) { e.WriteOctets(big[:7000]) })
	p1, p2 := fragment(t, m1, 4096, 0), fragment(t, m2, 4096, 0)
	r := newReassembler(1 << 20)
	for _, step := range []struct {
		m    []byte
		done bool
		want []byte
	}{{p1[0], false, nil}, {p2[0], false, nil}, {p1[1], true, m1}, {p2[1], true, m2}} {
		h, _ := ParseHeader(step.m)
		_, body, done, err := r.add(h, step.m[HeaderSize:])
		if err != nil || done != step.done || (done && !bytes.Equal(body, step.want[HeaderSize:])) {
			t.Fatalf("interleaved: done %v err %v", done, err)
		}
	}
	// Protocol errors.
	r = newReassembler(1 << 20)
	orphan := EncodeFragment(Syntax{Version: GIOP12}, 77, []byte{1}, false)
	if _, _, _, err := feed(r, [][]byte{orphan}); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("orphan fragment: %v", err)
	}
	r = newReassembler(1 << 20)
	p := fragment(t, m1, 4096, 0)
	if _, _, _, err := feed(r, [][]byte{p[0], p[0]}); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("duplicate first part: %v", err)
	}
}
