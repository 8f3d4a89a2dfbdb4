package iiop

import "fmt"

// Service context ids this package understands.
const (
	ServiceCodeSets  uint32 = 1
	ServiceFTRequest uint32 = 13
)

// ServiceContext is one entry of a GIOP service context list. Data is an
// encapsulation whose meaning depends on ID; unknown ids are carried, not
// interpreted.
type ServiceContext struct {
	ID   uint32
	Data []byte
}

// writeServiceContexts and readServiceContexts are plain loops rather
// than WriteSequence/ReadSequence so that the encoder or decoder of a
// message being built or parsed does not escape to the heap.
func writeServiceContexts(e *Encoder, scs []ServiceContext) {
	e.WriteSeqLen(len(scs))
	for _, sc := range scs {
		e.WriteULong(sc.ID)
		e.WriteOctets(sc.Data)
	}
}

func readServiceContexts(d *Decoder) []ServiceContext {
	n := d.ReadSeqLen(8)
	if d.Err() != nil || n == 0 {
		return nil
	}
	out := make([]ServiceContext, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		out = append(out, ServiceContext{ID: d.ReadULong(), Data: d.ReadOctets()})
	}
	if d.Err() != nil {
		return nil
	}
	return out
}

// CodeSetsContext builds the CodeSets service context a client sends to tell
// the server which transmission code sets it chose.
func CodeSetsContext(cs CodeSets) ServiceContext {
	enc := Encapsulate(Syntax{}, func(e *Encoder) {
		e.WriteULong(cs.Char)
		e.WriteULong(cs.WChar)
	})
	return ServiceContext{ID: ServiceCodeSets, Data: enc.Bytes()}
}

// ParseCodeSetsContext decodes a CodeSets service context.
func ParseCodeSetsContext(sc ServiceContext) (CodeSets, error) {
	d := OpenEncapsulation(Syntax{}, sc.Data)
	cs := CodeSets{Char: d.ReadULong(), WChar: d.ReadULong()}
	if err := d.Err(); err != nil {
		return CodeSets{}, fmt.Errorf("CodeSets service context: %w", err)
	}
	return cs, nil
}

// FindServiceContext returns the first context with the given id.
func FindServiceContext(scs []ServiceContext, id uint32) (ServiceContext, bool) {
	for _, sc := range scs {
		if sc.ID == id {
			return sc, true
		}
	}
	return ServiceContext{}, false
}

// FTRequest is the FT_REQUEST service context of FT-CORBA: an FT-aware
// client names each request by its client id and a retention id that
// stays the same when it retries the request, so that a replicated server
// can execute it at most once and return the recorded reply. Expiration
// is the time (TimeBase::TimeT, 100 ns since 1582-10-15) after which the
// client will not retry; zero means none given.
type FTRequest struct {
	ClientID    string
	RetentionID int32
	Expiration  uint64
}

// Context encodes r as a service context.
func (r FTRequest) Context() ServiceContext {
	enc := Encapsulate(Syntax{}, func(e *Encoder) {
		e.WriteString(r.ClientID)
		e.WriteLong(r.RetentionID)
		e.WriteULongLong(r.Expiration)
	})
	return ServiceContext{ID: ServiceFTRequest, Data: enc.Bytes()}
}

// ParseFTRequest decodes an FT_REQUEST service context; s supplies the
// negotiated code sets for the client id.
func ParseFTRequest(sc ServiceContext, s Syntax) (FTRequest, error) {
	d := OpenEncapsulation(s, sc.Data)
	r := FTRequest{ClientID: d.ReadString(), RetentionID: d.ReadLong(), Expiration: d.ReadULongLong()}
	if err := d.Err(); err != nil {
		return FTRequest{}, fmt.Errorf("FT_REQUEST service context: %w", err)
	}
	return r, nil
}
