package cdr

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

var orders = []ByteOrder{BigEndian, LittleEndian}

// TestBasicTypesRoundTrip writes every IDL basic type at every starting
// offset modulo 8, in both byte orders, and reads them back.
func TestBasicTypesRoundTrip(t *testing.T) {
	ld := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, o := range orders {
		for off := 0; off < 8; off++ {
			s := Syntax{Order: o, Version: GIOP12}
			e := NewEncoder(s, off)
			e.WriteOctet(0xab)
			e.WriteBool(true)
			e.WriteChar('z')
			e.WriteShort(-2)
			e.WriteUShort(0xfedc)
			e.WriteLong(-70000)
			e.WriteULong(0xdeadbeef)
			e.WriteLongLong(math.MinInt64 + 5)
			e.WriteULongLong(math.MaxUint64 - 5)
			e.WriteFloat(3.5)
			e.WriteDouble(-1e300)
			e.WriteLongDouble(ld)
			e.WriteWChar('Ω')
			e.WriteEnum(2)
			if e.Err() != nil {
				t.Fatal(e.Err())
			}
			d := NewDecoder(s, e.Bytes(), off)
			if v := d.ReadOctet(); v != 0xab {
				t.Errorf("octet %x", v)
			}
			if !d.ReadBool() || d.ReadChar() != 'z' || d.ReadShort() != -2 || d.ReadUShort() != 0xfedc {
				t.Errorf("order %v off %d: bool/char/short mismatch", o, off)
			}
			if d.ReadLong() != -70000 || d.ReadULong() != 0xdeadbeef {
				t.Errorf("long mismatch")
			}
			if d.ReadLongLong() != math.MinInt64+5 || d.ReadULongLong() != math.MaxUint64-5 {
				t.Errorf("long long mismatch")
			}
			if d.ReadFloat() != 3.5 || d.ReadDouble() != -1e300 || d.ReadLongDouble() != ld {
				t.Errorf("float mismatch")
			}
			if d.ReadWChar() != 'Ω' || d.ReadEnum(3) != 2 {
				t.Errorf("wchar/enum mismatch")
			}
			if d.Err() != nil || d.Remaining() != 0 {
				t.Fatalf("order %v off %d: err %v, %d left", o, off, d.Err(), d.Remaining())
			}
		}
	}
}

// TestAlignmentGolden checks exact bytes against hand-computed CDR.
func TestAlignmentGolden(t *testing.T) {
	e := NewEncoder(Syntax{Order: BigEndian}, 0)
	e.WriteOctet(1)
	e.WriteShort(2)     // pad 1
	e.WriteLong(3)      // offset 4
	e.WriteOctet(4)     // offset 8
	e.WriteLongLong(5)  // pad 7 -> offset 16
	e.WriteString("hi") // offset 24: len 3, "hi\0"
	want := []byte{1, 0, 0, 2, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 'h', 'i', 0}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got  % x\nwant % x", e.Bytes(), want)
	}
	le := NewEncoder(Syntax{Order: LittleEndian}, 12) // a GIOP body after the header
	le.WriteOctet(9)
	le.WriteULong(0x01020304)
	if want := []byte{9, 0, 0, 0, 4, 3, 2, 1}; !bytes.Equal(le.Bytes(), want) {
		t.Fatalf("little-endian at offset 12: % x", le.Bytes())
	}
}

// TestPaddingIsNotChecked shows garbage in padding is skipped (omniORB and
// Combat leave stale bytes there).
func TestPaddingIsNotChecked(t *testing.T) {
	data := []byte{7, 'f', 'o', 'o', 0, 0, 0, 42}
	d := NewDecoder(Syntax{Order: BigEndian}, data, 0)
	if d.ReadOctet() != 7 || d.ReadULong() != 42 || d.Err() != nil {
		t.Fatalf("err %v", d.Err())
	}
}

func TestStringsAndCodeSets(t *testing.T) {
	for _, o := range orders {
		utf8 := Syntax{Order: o, CodeSets: CodeSets{Char: CodeSetUTF8}}
		e := NewEncoder(utf8, 0)
		e.WriteString("grüße Ω 日本")
		e.WriteString("")
		d := NewDecoder(utf8, e.Bytes(), 0)
		if s := d.ReadString(); s != "grüße Ω 日本" {
			t.Errorf("utf-8 string %q", s)
		}
		if s := d.ReadString(); s != "" || d.Err() != nil {
			t.Errorf("empty string %q %v", s, d.Err())
		}
		latin := Syntax{Order: o, Version: GIOP10, CodeSets: CodeSets{Char: CodeSetISO8859_1}}
		e = NewEncoder(latin, 0)
		e.WriteString("café")
		if want := []byte("caf\xe9\x00"); !bytes.Equal(e.Bytes()[4:], want) {
			t.Errorf("latin-1 bytes % x", e.Bytes())
		}
		if s := NewDecoder(latin, e.Bytes(), 0).ReadString(); s != "café" {
			t.Errorf("latin-1 string %q", s)
		}
		e = NewEncoder(latin, 0)
		e.WriteString("日本")
		if !errors.Is(e.Err(), ErrCodeSet) {
			t.Errorf("latin-1 accepted CJK: %v", e.Err())
		}
	}
}

