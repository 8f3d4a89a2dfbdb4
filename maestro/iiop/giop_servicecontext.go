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

func writeServiceContexts(e *Encoder, scs []ServiceContext) {
	WriteSequence(e, scs, func(e *Encoder, sc ServiceContext) {
		e.WriteULong(sc.ID)
		e.WriteOctets(sc.Data)
	})
}

func readServiceContexts(d *Decoder) []ServiceContext {
	return ReadSequence(d, 8, func(d *Decoder) ServiceContext {
		return ServiceContext{ID: d.ReadULong(), Data: d.ReadOctets()}
	})
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
