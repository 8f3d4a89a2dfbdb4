package iiop

import "fmt"

// NewIOR returns a single-profile reference to the object with the given key
// at addr. IIOP 1.1+ profiles carry the DefaultCodeSets component.
func NewIOR(typeID string, key []byte, addr Addr, version Version) *IOR {
	return CompoundIOR(typeID, key, []Addr{addr}, version)
}

// CompoundIOR builds the reference of an object served by several replicas
// at addrs, all accepting the same key (dissertation Figure 3.6, docs/omniorb.md):
//
//   - the first IIOP profile names addrs[0] and, when version is 1.2 or later,
//     carries every other address as a TAG_ALTERNATE_IIOP_ADDRESS component —
//     the only failover omniORB performs;
//   - when there are several replicas, one profile per replica follows, for
//     ORBs that walk the profiles of an IOR.
//
// IIOP 1.0 profiles cannot carry components, so with version 1.0 only the
// per-replica profiles are written. addrs must not be empty.
func CompoundIOR(typeID string, key []byte, addrs []Addr, version Version) *IOR {
	ior := &IOR{TypeID: typeID}
	if len(addrs) == 0 {
		return ior
	}
	profile := func(a Addr, alternates []Addr) TaggedProfile {
		p := &IIOPProfile{Version: version, Addr: a, ObjectKey: key}
		if version.Minor >= 1 {
			p.Components = append(p.Components, DefaultCodeSets.Component())
		}
		if version.Minor >= 2 {
			for _, alt := range alternates {
				p.Components = append(p.Components, AlternateAddressComponent(alt))
			}
		}
		return p.Encode()
	}
	if version.Minor < 2 || len(addrs) == 1 {
		for _, a := range addrs {
			ior.Profiles = append(ior.Profiles, profile(a, nil))
		}
		return ior
	}
	ior.Profiles = append(ior.Profiles, profile(addrs[0], addrs[1:]))
	for _, a := range addrs {
		ior.Profiles = append(ior.Profiles, profile(a, nil))
	}
	return ior
}

// Describe returns a human-readable, multi-line account of everything in
// the reference, in the spirit of omniORB's catior.
func (r *IOR) Describe() string {
	var s string
	s += fmt.Sprintf("Type ID: %q\n", r.TypeID)
	s += fmt.Sprintf("Profiles: %d\n", len(r.Profiles))
	for i, p := range r.Profiles {
		if p.Tag != TagInternetIOP {
			s += fmt.Sprintf("%d. profile tag %d (%d bytes, not IIOP)\n", i+1, p.Tag, len(p.Data))
			continue
		}
		ip, err := ParseIIOPProfile(p.Data)
		if err != nil {
			s += fmt.Sprintf("%d. IIOP profile: malformed: %v\n", i+1, err)
			continue
		}
		s += fmt.Sprintf("%d. IIOP %s %s %d\n", i+1, ip.Version, ip.Addr.Host, ip.Addr.Port)
		s += fmt.Sprintf("   Object Key: %s\n", describeKey(ip.ObjectKey))
		for _, c := range ip.Components {
			s += "   " + describeComponent(c) + "\n"
		}
	}
	return s
}

func describeKey(k []byte) string {
	printable := len(k) > 0
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			printable = false
			break
		}
	}
	if printable {
		return fmt.Sprintf("%q (%d bytes)", k, len(k))
	}
	return fmt.Sprintf("%x (%d bytes)", k, len(k))
}

func codeSetName(cs uint32) string {
	switch cs {
	case CodeSetISO8859_1:
		return "ISO-8859-1"
	case CodeSetUTF8:
		return "UTF-8"
	case CodeSetUTF16:
		return "UTF-16"
	case CodeSetUCS2:
		return "UCS-2"
	}
	return fmt.Sprintf("%#08x", cs)
}

func describeComponent(c TaggedComponent) string {
	switch c.Tag {
	case TagCodeSets:
		cs, err := ParseCodeSetComponent(c.Data)
		if err != nil {
			return "TAG_CODE_SETS malformed: " + err.Error()
		}
		names := func(v []uint32) string {
			s := ""
			for i, x := range v {
				if i > 0 {
					s += ", "
				}
				s += codeSetName(x)
			}
			return s
		}
		return fmt.Sprintf("TAG_CODE_SETS char native %s conversion [%s]; wchar native %s conversion [%s]",
			codeSetName(cs.CharNative), names(cs.CharConversion), codeSetName(cs.WCharNative), names(cs.WCharConversion))
	case TagAlternateIIOPAddress:
		a, err := ParseAlternateAddress(c.Data)
		if err != nil {
			return "TAG_ALTERNATE_IIOP_ADDRESS malformed: " + err.Error()
		}
		return fmt.Sprintf("TAG_ALTERNATE_IIOP_ADDRESS %s %d", a.Host, a.Port)
	case TagFTGroup:
		g, err := ParseFTGroup(c.Data)
		if err != nil {
			return "TAG_FT_GROUP malformed: " + err.Error()
		}
		return fmt.Sprintf("TAG_FT_GROUP version %s domain %q group %d ref version %d", g.Version, g.FTDomainID, g.ObjectGroupID, g.ObjectGroupRefVersion)
	case TagFTPrimary:
		p, err := ParseFTPrimary(c.Data)
		if err != nil {
			return "TAG_FT_PRIMARY malformed: " + err.Error()
		}
		return fmt.Sprintf("TAG_FT_PRIMARY %v", p)
	case TagORBType:
		d := OpenEncapsulation(Syntax{}, c.Data)
		v := d.ReadULong()
		if d.Err() != nil {
			return "TAG_ORB_TYPE malformed"
		}
		return fmt.Sprintf("TAG_ORB_TYPE %#08x", v)
	}
	return fmt.Sprintf("component tag %d (%d bytes)", c.Tag, len(c.Data))
}
