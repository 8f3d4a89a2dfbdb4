package cdr

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrCodeSet reports a character that the negotiated transmission code set
// cannot carry, or a wide character in GIOP 1.0 (which has no wchar code set
// negotiation). CORBA maps it to DATA_CONVERSION or BAD_PARAM.
var ErrCodeSet = errors.New("iiop: character not representable in the transmission code set")

// WriteString writes a string: a length that counts the terminating NUL, the
// characters in the negotiated char code set, and the NUL. Go strings are
// UTF-8; for ISO-8859-1 each rune above U+00FF records ErrCodeSet.
func (e *Encoder) WriteString(s string) {
	switch e.syntax.charSet() {
	case CodeSetISO8859_1:
		if isASCII(s) {
			e.WriteULong(uint32(len(s) + 1))
			e.buf = append(e.buf, s...)
			break
		}
		b := make([]byte, 0, len(s)+1)
		for _, r := range s {
			if r > 0xFF {
				e.fail(fmt.Errorf("%w: %q in ISO-8859-1", ErrCodeSet, r))
				r = '?'
			}
			b = append(b, byte(r))
		}
		e.WriteULong(uint32(len(b) + 1))
		e.buf = append(e.buf, b...)
	default:
		e.WriteULong(uint32(len(s) + 1))
		e.buf = append(e.buf, s...)
	}
	e.buf = append(e.buf, 0)
}

// ReadString reads a string written by WriteString and converts it to UTF-8.
// The length must be at least 1 and the last octet must be NUL.
func (d *Decoder) ReadString() string {
	b := d.readRawString()
	if b == nil {
		return ""
	}
	if d.syntax.charSet() == CodeSetISO8859_1 && !isASCII(b) {
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs)
	}
	return string(b)
}

// readRawString reads a string's octets without the terminating NUL,
// aliasing the input; nil (with the error recorded) if malformed.
func (d *Decoder) readRawString() []byte {
	n := d.ReadULong()
	if d.err != nil {
		return nil
	}
	if n == 0 {
		d.Fail(errors.New("iiop: string length 0 (must count the terminating NUL)"))
		return nil
	}
	if uint64(n) > uint64(d.Remaining()) {
		d.truncated("string", d.Remaining()+1)
		return nil
	}
	b := d.take(int(n), 1, "string")
	if b == nil {
		return nil
	}
	if b[n-1] != 0 {
		d.Fail(errors.New("iiop: string not NUL-terminated"))
		return nil
	}
	return b[:n-1]
}

// isASCII reports whether s has no byte above 0x7F (so its ISO-8859-1 and
// UTF-8 encodings are the same bytes).
func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (e *Encoder) wideOK() bool {
	if e.syntax.version() == GIOP10 {
		e.fail(fmt.Errorf("%w: wide characters are not allowed in GIOP 1.0", ErrCodeSet))
		return false
	}
	if cs := e.syntax.wcharSet(); cs != CodeSetUTF16 && cs != CodeSetUCS2 {
		e.fail(fmt.Errorf("%w: unsupported wchar code set %#x", ErrCodeSet, cs))
		return false
	}
	return true
}

func (d *Decoder) wideOK() bool {
	if d.err != nil {
		return false
	}
	if d.syntax.version() == GIOP10 {
		d.Fail(fmt.Errorf("%w: wide characters are not allowed in GIOP 1.0", ErrCodeSet))
		return false
	}
	if cs := d.syntax.wcharSet(); cs != CodeSetUTF16 && cs != CodeSetUCS2 {
		d.Fail(fmt.Errorf("%w: unsupported wchar code set %#x", ErrCodeSet, cs))
		return false
	}
	return true
}

func (e *Encoder) appendUnits(units []uint16) {
	bo := e.syntax.Order.binary()
	for _, u := range units {
		e.buf = bo.AppendUint16(e.buf, u)
	}
}

