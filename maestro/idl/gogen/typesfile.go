package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/maestro-go/maestro/maestro/idl"
)

// typesFile holds the IDL types and constants with their marshalling, or
// is nil when there are none.
func (g *gen) typesFile() (*fileBuilder, error) {
	if len(g.consts) == 0 && len(g.types) == 0 && !g.needBoundedSeq && !g.needBoundedString {
		return nil, nil // the interface uses basic types only
	}
	fb := g.newFile(true, "")
	f := fb.f
	for _, c := range g.consts {
		f.Commentf("%s is the IDL constant %s.", Exported(c.Name), c.ScopedName())
		f.Const().Id(Exported(c.Name)).Add(constType(c)).Op("=").Add(constValue(c.Value, c.Type))
	}
	for _, d := range g.types {
		switch d := d.(type) {
		case *idl.Struct:
			g.structDecl(f, d.Info(), d.Members, false)
		case *idl.Exception:
			g.structDecl(f, d.Info(), d.Members, true)
		case *idl.Enum:
			g.enumDecl(f, d)
		case *idl.Union:
			g.unionDecl(f, d)
		case *idl.Typedef:
			name := Exported(d.Name)
			f.Commentf("%s is the IDL typedef %s.", name, d.ScopedName())
			f.Type().Id(name).Op("=").Add(goType(d.Type))
			g.marshalFuncs(f, name,
				[]jen.Code{g.write(d.Type, "e", jen.Id("v"), 0)},
				[]jen.Code{jen.Return(g.read(d.Type, "d", 0))}, false)
		}
	}
	if g.needBoundedString {
		f.Comment("checkStringBound records a decoding error for a string longer than its IDL bound.")
		f.Func().Id("checkStringBound").Params(jen.Id("d").Op("*").Qual(cdrPath, "Decoder"), jen.Id("s").String(), jen.Id("bound").Int()).String().Block(
			jen.If(jen.Len(jen.Index().Rune().Parens(jen.Id("s"))).Op(">").Id("bound")).Block(
				jen.Id("d").Dot("Fail").Call(jen.Qual("fmt", "Errorf").Call(jen.Lit("string of %d characters exceeds its bound %d"), jen.Len(jen.Index().Rune().Parens(jen.Id("s"))), jen.Id("bound")))),
			jen.Return(jen.Id("s")))
	}
	if g.needBoundedSeq {
		f.Comment("checkSeqBound records a decoding error for a sequence longer than its IDL bound.")
		f.Func().Id("checkSeqBound").Types(jen.Id("T").Any()).Params(jen.Id("d").Op("*").Qual(cdrPath, "Decoder"), jen.Id("s").Index().Id("T"), jen.Id("bound").Int()).Index().Id("T").Block(
			jen.If(jen.Len(jen.Id("s")).Op(">").Id("bound")).Block(
				jen.Id("d").Dot("Fail").Call(jen.Qual("fmt", "Errorf").Call(jen.Lit("sequence of %d elements exceeds its bound %d"), jen.Len(jen.Id("s")), jen.Id("bound"))),
				jen.Return(jen.Nil())),
			jen.Return(jen.Id("s")))
	}
	return fb, nil
}

// constType is the Go type of a constant (strings and booleans untyped).
func constType(c *idl.Const) jen.Code {
	switch u := idl.Underlying(c.Type).(type) {
	case *idl.StringType:
		return jen.Null()
	case *idl.BasicType:
		if u.Kind == idl.Boolean || u.Kind == idl.LongDouble {
			return jen.Null()
		}
	}
	return goType(idl.Underlying(c.Type))
}

// constValue is a Go literal for an IDL value of type t.
func constValue(v idl.Value, t idl.Type) *jen.Statement {
	switch v.Kind {
	case idl.IntValue:
		return jen.Id(v.Int.String())
	case idl.FloatValue:
		return jen.Lit(v.Float)
	case idl.StringValue:
		return jen.Lit(v.Str)
	case idl.CharValue:
		if b, ok := idl.Underlying(t).(*idl.BasicType); ok && b.Kind == idl.Char {
			return jen.LitByte(v.Str[0])
		}
		return jen.LitRune([]rune(v.Str)[0])
	case idl.BoolValue:
		return jen.Lit(v.Bool)
	}
	return jen.Id(enumConst(v.Enum))
}

// marshalFuncs writes write<name> and read<name>. enter makes the reader
// count one level of nesting (structs and unions, which may recur).
func (g *gen) marshalFuncs(f *jen.File, name string, write, read []jen.Code, enter bool) {
	f.Commentf("write%s marshals a %s.", name, name)
	f.Func().Id("write"+name).Params(jen.Id("e").Op("*").Qual(cdrPath, "Encoder"), jen.Id("v").Id(name)).Block(write...)
	f.Commentf("read%s unmarshals a %s; errors are left in d.", name, name)
	if enter {
		body := append([]jen.Code{
			jen.If(jen.Op("!").Id("d").Dot("Enter").Call()).Block(jen.Return()),
			jen.Defer().Id("d").Dot("Leave").Call(),
		}, read...)
		f.Func().Id("read" + name).Params(jen.Id("d").Op("*").Qual(cdrPath, "Decoder")).Params(jen.Id("v").Id(name)).Block(body...)
		return
	}
	f.Func().Id("read" + name).Params(jen.Id("d").Op("*").Qual(cdrPath, "Decoder")).Id(name).Block(read...)
}

