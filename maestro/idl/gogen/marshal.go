package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/maestro-go/maestro/maestro/idl"
)

var basicIO = map[idl.BasicKind]string{
	idl.Short: "Short", idl.Long: "Long", idl.LongLong: "LongLong", idl.UShort: "UShort",
	idl.ULong: "ULong", idl.ULongLong: "ULongLong", idl.Float: "Float", idl.Double: "Double",
	idl.LongDouble: "LongDouble", idl.Char: "Char", idl.WChar: "WChar", idl.Boolean: "Bool",
	idl.Octet: "Octet",
}

// write returns a statement writing the value v of type t to the encoder
// named enc; depth keeps loop variables of nested arrays apart.
func (g *gen) write(t idl.Type, enc string, v *jen.Statement, depth int) *jen.Statement {
	switch t := t.(type) {
	case *idl.BasicType:
		return jen.Id(enc).Dot("Write" + basicIO[t.Kind]).Call(v)
	case *idl.StringType:
		if t.Wide {
			return jen.Id(enc).Dot("WriteWString").Call(v)
		}
		return jen.Id(enc).Dot("WriteString").Call(v)
	case *idl.SequenceType:
		if b, ok := t.Elem.(*idl.BasicType); ok && b.Kind == idl.Octet {
			return jen.Id(enc).Dot("WriteOctets").Call(v)
		}
		x := fmt.Sprintf("x%d", depth)
		return jen.Qual(cdrPath, "WriteSequence").Call(jen.Id(enc), v,
			jen.Func().Params(jen.Id(enc).Op("*").Qual(cdrPath, "Encoder"), jen.Id(x).Add(goType(t.Elem))).Block(
				g.write(t.Elem, enc, jen.Id(x), depth+1)))
	case *idl.ArrayType:
		x := fmt.Sprintf("x%d", depth)
		inner := t.Elem
		if len(t.Dims) > 1 {
			inner = &idl.ArrayType{Elem: t.Elem, Dims: t.Dims[1:]}
		}
		return jen.For(jen.List(jen.Id("_"), jen.Id(x)).Op(":=").Range().Add(v)).Block(
			g.write(inner, enc, jen.Id(x), depth+1))
	case *idl.NamedType:
		return jen.Id("write"+Exported(t.Decl.Info().Name)).Call(jen.Id(enc), v)
	}
	return jen.Null()
}

// read returns an expression reading a value of type t from the decoder
// named dec.
func (g *gen) read(t idl.Type, dec string, depth int) *jen.Statement {
	switch t := t.(type) {
	case *idl.BasicType:
		return jen.Id(dec).Dot("Read" + basicIO[t.Kind]).Call()
	case *idl.StringType:
		r := jen.Id(dec).Dot("ReadString").Call()
		if t.Wide {
			r = jen.Id(dec).Dot("ReadWString").Call()
		}
		if t.Bound > 0 {
			g.needBoundedString = true
			return jen.Id("checkStringBound").Call(jen.Id(dec), r, jen.Lit(int(t.Bound)))
		}
		return r
	case *idl.SequenceType:
		var r *jen.Statement
		if b, ok := t.Elem.(*idl.BasicType); ok && b.Kind == idl.Octet {
			r = jen.Id(dec).Dot("ReadOctets").Call()
		} else {
			r = jen.Qual(cdrPath, "ReadSequence").Call(jen.Id(dec), jen.Lit(minSize(t.Elem, 0)),
				jen.Func().Params(jen.Id(dec).Op("*").Qual(cdrPath, "Decoder")).Add(goType(t.Elem)).Block(
					jen.Return(g.read(t.Elem, dec, depth+1))))
		}
		if t.Bound > 0 {
			g.needBoundedSeq = true
			return jen.Id("checkSeqBound").Call(jen.Id(dec), r, jen.Lit(int(t.Bound)))
		}
		return r
	case *idl.ArrayType:
		x := fmt.Sprintf("x%d", depth)
		inner := t.Elem
		if len(t.Dims) > 1 {
			inner = &idl.ArrayType{Elem: t.Elem, Dims: t.Dims[1:]}
		}
		return jen.Func().Params().Params(jen.Id(x).Add(goType(t))).Block(
			jen.For(jen.Id("i").Op(":=").Range().Id(x)).Block(
				jen.Id(x).Index(jen.Id("i")).Op("=").Add(g.read(inner, dec, depth+1))),
			jen.Return(),
		).Call()
	case *idl.NamedType:
		return jen.Id("read" + Exported(t.Decl.Info().Name)).Call(jen.Id(dec))
	}
	return jen.Null()
}
