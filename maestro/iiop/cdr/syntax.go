package cdr

import (
	"encoding/binary"
	"fmt"
)

// ByteOrder is the CDR byte order. Its numeric value is the GIOP flag bit:
// 0 for big-endian, 1 for little-endian.
type ByteOrder uint8

const (
	// BigEndian is CDR's default byte order (flag bit 0).
	BigEndian ByteOrder = 0
	// LittleEndian is the order omniORB uses for its requests on x86 (flag bit 1).
	LittleEndian ByteOrder = 1
)

// byteOrder is what the codecs need from encoding/binary.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func (o ByteOrder) binary() byteOrder {
	if o == LittleEndian {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// The fixed-size accessors below branch on the order instead of calling
// through the byteOrder interface: the hot codec paths avoid an indirect
// call, and buffers passed to them do not escape.

func (o ByteOrder) uint16(b []byte) uint16 {
	if o == LittleEndian {
		return binary.LittleEndian.Uint16(b)
	}
	return binary.BigEndian.Uint16(b)
}

func (o ByteOrder) uint32(b []byte) uint32 {
	if o == LittleEndian {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

func (o ByteOrder) uint64(b []byte) uint64 {
	if o == LittleEndian {
		return binary.LittleEndian.Uint64(b)
	}
	return binary.BigEndian.Uint64(b)
}

func (o ByteOrder) putUint32(b []byte, v uint32) {
	if o == LittleEndian {
		binary.LittleEndian.PutUint32(b, v)
	} else {
		binary.BigEndian.PutUint32(b, v)
	}
}

func (o ByteOrder) appendUint16(b []byte, v uint16) []byte {
	if o == LittleEndian {
		return binary.LittleEndian.AppendUint16(b, v)
	}
	return binary.BigEndian.AppendUint16(b, v)
}

func (o ByteOrder) appendUint32(b []byte, v uint32) []byte {
	if o == LittleEndian {
		return binary.LittleEndian.AppendUint32(b, v)
	}
	return binary.BigEndian.AppendUint32(b, v)
}

func (o ByteOrder) appendUint64(b []byte, v uint64) []byte {
	if o == LittleEndian {
		return binary.LittleEndian.AppendUint64(b, v)
	}
	return binary.BigEndian.AppendUint64(b, v)
}

// String names the order.
func (o ByteOrder) String() string {
	if o == LittleEndian {
		return "little-endian"
	}
	return "big-endian"
}

// Version is a GIOP or IIOP version number.
type Version struct {
	Major, Minor uint8
}

// The GIOP/IIOP versions this package speaks.
var (
	GIOP10 = Version{1, 0}
	GIOP11 = Version{1, 1}
	GIOP12 = Version{1, 2}
)

// String formats the version as "1.2".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	return v.Major < w.Major || (v.Major == w.Major && v.Minor < w.Minor)
}

// ParseVersion parses "1.0", "1.1" or "1.2".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "1.0":
		return GIOP10, nil
	case "1.1":
		return GIOP11, nil
	case "1.2":
		return GIOP12, nil
	}
	return Version{}, fmt.Errorf("iiop: unsupported GIOP version %q (want 1.0, 1.1 or 1.2)", s)
}

// supported reports whether this package can speak GIOP version v.
func (v Version) supported() bool { return v.Major == 1 && v.Minor <= 2 }

// Code set identifiers from the OSF registry, as used in TAG_CODE_SETS and the
// CodeSets service context.
const (
	CodeSetISO8859_1 uint32 = 0x00010001
	CodeSetUCS2      uint32 = 0x00010100
	CodeSetUTF16     uint32 = 0x00010109
	CodeSetUTF8      uint32 = 0x05010001
)

// CodeSets are the transmission code sets in force on a connection: Char for
// string/char, WChar for wstring/wchar. A zero Char means UTF-8 (bytes pass
// through unchanged); a zero WChar means UTF-16.
type CodeSets struct {
	Char, WChar uint32
}

// Syntax is everything needed to read or write CDR for one message: the byte
// order, the GIOP version (wide characters are encoded differently in 1.1 and
// 1.2) and the negotiated code sets. The zero value is big-endian GIOP 1.2
// with UTF-8/UTF-16.
type Syntax struct {
	Order    ByteOrder
	Version  Version
	CodeSets CodeSets
}

func (s Syntax) version() Version {
	if s.Version == (Version{}) {
		return GIOP12
	}
	return s.Version
}

func (s Syntax) charSet() uint32 {
	if s.CodeSets.Char == 0 {
		return CodeSetUTF8
	}
	return s.CodeSets.Char
}

func (s Syntax) wcharSet() uint32 {
	if s.CodeSets.WChar == 0 {
		return CodeSetUTF16
	}
	return s.CodeSets.WChar
}