func TestWideStrings(t *testing.T) {
	const s = "grüße Ω 日本 😀"
	for _, o := range orders {
		for _, v := range []Version{GIOP11, GIOP12} {
			syn := Syntax{Order: o, Version: v}
			e := NewEncoder(syn, 3)
			e.WriteWString(s)
			e.WriteWString("")
			e.WriteWChar('€')
			d := NewDecoder(syn, e.Bytes(), 3)
			if got := d.ReadWString(); got != s {
				t.Errorf("%v %v: wstring %q", o, v, got)
			}
			if got := d.ReadWString(); got != "" {
				t.Errorf("empty wstring %q", got)
			}
			if got := d.ReadWChar(); got != '€' || d.Err() != nil {
				t.Errorf("%v %v: wchar %q %v", o, v, got, d.Err())
			}
		}
	}
	// GIOP 1.2 without a byte-order mark is big-endian whatever the stream
	// order; with one, the mark decides.
	le := Syntax{Order: LittleEndian, Version: GIOP12}
	noBOM := []byte{4, 0, 0, 0, 0x00, 'h', 0x00, 'i'}
	if got := NewDecoder(le, noBOM, 0).ReadWString(); got != "hi" {
		t.Errorf("BOM-less wstring %q", got)
	}
	bom := []byte{6, 0, 0, 0, 0xff, 0xfe, 'h', 0, 'i', 0}
	if got := NewDecoder(le, bom, 0).ReadWString(); got != "hi" {
		t.Errorf("little-endian BOM wstring %q", got)
	}
	// GIOP 1.0 has no wide characters.
	e := NewEncoder(Syntax{Version: GIOP10}, 0)
	e.WriteWString("x")
	if !errors.Is(e.Err(), ErrCodeSet) {
		t.Errorf("GIOP 1.0 wstring: %v", e.Err())
	}
}

// A struct, union, enum, sequence, array and exception written and read
// with the primitives, as generated or hand-written marshalling code does.
type point struct {
	X, Y int16
	Tag  string
}

func writePoint(e *Encoder, p point) { e.WriteShort(p.X); e.WriteShort(p.Y); e.WriteString(p.Tag) }
func readPoint(d *Decoder) point {
	return point{X: d.ReadShort(), Y: d.ReadShort(), Tag: d.ReadString()}
}

func TestConstructedTypes(t *testing.T) {
	pts := []point{{1, 2, "a"}, {-3, 4, "bb"}, {5, -6, ""}}
	for _, o := range orders {
		syn := Syntax{Order: o}
		e := NewEncoder(syn, 0)
		WriteSequence(e, pts, writePoint)
		WriteArray(e, []int32{7, 8, 9}, (*Encoder).WriteLong)
		// union switch(long) { case 1: double d; default: string s; }
		e.WriteLong(1)
		e.WriteDouble(2.5)
		e.WriteLong(9)
		e.WriteString("other")
		// user exception OutOfRange { short n; short m; }
		e.WriteString("IDL:OutOfRange:1.0")
		e.WriteShort(20)
		e.WriteShort(30)
		// nested encapsulation holding a little-endian-independent sequence<octet>
		e.WriteEncapsulation(func(in *Encoder) {
			in.WriteULongLong(77)
			in.WriteOctets([]byte("xyz"))
		})
		// a system exception body: repository id, minor, completion status
		e.WriteString("IDL:omg.org/CORBA/BAD_PARAM:1.0")
		e.WriteULong(5)
		e.WriteULong(2)

		d := NewDecoder(syn, e.Bytes(), 0)
		got := ReadSequence(d, 10, readPoint)
		if len(got) != 3 || got[1] != pts[1] {
			t.Fatalf("sequence %v", got)
		}
		arr := ReadArray(d, 3, 4, (*Decoder).ReadLong)
		if len(arr) != 3 || arr[2] != 9 {
			t.Fatalf("array %v", arr)
		}
		for i := 0; i < 2; i++ {
			switch d.ReadLong() {
			case 1:
				if d.ReadDouble() != 2.5 {
					t.Fatal("union double arm")
				}
			default:
				if d.ReadString() != "other" {
					t.Fatal("union default arm")
				}
			}
		}
		if d.ReadString() != "IDL:OutOfRange:1.0" || d.ReadShort() != 20 || d.ReadShort() != 30 {
			t.Fatal("user exception")
		}
		in := d.ReadEncapsulation()
		if in.ReadULongLong() != 77 || string(in.ReadOctets()) != "xyz" || in.Err() != nil {
			t.Fatalf("encapsulation: %v", in.Err())
		}
		if id, minor, completed := d.ReadString(), d.ReadULong(), d.ReadEnum(3); d.Err() != nil || id != "IDL:omg.org/CORBA/BAD_PARAM:1.0" || minor != 5 || completed != 2 {
			t.Fatalf("system exception: %v", d.Err())
		}
		if d.Err() != nil || d.Remaining() != 0 {
			t.Fatalf("err %v left %d", d.Err(), d.Remaining())
		}
	}
}

