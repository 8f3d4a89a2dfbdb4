package iiop

import (
	"testing"
)

// FuzzCDRDecode drives a Decoder over arbitrary bytes with a program of
// reads chosen by the fuzzer; any input must yield values or an error,
// never a panic.
func FuzzCDRDecode(f *testing.F) {
	e := NewEncoder(Syntax{Order: LittleEndian}, 0)
	e.WriteString("seed")
	e.WriteLong(7)
	e.WriteWString("wide")
	e.WriteEncapsulation(func(in *Encoder) { in.WriteOctets([]byte{1, 2, 3}) })
	f.Add(e.Bytes(), []byte{8, 3, 9, 11}, uint8(1), uint8(0), uint8(2))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, []byte{8, 10, 12, 13}, uint8(0), uint8(3), uint8(1))
	f.Add([]byte{0, 0, 0, 1, 1, 0, 0, 0, 4, 0, 0, 0, 1}, []byte{11, 11, 11}, uint8(0), uint8(0), uint8(2))
	f.Fuzz(func(t *testing.T, data, program []byte, order, offset, minor uint8) {
		syn := Syntax{Order: ByteOrder(order & 1), Version: Version{Major: 1, Minor: minor % 3}, CodeSets: CodeSets{Char: []uint32{CodeSetUTF8, CodeSetISO8859_1}[order>>1&1]}}
		d := NewDecoder(syn, data, int(offset%8))
		if len(program) > 64 {
			program = program[:64]
		}
		decodeProgram(d, program)
		if d.Err() == nil && d.Remaining() < 0 {
			t.Fatal("negative remaining")
		}
	})
}

func decodeProgram(d *Decoder, program []byte) {
	for _, op := range program {
		switch op % 16 {
		case 0:
			d.ReadOctet()
		case 1:
			d.ReadBool()
		case 2:
			d.ReadShort()
		case 3:
			d.ReadLong()
		case 4:
			d.ReadLongLong()
		case 5:
			d.ReadDouble()
		case 6:
			d.ReadLongDouble()
		case 7:
			d.ReadWChar()
		case 8:
			d.ReadString()
		case 9:
			d.ReadWString()
		case 10:
			d.ReadOctets()
		case 11:
			in := d.ReadEncapsulation()
			in.ReadString()
			in.ReadULong()
		case 12:
			ReadSequence(d, 4, (*Decoder).ReadULong)
		case 13:
			ReadArray(d, int(op), 2, (*Decoder).ReadShort)
		case 14:
			d.ReadEnum(uint32(op))
		case 15:
			DecodeSystemException(d)
		}
	}
}

func seedMessages() [][]byte {
	var seeds [][]byte
	key := []byte("MAE:00112233:Grid")
	ior := NewIOR("IDL:Grid:1.0", key, Addr{"127.0.0.1", 2809}, GIOP12)
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		for _, o := range orders {
			syn := Syntax{Order: o, Version: v}
			req, _ := EncodeRequest(syn, &RequestHeader{RequestID: 2, ResponseFlags: ResponseExpected, Operation: "set",
				Target: TargetAddress{ObjectKey: key}, ServiceContexts: []ServiceContext{CodeSetsContext(CodeSets{Char: CodeSetUTF8, WChar: CodeSetUTF16})}}, encodeArgs)
			e := NewReplyEncoder(syn)
			e.WriteLong(123)
			rep, _ := EncodeReply(syn, &ReplyHeader{RequestID: 2}, e.Bytes())
			lreq, _ := EncodeLocateRequest(syn, &LocateRequestHeader{RequestID: 4, Target: TargetAddress{ObjectKey: key}})
			fe := NewEncoder(syn, 20)
			ior.Encode(fe)
			lrep := EncodeLocateReply(syn, &LocateReplyHeader{RequestID: 4, Status: ObjectForward}, fe.Bytes())
			seeds = append(seeds, req, rep, lreq, lrep, EncodeCancelRequest(syn, 2), EncodeCloseConnection(syn), EncodeMessageError(syn))
			if v != GIOP10 {
				seeds = append(seeds, EncodeFragment(syn, 2, []byte("frag"), v == GIOP11))
			}
		}
	}
	for _, ta := range []TargetAddress{{Disposition: ProfileAddr, Profile: ior.Profiles[0]}, {Disposition: ReferenceAddr, IOR: ior}} {
		m, _ := EncodeRequest(Syntax{Version: GIOP12}, &RequestHeader{RequestID: 1, Target: ta, Operation: "get"}, nil)
		seeds = append(seeds, m)
	}
	return seeds
}

