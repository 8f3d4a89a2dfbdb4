package iiop

import (
	"fmt"
	"net"
	"strconv"
)

// Addr is an IIOP endpoint: a host name or address and a TCP port.
type Addr struct {
	Host string
	Port uint16
}

// String returns "host:port" (brackets around IPv6 literals).
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(int(a.Port))) }

// ParseAddr parses "host:port".
func ParseAddr(s string) (Addr, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return Addr{}, fmt.Errorf("iiop: address %q: %w", s, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return Addr{}, fmt.Errorf("iiop: address %q: bad port: %w", s, err)
	}
	return Addr{Host: h, Port: uint16(port)}, nil
}

// TaggedComponent is one component of an IIOP 1.1+ profile.
type TaggedComponent struct {
	Tag  uint32
	Data []byte
}

// IIOPProfile is the body of a TAG_INTERNET_IOP profile.
type IIOPProfile struct {
	Version    Version
	Addr       Addr
	ObjectKey  []byte
	Components []TaggedComponent // IIOP 1.1 and later only
}

// ParseIIOPProfile decodes a TAG_INTERNET_IOP profile's encapsulation.
func ParseIIOPProfile(data []byte) (*IIOPProfile, error) {
	d := OpenEncapsulation(Syntax{}, data)
	p := &IIOPProfile{}
	p.Version.Major = d.ReadOctet()
	p.Version.Minor = d.ReadOctet()
	p.Addr.Host = d.ReadString()
	p.Addr.Port = d.ReadUShort()
	p.ObjectKey = d.ReadOctets()
	if d.Err() == nil && p.Version.Major != 1 {
		return nil, fmt.Errorf("%w: IIOP version %s", ErrBadIOR, p.Version)
	}
	if d.Err() == nil && p.Version.Minor >= 1 && d.Remaining() > 0 {
		p.Components = ReadSequence(d, 8, func(d *Decoder) TaggedComponent {
			return TaggedComponent{Tag: d.ReadULong(), Data: d.ReadOctets()}
		})
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: IIOP profile: %v", ErrBadIOR, err)
	}
	return p, nil
}

// Encode returns the profile as a TaggedProfile. Components are written only
// for IIOP 1.1 and later, which is where they exist.
func (p *IIOPProfile) Encode() TaggedProfile {
	enc := Encapsulate(Syntax{}, func(e *Encoder) {
		e.WriteOctet(p.Version.Major)
		e.WriteOctet(p.Version.Minor)
		e.WriteString(p.Addr.Host)
		e.WriteUShort(p.Addr.Port)
		e.WriteOctets(p.ObjectKey)
		if p.Version.Minor >= 1 {
			WriteSequence(e, p.Components, func(e *Encoder, c TaggedComponent) {
				e.WriteULong(c.Tag)
				e.WriteOctets(c.Data)
			})
		}
	})
	return TaggedProfile{Tag: TagInternetIOP, Data: enc.Bytes()}
}

// Addrs returns the profile's main address followed by its
// TAG_ALTERNATE_IIOP_ADDRESS components, in order: the order a client tries
// them.
func (p *IIOPProfile) Addrs() []Addr {
	out := []Addr{p.Addr}
	for _, c := range p.Components {
		if c.Tag != TagAlternateIIOPAddress {
			continue
		}
		if a, err := ParseAlternateAddress(c.Data); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// Component returns the first component with the given tag.
func (p *IIOPProfile) Component(tag uint32) (TaggedComponent, bool) {
	for _, c := range p.Components {
		if c.Tag == tag {
			return c, true
		}
	}
	return TaggedComponent{}, false
}
