package gogen

import (
	"github.com/dave/jennifer/jen"
)

// testFile is a test that serves the user's type through the Simple ORB
// on 127.0.0.1 and calls every operation through the generated client.
func (g *gen) testFile() (*fileBuilder, error) {
	fb := g.newFile(true, "")
	f := fb.f
	n := g.opts.Name
	var calls []jen.Code
	for _, m := range g.methods {
		var args []jen.Code
		args = append(args, jen.Id("ctx"))
		for _, p := range m.argParams() {
			args = append(args, zero(p.Type))
		}
		call := jen.Id("c").Dot(m.goName).Call(args...)
		if m.oneway {
			calls = append(calls, jen.Id("check").Call(jen.Lit(m.opName), call))
			continue
		}
		var lhs []jen.Code
		for range m.resultTypes() {
			lhs = append(lhs, jen.Id("_"))
		}
		calls = append(calls, jen.Block(
			jen.List(append(lhs, jen.Err())...).Op(":=").Add(call),
			jen.Id("check").Call(jen.Lit(m.opName), jen.Err())))
	}
	iiopQ := func(s string) *jen.Statement { return jen.Qual(iiopPath, s) }
	fatalIf := func() jen.Code {
		return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Id("t").Dot("Fatal").Call(jen.Err()))
	}
	body := []jen.Code{
		jen.List(jen.Id("disp"), jen.Err()).Op(":=").Qual(orbPath, "NewDispatcher").Call(iiopQ("ServerOptions").Values(jen.Dict{jen.Id("Addr"): jen.Lit("127.0.0.1:0")})),
		fatalIf(),
		jen.Defer().Id("disp").Dot("Close").Call(),
		jen.List(jen.Id("o"), jen.Err()).Op(":=").Qual(orbPath, "NewSimpleORB").Call(jen.Qual(orbPath, "SimpleORBOptions").Values(jen.Dict{jen.Id("Dispatcher"): jen.Id("disp")})),
		fatalIf(),
		jen.Id("key").Op(":=").Qual(orbPath, "KeyFromString").Call(jen.Lit("test:" + n)),
		jen.If(jen.Err().Op(":=").Id("o").Dot("Bind").Call(jen.Id("key"), jen.Id(n+"TypeID"), jen.Id("New"+n+"Adaptor").Call(jen.Op("&").Id(n).Values())), jen.Err().Op("!=").Nil()).Block(
			jen.Id("t").Dot("Fatal").Call(jen.Err())),
		jen.If(jen.Err().Op(":=").Id("o").Dot("Activate").Call(jen.Id("t").Dot("Context").Call()), jen.Err().Op("!=").Nil()).Block(jen.Id("t").Dot("Fatal").Call(jen.Err())),
		jen.List(jen.Id("ref"), jen.Err()).Op(":=").Id("o").Dot("IOR").Call(jen.Id("key")),
		fatalIf(),
		jen.Id("cl").Op(":=").Qual(iiopPath, "NewClient").Call(iiopQ("ClientOptions").Values()),
		jen.Defer().Id("cl").Dot("Close").Call(),
		jen.Id("c").Op(":=").Id("New"+n+"Client").Call(jen.Id("cl"), jen.Id("ref")),
		jen.List(jen.Id("ctx"), jen.Id("cancel")).Op(":=").Qual("context", "WithTimeout").Call(jen.Qual("context", "Background").Call(), jen.Lit(30).Op("*").Qual("time", "Second")),
		jen.Defer().Id("cancel").Call(),
		jen.Comment("A call may succeed, raise an exception its method chose, or NO_IMPLEMENT while the"),
		jen.Comment("method is not filled in; MARSHAL, BAD_OPERATION, a transport failure or an undecodable"),
		jen.Comment("reply mean the client and the server disagree."),
		jen.Id("check").Op(":=").Func().Params(jen.Id("op").String(), jen.Err().Error()).Block(
			jen.Id("t").Dot("Helper").Call(),
			jen.If(jen.Err().Op("==").Nil()).Block(jen.Return()),
			jen.Var().Id("user").Interface(jen.Id("RepoID").Params().String()),
			jen.If(jen.Qual("errors", "As").Call(jen.Err(), jen.Op("&").Id("user"))).Block(jen.Return()),
			jen.Var().Id("se").Op("*").Qual(iiopPath, "SystemException"),
			jen.If(jen.Op("!").Qual("errors", "As").Call(jen.Err(), jen.Op("&").Id("se"))).Block(
				jen.Id("t").Dot("Errorf").Call(jen.Lit("%s: %v"), jen.Id("op"), jen.Err()),
				jen.Return()),
			jen.Switch(jen.Id("se").Dot("Name").Call()).Block(
				jen.Case(iiopQ("ExcMarshal"), iiopQ("ExcBadOperation"), iiopQ("ExcTransient"), iiopQ("ExcCommFailure"), iiopQ("ExcObjectNotExist"), iiopQ("ExcInvObjref")).Block(
					jen.Id("t").Dot("Errorf").Call(jen.Lit("%s: %v"), jen.Id("op"), jen.Err()))),
		),
	}
	body = append(body, calls...)
	if g.opts.StateTransfer {
		body = append(body,
			jen.Comment("The state PushState writes is one GetState accepts."),
			jen.Var().Id("st").Qual("bytes", "Buffer"),
			jen.If(jen.Err().Op(":=").Id("New"+n+"Adaptor").Call(jen.Op("&").Id(n).Values()).Dot("PushState").Call(jen.Op("&").Id("st")), jen.Err().Op("!=").Nil()).Block(jen.Id("t").Dot("Fatal").Call(jen.Err())),
			jen.If(jen.Err().Op(":=").Id("New"+n+"Adaptor").Call(jen.Op("&").Id(n).Values()).Dot("GetState").Call(jen.Op("&").Id("st")), jen.Err().Op("!=").Nil()).Block(jen.Id("t").Dot("Fatal").Call(jen.Err())),
		)
	}
	f.Commentf("Test%sOverIIOP serves a %s through the Simple ORB on 127.0.0.1 and calls every", n, n)
	f.Comment("operation through the generated client.")
	f.Func().Id("Test" + n + "OverIIOP").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(body...)
	return fb, nil
}
