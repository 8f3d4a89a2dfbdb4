package iiop

import "fmt"

// Tagged component ids.
const (
	TagORBType              uint32 = 0
	TagCodeSets             uint32 = 1
	TagAlternateIIOPAddress uint32 = 3
	TagFTGroup              uint32 = 27
	TagFTPrimary            uint32 = 28
)

// CodeSetComponent is the body of TAG_CODE_SETS: for char and for wchar, the
// native code set and the conversion code sets the server accepts.
type CodeSetComponent struct {
	CharNative      uint32
	CharConversion  []uint32
	WCharNative     uint32
	WCharConversion []uint32
}

// DefaultCodeSets is what Maestro advertises: UTF-8 for char and UTF-16 for
// wchar, so clients send strings as UTF-8 (docs/omniorb.md).
var DefaultCodeSets = CodeSetComponent{CharNative: CodeSetUTF8, WCharNative: CodeSetUTF16}

func writeU32s(e *Encoder, v []uint32) { WriteSequence(e, v, (*Encoder).WriteULong) }

func readU32s(d *Decoder) []uint32 { return ReadSequence(d, 4, (*Decoder).ReadULong) }

// Component encodes the code-set component.
func (c CodeSetComponent) Component() TaggedComponent {
	enc := Encapsulate(Syntax{}, func(e *Encoder) {
		e.WriteULong(c.CharNative)
		writeU32s(e, c.CharConversion)
		e.WriteULong(c.WCharNative)
		writeU32s(e, c.WCharConversion)
	})
	return TaggedComponent{Tag: TagCodeSets, Data: enc.Bytes()}
}

// ParseCodeSetComponent decodes a TAG_CODE_SETS component body.
func ParseCodeSetComponent(data []byte) (CodeSetComponent, error) {
	d := OpenEncapsulation(Syntax{}, data)
	c := CodeSetComponent{CharNative: d.ReadULong(), CharConversion: readU32s(d)}
	c.WCharNative = d.ReadULong()
	c.WCharConversion = readU32s(d)
	if err := d.Err(); err != nil {
		return CodeSetComponent{}, fmt.Errorf("TAG_CODE_SETS: %w", err)
	}
	return c, nil
}

// Negotiate chooses transmission code sets the way CORBA's code set
// negotiation does for a client whose native sets are UTF-8 and UTF-16: the
// client's native set if the server's native or conversion sets include it,
// else the server's native set if the client can convert to it (ISO-8859-1,
// UCS-2), else the fallbacks UTF-8 and UTF-16.
func (c CodeSetComponent) Negotiate() CodeSets {
	pick := func(clientNative, alt, serverNative uint32, conv []uint32) uint32 {
		if serverNative == clientNative {
			return clientNative
		}
		for _, cs := range conv {
			if cs == clientNative {
				return clientNative
			}
		}
		if serverNative == alt {
			return alt
		}
		return clientNative
	}
	return CodeSets{
		Char:  pick(CodeSetUTF8, CodeSetISO8859_1, c.CharNative, c.CharConversion),
		WChar: pick(CodeSetUTF16, CodeSetUCS2, c.WCharNative, c.WCharConversion),
	}
}

// AlternateAddressComponent encodes TAG_ALTERNATE_IIOP_ADDRESS.
func AlternateAddressComponent(a Addr) TaggedComponent {
	enc := Encapsulate(Syntax{}, func(e *Encoder) {
		e.WriteString(a.Host)
		e.WriteUShort(a.Port)
	})
	return TaggedComponent{Tag: TagAlternateIIOPAddress, Data: enc.Bytes()}
}

// ParseAlternateAddress decodes a TAG_ALTERNATE_IIOP_ADDRESS body.
func ParseAlternateAddress(data []byte) (Addr, error) {
	d := OpenEncapsulation(Syntax{}, data)
	a := Addr{Host: d.ReadString(), Port: d.ReadUShort()}
	if err := d.Err(); err != nil {
		return Addr{}, fmt.Errorf("TAG_ALTERNATE_IIOP_ADDRESS: %w", err)
	}
	return a, nil
}

// FTGroup is the body of TAG_FT_GROUP (FT-CORBA): which object group a
// reference belongs to and the version of the group reference.
type FTGroup struct {
	Version               Version
	FTDomainID            string
	ObjectGroupID         uint64
	ObjectGroupRefVersion uint32
}

// Component encodes TAG_FT_GROUP.
func (g FTGroup) Component() TaggedComponent {
	enc := Encapsulate(Syntax{}, func(e *Encoder) {
		e.WriteOctet(g.Version.Major)
		e.WriteOctet(g.Version.Minor)
		e.WriteString(g.FTDomainID)
		e.WriteULongLong(g.ObjectGroupID)
		e.WriteULong(g.ObjectGroupRefVersion)
	})
	return TaggedComponent{Tag: TagFTGroup, Data: enc.Bytes()}
}

// ParseFTGroup decodes a TAG_FT_GROUP body.
func ParseFTGroup(data []byte) (FTGroup, error) {
	d := OpenEncapsulation(Syntax{}, data)
	g := FTGroup{Version: Version{Major: d.ReadOctet(), Minor: d.ReadOctet()}, FTDomainID: d.ReadString()}
	g.ObjectGroupID = d.ReadULongLong()
	g.ObjectGroupRefVersion = d.ReadULong()
	if err := d.Err(); err != nil {
		return FTGroup{}, fmt.Errorf("TAG_FT_GROUP: %w", err)
	}
	return g, nil
}

// FTPrimaryComponent encodes TAG_FT_PRIMARY, which marks the profile of the
// primary replica.
func FTPrimaryComponent(primary bool) TaggedComponent {
	enc := Encapsulate(Syntax{}, func(e *Encoder) { e.WriteBool(primary) })
	return TaggedComponent{Tag: TagFTPrimary, Data: enc.Bytes()}
}

// ParseFTPrimary decodes a TAG_FT_PRIMARY body.
func ParseFTPrimary(data []byte) (bool, error) {
	d := OpenEncapsulation(Syntax{}, data)
	v := d.ReadBool()
	if err := d.Err(); err != nil {
		return false, fmt.Errorf("TAG_FT_PRIMARY: %w", err)
	}
	return v, nil
}
