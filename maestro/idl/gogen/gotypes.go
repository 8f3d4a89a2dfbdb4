package gogen

import (
	"github.com/dave/jennifer/jen"

	"github.com/maestro-go/maestro/maestro/idl"
)

const (
	iiopPath = "github.com/maestro-go/maestro/maestro/iiop"
	// cdrPath is where the marshalling code finds Encoder and Decoder.
	cdrPath = "github.com/maestro-go/maestro/maestro/iiop/cdr"
)

// goType is the Go type of an IDL type.
func goType(t idl.Type) *jen.Statement {
	switch t := t.(type) {
	case *idl.BasicType:
		switch t.Kind {
		case idl.Short:
			return jen.Int16()
		case idl.Long:
			return jen.Int32()
		case idl.LongLong:
			return jen.Int64()
		case idl.UShort:
			return jen.Uint16()
		case idl.ULong:
			return jen.Uint32()
		case idl.ULongLong:
			return jen.Uint64()
		case idl.Float:
			return jen.Float32()
		case idl.Double:
			return jen.Float64()
		case idl.LongDouble:
			return jen.Index(jen.Lit(16)).Byte()
		case idl.Char, idl.Octet:
			return jen.Byte()
		case idl.WChar:
			return jen.Rune()
		case idl.Boolean:
			return jen.Bool()
		}
	case *idl.StringType:
		return jen.String()
	case *idl.SequenceType:
		return jen.Index().Add(goType(t.Elem))
	case *idl.ArrayType:
		s := jen.Null()
		for _, d := range t.Dims {
			s.Index(jen.Lit(int(d)))
		}
		return s.Add(goType(t.Elem))
	case *idl.NamedType:
		return jen.Id(Exported(t.Decl.Info().Name))
	}
	return jen.Id("unsupported") // collectTypes rejects these first
}

// zero is the zero value of an IDL type as a Go expression.
func zero(t idl.Type) *jen.Statement {
	switch u := idl.Underlying(t).(type) {
	case *idl.BasicType:
		switch u.Kind {
		case idl.Boolean:
			return jen.False()
		case idl.LongDouble:
			return goType(t).Values()
		}
		return jen.Lit(0)
	case *idl.StringType:
		return jen.Lit("")
	case *idl.SequenceType:
		return jen.Nil()
	case *idl.NamedType:
		if _, ok := u.Decl.(*idl.Enum); ok {
			return jen.Lit(0)
		}
	}
	return goType(t).Values()
}

// minSize is a lower bound of the CDR size of a value of type t, so that
// a sequence count can be checked against the bytes left before anything
// is allocated.
func minSize(t idl.Type, depth int) int {
	if depth > 32 {
		return 1
	}
	switch t := t.(type) {
	case *idl.BasicType:
		switch t.Kind {
		case idl.Short, idl.UShort, idl.WChar:
			return 2
		case idl.Long, idl.ULong, idl.Float:
			return 4
		case idl.LongLong, idl.ULongLong, idl.Double:
			return 8
		case idl.LongDouble:
			return 16
		}
		return 1
	case *idl.StringType:
		if t.Wide {
			return 4
		}
		return 5
	case *idl.SequenceType:
		return 4
	case *idl.ArrayType:
		n := minSize(t.Elem, depth+1)
		for _, d := range t.Dims {
			n *= int(d)
			if n > 1<<30 {
				return 1 << 30
			}
		}
		return n
	case *idl.NamedType:
		switch d := t.Decl.(type) {
		case *idl.Typedef:
			return minSize(d.Type, depth+1)
		case *idl.Enum:
			return 4
		case *idl.Union:
			return minSize(d.Disc, depth+1)
		case *idl.Struct:
			n := 0
			for _, m := range d.Members {
				n += minSize(m.Type, depth+1)
			}
			return max(n, 1)
		}
	}
	return 1
}