// structDecl writes a struct or exception type and its marshalling.
func (g *gen) structDecl(f *jen.File, info *idl.DeclInfo, members []*idl.Member, exception bool) {
	name := Exported(info.Name)
	var fields, write, read []jen.Code
	for _, m := range members {
		fn := Exported(m.Name)
		fields = append(fields, jen.Id(fn).Add(goType(m.Type)))
		write = append(write, g.write(m.Type, "e", jen.Id("v").Dot(fn), 0))
		read = append(read, jen.Id("v").Dot(fn).Op("=").Add(g.read(m.Type, "d", 0)))
	}
	read = append(read, jen.Return())
	if exception {
		f.Commentf("%s is the IDL exception %s: a method returning a *%s raises it.", name, info.ScopedName(), name)
	} else {
		f.Commentf("%s is the IDL struct %s.", name, info.ScopedName())
	}
	f.Type().Id(name).Struct(fields...)
	if exception {
		f.Comment("Error describes the exception and its members.")
		f.Func().Params(jen.Id("x").Op("*").Id(name)).Id("Error").Params().String().Block(
			jen.Return(jen.Qual("fmt", "Sprintf").Call(jen.Lit("IDL exception "+info.ScopedName()+" %+v"), jen.Op("*").Id("x"))))
		f.Comment("RepoID returns the exception's repository id.")
		f.Func().Params(jen.Op("*").Id(name)).Id("RepoID").Params().String().Block(jen.Return(jen.Lit(info.RepoID)))
	}
	g.marshalFuncs(f, name, write, read, true)
}

// enumDecl writes an enum as a named uint32 with constants.
func (g *gen) enumDecl(f *jen.File, e *idl.Enum) {
	name := Exported(e.Name)
	f.Commentf("%s is the IDL enum %s.", name, e.ScopedName())
	f.Type().Id(name).Uint32()
	var consts, cases []jen.Code
	for i, m := range e.Members {
		c := jen.Id(enumConst(m))
		if i == 0 {
			c.Id(name).Op("=").Iota()
		}
		consts = append(consts, c)
		cases = append(cases, jen.Case(jen.Id(enumConst(m))).Block(jen.Return(jen.Lit(m.Name))))
	}
	f.Commentf("The values of %s.", name)
	f.Const().Defs(consts...)
	f.Comment("String returns the IDL name of the value.")
	f.Func().Params(jen.Id("x").Id(name)).Id("String").Params().String().Block(
		jen.Switch(jen.Id("x")).Block(cases...),
		jen.Return(jen.Qual("fmt", "Sprintf").Call(jen.Lit(name+"(%d)"), jen.Uint32().Parens(jen.Id("x")))))
	g.marshalFuncs(f, name,
		[]jen.Code{jen.Id("e").Dot("WriteEnum").Call(jen.Uint32().Parens(jen.Id("v")))},
		[]jen.Code{jen.Return(jen.Id(name).Parens(jen.Id("d").Dot("ReadEnum").Call(jen.Lit(len(e.Members)))))}, false)
}

// unionDecl writes a union as a struct of its discriminator and members.
func (g *gen) unionDecl(f *jen.File, u *idl.Union) {
	name := Exported(u.Name)
	fields := []jen.Code{jen.Comment("Disc is the discriminator: it selects the member that travels."), jen.Id("Disc").Add(goType(u.Disc))}
	var wcases, rcases []jen.Code
	for _, c := range u.Cases {
		fn := Exported(c.Name)
		var labels []jen.Code
		var texts []string
		for _, l := range c.Labels {
			labels = append(labels, g.label(l, u.Disc))
			texts = append(texts, l.String())
		}
		when := fmt.Sprintf("when Disc is %v", texts)
		if c.Default {
			when = "when Disc matches no other case"
			if len(labels) > 0 {
				when = fmt.Sprintf("when Disc is %v or matches no other case", texts)
			}
		}
		fields = append(fields, jen.Id(fn).Add(goType(c.Type)).Comment(when))
		w := g.write(c.Type, "e", jen.Id("v").Dot(fn), 0)
		r := jen.Id("v").Dot(fn).Op("=").Add(g.read(c.Type, "d", 0))
		if c.Default {
			wcases = append(wcases, jen.Default().Block(w))
			rcases = append(rcases, jen.Default().Block(r))
		} else {
			wcases = append(wcases, jen.Case(labels...).Block(w))
			rcases = append(rcases, jen.Case(labels...).Block(r))
		}
	}
	f.Commentf("%s is the IDL union %s.", name, u.ScopedName())
	f.Type().Id(name).Struct(fields...)
	g.marshalFuncs(f, name,
		[]jen.Code{g.write(u.Disc, "e", jen.Id("v").Dot("Disc"), 0), jen.Switch(jen.Id("v").Dot("Disc")).Block(wcases...)},
		[]jen.Code{jen.Id("v").Dot("Disc").Op("=").Add(g.read(u.Disc, "d", 0)), jen.Switch(jen.Id("v").Dot("Disc")).Block(rcases...), jen.Return()},
		true)
}

// label is a case label as a Go expression of the discriminator's type.
func (g *gen) label(v idl.Value, disc idl.Type) *jen.Statement {
	return constValue(v, disc)
}