// FuzzGIOPMessage parses a header and decodes the message body by type, as
// the server and client readers do, then feeds it to a reassembler.
func FuzzGIOPMessage(f *testing.F) {
	for _, s := range seedMessages() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, err := ParseHeader(msg)
		if err != nil {
			return
		}
		body := msg[HeaderSize:]
		if int(h.Size) < len(body) {
			body = body[:h.Size]
		}
		decodeAny(h, body)
		r := newReassembler(1 << 16)
		if hh, b, done, err := r.add(h, body); err == nil && done {
			decodeAny(hh, b)
		}
	})
}

func decodeAny(h Header, body []byte) {
	switch h.Type {
	case MsgRequest:
		if rh, args, err := DecodeRequest(h, body, CodeSets{}); err == nil {
			rh.Target.Key()
			decodeProgram(args.Decoder(), []byte{2, 2, 3, 8, 9})
		}
	case MsgReply:
		if _, b, err := DecodeReply(h, body, CodeSets{}); err == nil {
			DecodeSystemException(b.Decoder())
			DecodeIOR(b.Decoder())
		}
	case MsgLocateRequest:
		if lr, err := DecodeLocateRequest(h, body); err == nil {
			lr.Target.Key()
		}
	case MsgLocateReply:
		if _, b, err := DecodeLocateReply(h, body); err == nil {
			DecodeIOR(b.Decoder())
		}
	case MsgCancelRequest:
		DecodeCancelRequest(h, body)
	}
	replyRequestID(h, body)
}

// FuzzParseIOR parses stringified references and checks that whatever
// parses re-stringifies to something that parses identically.
func FuzzParseIOR(f *testing.F) {
	f.Add(omniORBIOR)
	f.Add(CompoundIOR("IDL:Grid:1.0", []byte("MAE:01:Grid"), []Addr{{"a", 1}, {"b", 2}}, GIOP12).String())
	f.Add(NewIOR("IDL:Grid:1.0", []byte("k"), Addr{"h", 1}, GIOP10).String())
	f.Add("IOR:00000000000000010000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		ior, err := ParseIOR(s)
		if err != nil {
			return
		}
		ior.Describe()
		if ps, err := ior.IIOPProfiles(); err == nil {
			for _, p := range ps {
				p.Addrs()
				for _, c := range p.Components {
					ParseCodeSetComponent(c.Data)
					ParseFTGroup(c.Data)
				}
			}
		}
		again, err := ParseIOR(ior.String())
		if err != nil || again.String() != ior.String() {
			t.Fatalf("re-parse of %q: %v", ior.String(), err)
		}
	})
}

// FuzzDecodeIOR decodes CDR-encoded IORs and IIOP profile bodies directly
// (as found in LOCATION_FORWARD replies and TargetAddress).
func FuzzDecodeIOR(f *testing.F) {
	e := NewEncoder(Syntax{}, 0)
	CompoundIOR("IDL:Grid:1.0", []byte("k"), []Addr{{"a", 1}, {"b", 2}}, GIOP12).Encode(e)
	f.Add(e.Bytes(), uint8(0))
	f.Add((&IIOPProfile{Version: GIOP11, Addr: Addr{"h", 9}, ObjectKey: []byte("k"), Components: []TaggedComponent{DefaultCodeSets.Component()}}).Encode().Data, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		if mode%2 == 0 {
			d := NewDecoder(Syntax{}, data, 0)
			if ior := DecodeIOR(d); d.Err() == nil {
				ior.Describe()
			}
			return
		}
		if p, err := ParseIIOPProfile(data); err == nil {
			p.Encode()
			p.Addrs()
		}
		ParseAlternateAddress(data)
		ParseFTPrimary(data)
	})
}

func FuzzCorbaloc(f *testing.F) {
	f.Add("corbaloc:iiop:1.2@host:2809/MAE%3A01%3AGrid")
	f.Add("corbaloc::[::1]:99,iiop:h/k")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCorbaloc(s)
		if err != nil {
			return
		}
		again, err := ParseCorbaloc(c.String())
		if err != nil || string(again.Key) != string(c.Key) || len(again.Addrs) != len(c.Addrs) {
			t.Fatalf("round trip of %q via %q: %v", s, c.String(), err)
		}
		c.IOR("IDL:X:1.0").IIOPProfiles()
	})
}
