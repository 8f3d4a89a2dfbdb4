package iiop

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Profile tags.
const (
	TagInternetIOP        uint32 = 0
	TagMultipleComponents uint32 = 1
)

// TaggedProfile is one profile of an IOR; Data is its encapsulation.
type TaggedProfile struct {
	Tag  uint32
	Data []byte
}

// IOR is an interoperable object reference: a repository type id and one or
// more profiles, tried in order by clients that walk profiles.
type IOR struct {
	TypeID   string
	Profiles []TaggedProfile
}

// maxIORString bounds the stringified IORs ParseIOR accepts (1 MiB of hex).
const maxIORString = 2 << 20

// ParseIOR parses a stringified reference "IOR:<hex>" (case-insensitive
// prefix and digits; surrounding white space ignored).
func ParseIOR(s string) (*IOR, error) {
	s = strings.TrimSpace(s)
	if len(s) < 4 || !strings.EqualFold(s[:4], "IOR:") {
		return nil, fmt.Errorf("%w: missing IOR: prefix", ErrBadIOR)
	}
	if len(s) > maxIORString {
		return nil, fmt.Errorf("%w: %d characters", ErrBadIOR, len(s))
	}
	raw, err := hex.DecodeString(s[4:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadIOR, err)
	}
	d := OpenEncapsulation(Syntax{}, raw)
	ior := DecodeIOR(d)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadIOR, err)
	}
	return ior, nil
}

// String returns the stringified form "IOR:<hex>" (a big-endian
// encapsulation, lower-case digits).
func (r *IOR) String() string {
	enc := Encapsulate(Syntax{}, func(e *Encoder) { r.Encode(e) })
	return "IOR:" + hex.EncodeToString(enc.Bytes())
}

// Encode writes the IOR in CDR (as in a LOCATION_FORWARD reply body).
func (r *IOR) Encode(e *Encoder) {
	e.WriteString(r.TypeID)
	WriteSequence(e, r.Profiles, func(e *Encoder, p TaggedProfile) {
		e.WriteULong(p.Tag)
		e.WriteOctets(p.Data)
	})
}

// DecodeIOR reads an IOR; check d.Err afterwards.
func DecodeIOR(d *Decoder) *IOR {
	r := &IOR{TypeID: d.ReadString()}
	r.Profiles = ReadSequence(d, 8, func(d *Decoder) TaggedProfile {
		return TaggedProfile{Tag: d.ReadULong(), Data: d.ReadOctets()}
	})
	if d.Err() != nil {
		return nil
	}
	return r
}

// IsNil reports whether the reference is a nil object reference (no profiles).
func (r *IOR) IsNil() bool { return r == nil || len(r.Profiles) == 0 }

// IIOPProfiles decodes every IIOP profile of the IOR in order, skipping
// profiles with other tags. It fails if an IIOP profile is malformed.
func (r *IOR) IIOPProfiles() ([]*IIOPProfile, error) {
	var out []*IIOPProfile
	for i, p := range r.Profiles {
		if p.Tag != TagInternetIOP {
			continue
		}
		ip, err := ParseIIOPProfile(p.Data)
		if err != nil {
			return nil, fmt.Errorf("profile %d: %w", i, err)
		}
		out = append(out, ip)
	}
	if len(out) == 0 {
		return nil, ErrNoProfile
	}
	return out, nil
}
