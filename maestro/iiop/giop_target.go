package iiop

import "fmt"

// AddressingDisposition selects the form of a GIOP 1.2 TargetAddress.
type AddressingDisposition int16

// Addressing dispositions.
const (
	KeyAddr       AddressingDisposition = 0
	ProfileAddr   AddressingDisposition = 1
	ReferenceAddr AddressingDisposition = 2
)

// TargetAddress names the target object of a request: by object key (the
// only form in GIOP 1.0/1.1), by IIOP profile, or by a whole IOR plus the
// index of the profile the client chose.
type TargetAddress struct {
	Disposition  AddressingDisposition
	ObjectKey    []byte        // KeyAddr
	Profile      TaggedProfile // ProfileAddr
	ProfileIndex uint32        // ReferenceAddr
	IOR          *IOR          // ReferenceAddr
}

// Key extracts the object key whatever the disposition.
func (t TargetAddress) Key() ([]byte, error) {
	switch t.Disposition {
	case KeyAddr:
		return t.ObjectKey, nil
	case ProfileAddr:
		return keyFromProfile(t.Profile)
	case ReferenceAddr:
		if t.IOR == nil || int64(t.ProfileIndex) >= int64(len(t.IOR.Profiles)) {
			return nil, fmt.Errorf("%w: ReferenceAddr profile index %d out of range", ErrBadMessage, t.ProfileIndex)
		}
		return keyFromProfile(t.IOR.Profiles[t.ProfileIndex])
	}
	return nil, fmt.Errorf("%w: addressing disposition %d", ErrBadMessage, t.Disposition)
}

func keyFromProfile(p TaggedProfile) ([]byte, error) {
	if p.Tag != TagInternetIOP {
		return nil, fmt.Errorf("%w: target profile tag %d is not IIOP", ErrBadMessage, p.Tag)
	}
	ip, err := ParseIIOPProfile(p.Data)
	if err != nil {
		return nil, err
	}
	return ip.ObjectKey, nil
}

func writeTarget(e *Encoder, t TargetAddress) {
	e.WriteShort(int16(t.Disposition))
	switch t.Disposition {
	case KeyAddr:
		e.WriteOctets(t.ObjectKey)
	case ProfileAddr:
		e.WriteULong(t.Profile.Tag)
		e.WriteOctets(t.Profile.Data)
	case ReferenceAddr:
		e.WriteULong(t.ProfileIndex)
		t.IOR.Encode(e)
	}
}

func readTarget(d *Decoder) TargetAddress {
	t := TargetAddress{Disposition: AddressingDisposition(d.ReadShort())}
	switch t.Disposition {
	case KeyAddr:
		t.ObjectKey = d.ReadOctets()
	case ProfileAddr:
		t.Profile = TaggedProfile{Tag: d.ReadULong(), Data: d.ReadOctets()}
	case ReferenceAddr:
		t.ProfileIndex = d.ReadULong()
		// Decode through a heap copy so that d itself (often on the
		// caller's stack) does not escape through DecodeIOR.
		sub := new(Decoder)
		*sub = *d
		t.IOR = DecodeIOR(sub)
		*d = *sub
	default:
		d.Fail(fmt.Errorf("%w: addressing disposition %d", ErrBadMessage, t.Disposition))
	}
	return t
}
