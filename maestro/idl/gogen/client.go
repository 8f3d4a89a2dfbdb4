package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// clientReserved are the names the stub bodies use.
var clientReserved = []string{"c", "e", "d", "i", "x0", "x1", "x2", "x3", "r0", "r1", "r2", "r3"}

// clientFile holds the typed client stub.
func (g *gen) clientFile() (*fileBuilder, error) {
	fb := g.newFile(true, "")
	f := fb.f
	n := g.opts.Name
	client := n + "Client"
	f.Commentf("%s calls an object implementing the IDL interface %s (%s) through", client, g.iface.ScopedName(), g.iface.RepoID)
	f.Comment("an iiop.Client: each method marshals its arguments, waits for the reply and unmarshals the")
	f.Comment("results, the declared user exceptions (as their Go types) or a *iiop.SystemException.")
	f.Type().Id(client).Struct(
		jen.Id("Client").Op("*").Qual(iiopPath, "Client"),
		jen.Id("Ref").Op("*").Qual(iiopPath, "IOR"),
	)
	f.Commentf("New%s returns a stub for the object ref, reached through c.", client)
	f.Func().Id("New"+client).Params(jen.Id("c").Op("*").Qual(iiopPath, "Client"), jen.Id("ref").Op("*").Qual(iiopPath, "IOR")).Op("*").Id(client).Block(
		jen.Return(jen.Op("&").Id(client).Values(jen.Dict{jen.Id("Client"): jen.Id("c"), jen.Id("Ref"): jen.Id("ref")})))

	for _, m := range g.methods {
		params := []jen.Code{jen.Id("ctx").Qual("context", "Context")}
		var writes []jen.Code
		for _, p := range m.argParams() {
			pn := paramName(p.Name, clientReserved...)
			params = append(params, jen.Id(pn).Add(goType(p.Type)))
			writes = append(writes, g.write(p.Type, "e", jen.Id(pn), 0))
		}
		args := jen.Nil()
		if len(writes) > 0 {
			args = jen.Func().Params(jen.Id("e").Op("*").Qual(iiopPath, "Encoder")).Block(writes...)
		}
		f.Commentf("%s %s.", m.goName, m.describe())
		if m.oneway {
			f.Func().Params(jen.Id("c").Op("*").Id(client)).Id(m.goName).Params(params...).Error().Block(
				jen.Return(jen.Id("c").Dot("Client").Dot("InvokeOneway").Call(jen.Id("ctx"), jen.Id("c").Dot("Ref"), jen.Lit(m.opName), args)))
			continue
		}
		rts := m.resultTypes()
		var zeros, results, decode []jen.Code
		for i, t := range rts {
			zeros = append(zeros, zero(t))
			r := fmt.Sprintf("r%d", i)
			results = append(results, jen.Id(r))
			decode = append(decode, jen.Id(r).Op(":=").Add(g.read(t, "d", 0)))
		}
		fail := func(err jen.Code) jen.Code { return jen.Return(append(append([]jen.Code{}, zeros...), err)...) }
		body := []jen.Code{
			jen.List(jen.Id("rep"), jen.Err()).Op(":=").Id("c").Dot("Client").Dot("Invoke").Call(jen.Id("ctx"), jen.Id("c").Dot("Ref"), jen.Lit(m.opName), args),
			jen.If(jen.Err().Op("!=").Nil()).Block(fail(jen.Err())),
			jen.Id("d").Op(":=").Id("rep").Dot("Body").Dot("Decoder").Call(),
			jen.If(jen.Id("rep").Dot("Status").Op("==").Qual(iiopPath, "UserException")).Block(
				fail(jen.Id("decodeUserException").Call(jen.Id("d"), jen.Lit(m.opName)))),
		}
		body = append(body, decode...)
		body = append(body,
			jen.If(jen.Err().Op(":=").Id("d").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
				fail(jen.Qual("fmt", "Errorf").Call(jen.Lit(m.opName+": decoding the reply: %w"), jen.Err()))),
			jen.Return(append(results, jen.Nil())...))
		f.Func().Params(jen.Id("c").Op("*").Id(client)).Id(m.goName).Params(params...).Params(m.servantResults()...).Block(body...)
	}

	var cases []jen.Code
	for _, e := range g.exceptions() {
		en := Exported(e.Name)
		cases = append(cases, jen.Case(jen.Lit(e.RepoID)).Block(
			jen.Id("x").Op(":=").Id("read"+en).Call(jen.Id("d")),
			jen.If(jen.Err().Op(":=").Id("d").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("%s: decoding exception %s: %w"), jen.Id("operation"), jen.Id("id"), jen.Err()))),
			jen.Return(jen.Op("&").Id("x"))))
	}
	f.Comment("decodeUserException reads a user exception reply into its Go type.")
	f.Func().Id("decodeUserException").Params(jen.Id("d").Op("*").Qual(iiopPath, "Decoder"), jen.Id("operation").String()).Error().Block(
		jen.Id("id").Op(":=").Id("d").Dot("ReadString").Call(),
		jen.If(jen.Err().Op(":=").Id("d").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("%s: decoding a user exception: %w"), jen.Id("operation"), jen.Err()))),
		jen.Switch(jen.Id("id")).Block(cases...),
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("%s: unexpected user exception %s"), jen.Id("operation"), jen.Id("id"))),
	)
	return fb, nil
}