// WriteWString writes a wide string in UTF-16. GIOP 1.2 writes the octet
// count then the code units; a little-endian stream prefixes a byte-order
// mark, because a reader must take BOM-less UTF-16 as big-endian (CORBA 3.0
// §9.3.1.6 — omniORB does so, and writes BOM + little-endian itself). GIOP
// 1.1 writes the count of 2-octet characters including a terminating NUL, in
// the stream's byte order.
func (e *Encoder) WriteWString(s string) {
	if !e.wideOK() {
		return
	}
	units := utf16.Encode([]rune(s))
	if e.syntax.version() == GIOP11 {
		e.WriteULong(uint32(len(units) + 1))
		e.appendUnits(units)
		e.appendUnits([]uint16{0})
		return
	}
	if e.syntax.Order == LittleEndian && len(units) > 0 {
		e.WriteULong(uint32(2*len(units) + 2))
		e.appendUnits([]uint16{0xFEFF})
	} else {
		e.WriteULong(uint32(2 * len(units)))
	}
	e.appendUnits(units)
}

// WriteWChar writes one wide character (a rune in the Basic Multilingual
// Plane; others record ErrCodeSet since a wchar is one UTF-16 unit).
func (e *Encoder) WriteWChar(r rune) {
	if !e.wideOK() {
		return
	}
	if r > 0xFFFF || utf16.IsSurrogate(r) {
		e.fail(fmt.Errorf("%w: wchar %U outside the BMP", ErrCodeSet, r))
		r = '?'
	}
	if e.syntax.version() == GIOP11 {
		e.WriteUShort(uint16(r))
		return
	}
	if e.syntax.Order == LittleEndian {
		e.WriteOctet(4)
		e.appendUnits([]uint16{0xFEFF, uint16(r)})
		return
	}
	e.WriteOctet(2)
	e.appendUnits([]uint16{uint16(r)})
}

// decodeUTF16 converts UTF-16 bytes. In GIOP 1.2 form (allowBOM) a leading
// byte-order mark decides the order and its absence means big-endian; GIOP
// 1.1 wide strings use the stream's byte order.
func (d *Decoder) decodeUTF16(b []byte, allowBOM bool) string {
	bo := d.syntax.Order.binary()
	if allowBOM {
		bo = BigEndian.binary()
	}
	if allowBOM && len(b) >= 2 {
		switch {
		case b[0] == 0xFE && b[1] == 0xFF:
			bo = BigEndian.binary()
			b = b[2:]
		case b[0] == 0xFF && b[1] == 0xFE:
			bo = LittleEndian.binary()
			b = b[2:]
		}
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = bo.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units))
}

// ReadWString reads a wide string written in either GIOP 1.1 or 1.2 form
// (according to the decoder's version) and returns it as UTF-8. Unpaired
// surrogates become U+FFFD.
func (d *Decoder) ReadWString() string {
	if !d.wideOK() {
		return ""
	}
	n := d.ReadULong()
	if d.err != nil {
		return ""
	}
	if d.syntax.version() == GIOP11 {
		if n == 0 {
			d.Fail(errors.New("iiop: GIOP 1.1 wstring length 0 (must count the terminating NUL)"))
			return ""
		}
		if uint64(n)*2 > uint64(d.Remaining()) {
			d.truncated("wstring", d.Remaining()+1)
			return ""
		}
		b := d.take(int(n)*2, 1, "wstring")
		if b[len(b)-1] != 0 || b[len(b)-2] != 0 {
			d.Fail(errors.New("iiop: GIOP 1.1 wstring not NUL-terminated"))
			return ""
		}
		return d.decodeUTF16(b[:len(b)-2], false)
	}
	if n%2 != 0 {
		d.Fail(fmt.Errorf("iiop: UTF-16 wstring with odd octet count %d", n))
		return ""
	}
	if uint64(n) > uint64(d.Remaining()) {
		d.truncated("wstring", d.Remaining()+1)
		return ""
	}
	return d.decodeUTF16(d.take(int(n), 1, "wstring"), true)
}

// ReadWChar reads one wide character.
func (d *Decoder) ReadWChar() rune {
	if !d.wideOK() {
		return 0
	}
	if d.syntax.version() == GIOP11 {
		return rune(d.ReadUShort())
	}
	n := d.ReadOctet()
	if d.err != nil {
		return 0
	}
	if n != 2 && n != 4 {
		d.Fail(fmt.Errorf("iiop: UTF-16 wchar of %d octets", n))
		return 0
	}
	s := d.decodeUTF16(d.take(int(n), 1, "wchar"), true)
	if d.err != nil {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}