// TestHostileInput shows that every kind of bad input is an error, never a
// panic or a huge allocation.
func TestHostileInput(t *testing.T) {
	be := Syntax{Order: BigEndian}
	cases := map[string]struct {
		data []byte
		read func(*Decoder)
	}{
		"truncated long":       {[]byte{1, 2}, func(d *Decoder) { d.ReadLong() }},
		"truncated longlong":   {[]byte{1, 2, 3, 4, 5, 6, 7}, func(d *Decoder) { d.ReadULongLong() }},
		"huge string length":   {[]byte{0xff, 0xff, 0xff, 0xff, 'a'}, func(d *Decoder) { d.ReadString() }},
		"zero string length":   {[]byte{0, 0, 0, 0}, func(d *Decoder) { d.ReadString() }},
		"unterminated string":  {[]byte{0, 0, 0, 2, 'a', 'b'}, func(d *Decoder) { d.ReadString() }},
		"huge octet sequence":  {[]byte{0x7f, 0xff, 0xff, 0xff}, func(d *Decoder) { d.ReadOctets() }},
		"huge sequence count":  {[]byte{0x10, 0, 0, 0, 1, 2, 3, 4}, func(d *Decoder) { ReadSequence(d, 4, (*Decoder).ReadLong) }},
		"bad boolean":          {[]byte{2}, func(d *Decoder) { d.ReadBool() }},
		"enum out of range":    {[]byte{0, 0, 0, 5}, func(d *Decoder) { d.ReadEnum(3) }},
		"odd wstring":          {[]byte{0, 0, 0, 3, 0, 'a', 0}, func(d *Decoder) { d.ReadWString() }},
		"bad encapsulation bo": {[]byte{0, 0, 0, 1, 7}, func(d *Decoder) { d.Fail(d.ReadEncapsulation().Err()) }},
		"empty encapsulation":  {[]byte{0, 0, 0, 0}, func(d *Decoder) { d.Fail(d.ReadEncapsulation().Err()) }},
		"array beyond input":   {[]byte{1, 2, 3, 4}, func(d *Decoder) { ReadArray(d, 1000, 4, (*Decoder).ReadLong) }},
	}
	for name, c := range cases {
		d := NewDecoder(be, c.data, 0)
		c.read(d)
		if d.Err() == nil {
			t.Errorf("%s: no error", name)
		}
		// The error is sticky: later reads return zero values.
		if d.ReadOctet() != 0 || d.Err() == nil {
			t.Errorf("%s: error not sticky", name)
		}
	}
}

// TestNestingLimit builds encapsulations nested deeper than MaxDepth.
func TestNestingLimit(t *testing.T) {
	var build func(e *Encoder, n int)
	build = func(e *Encoder, n int) {
		if n == 0 {
			e.WriteLong(1)
			return
		}
		e.WriteEncapsulation(func(in *Encoder) { build(in, n-1) })
	}
	e := NewEncoder(Syntax{}, 0)
	build(e, DefaultMaxDepth+5)
	d := NewDecoder(Syntax{}, e.Bytes(), 0)
	for i := 0; i < DefaultMaxDepth+5 && d.Err() == nil; i++ {
		d = d.ReadEncapsulation()
	}
	if !errors.Is(d.Err(), ErrTooDeep) {
		t.Fatalf("want ErrTooDeep, got %v", d.Err())
	}
	// Enter/Leave guard recursive user types the same way.
	d = NewDecoder(Syntax{}, nil, 0)
	d.MaxDepth = 3
	for i := 0; i < 3; i++ {
		if !d.Enter() {
			t.Fatal("Enter failed early")
		}
	}
	if d.Enter() || !errors.Is(d.Err(), ErrTooDeep) {
		t.Fatal("fourth Enter succeeded")
	}
}
