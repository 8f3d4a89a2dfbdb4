package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

const orbPath = "github.com/maestro-go/maestro/maestro/orb"

// serverFile holds the servant interface, the adaptor and the helpers
// that turn Go errors into CORBA exceptions.
func (g *gen) serverFile() (*fileBuilder, error) {
	fb := g.newFile(true, "")
	f := fb.f
	n := g.opts.Name
	servant, adaptor := n+"Servant", n+"Adaptor"
	ru := g.opts.ORB == ReplicatedUpdates

	f.Commentf("%sTypeID is the repository id of the IDL interface %s.", n, g.iface.ScopedName())
	f.Const().Id(n + "TypeID").Op("=").Lit(g.iface.RepoID)

	var methods []jen.Code
	for _, m := range g.methods {
		methods = append(methods, jen.Commentf("%s %s.", m.goName, m.describe()),
			jen.Id(m.goName).Params(m.servantParams()...).Params(m.servantResults()...))
	}
	if g.opts.StateTransfer {
		methods = append(methods,
			jen.Comment("PushState writes the object's whole state for a replica that needs it."),
			jen.Id("PushState").Params(jen.Id("w").Op("*").Qual(iiopPath, "Encoder")).Error(),
			jen.Comment("GetState replaces the object's state with one PushState wrote."),
			jen.Id("GetState").Params(jen.Id("r").Op("*").Qual(iiopPath, "Decoder")).Error())
	}
	f.Commentf("%s is the Go form of the IDL interface %s: one method per operation and attribute.", servant, g.iface.ScopedName())
	f.Comment("A method returning one of the IDL exceptions it raises (as a pointer) raises it; any other error")
	f.Comment("is a CORBA system exception: the *iiop.SystemException it is or wraps (see systemError), UNKNOWN otherwise.")
	f.Type().Id(servant).Interface(methods...)

	fields := []jen.Code{jen.Id("mu").Qual("sync", "Mutex"), jen.Id("impl").Id(servant)}
	if ru && !g.opts.StateTransfer {
		fields = append([]jen.Code{jen.Qual(orbPath, "NoState").Comment("no state transfer was chosen")}, fields...)
	}
	what := "the Simple ORB (orb.ObjectAdaptor)"
	if ru {
		what = "the Replicated Updates ORB (orb.RUObjectAdaptor, orb.ReadOnly)"
	}
	f.Commentf("%s serves a %s through %s: Update", adaptor, servant, what)
	f.Comment("unmarshals the arguments, calls the servant, and marshals its results or its exception.")
	f.Comment("Calls to the servant are serialised.")
	f.Type().Id(adaptor).Struct(fields...)
	if ru {
		f.Var().Defs(
			jen.Id("_").Qual(orbPath, "RUObjectAdaptor").Op("=").Parens(jen.Op("*").Id(adaptor)).Parens(jen.Nil()),
			jen.Id("_").Qual(orbPath, "ReadOnly").Op("=").Parens(jen.Op("*").Id(adaptor)).Parens(jen.Nil()),
			jen.Id("_").Qual(orbPath, "Inheritor").Op("=").Parens(jen.Op("*").Id(adaptor)).Parens(jen.Nil()),
		)
	} else {
		f.Var().Defs(
			jen.Id("_").Qual(orbPath, "ObjectAdaptor").Op("=").Parens(jen.Op("*").Id(adaptor)).Parens(jen.Nil()),
			jen.Id("_").Qual(orbPath, "Inheritor").Op("=").Parens(jen.Op("*").Id(adaptor)).Parens(jen.Nil()),
		)
	}
	f.Commentf("New%s returns an adaptor serving impl.", adaptor)
	f.Func().Id("New" + adaptor).Params(jen.Id("impl").Id(servant)).Op("*").Id(adaptor).Block(
		jen.Return(jen.Op("&").Id(adaptor).Values(jen.Dict{jen.Id("impl"): jen.Id("impl")})))

	g.updateMethod(f, adaptor)
	g.isAMethod(f, adaptor)
	if ru {
		g.readOnlyMethod(f, adaptor)
	}
	if g.opts.StateTransfer {
		g.stateMethods(f, adaptor)
	}
	g.errorHelpers(f)
	return fb, nil
}

// updateMethod writes the dispatcher.
func (g *gen) updateMethod(f *jen.File, adaptor string) {
	var cases []jen.Code
	for _, m := range g.methods {
		var body, args, results []jen.Code
		for i, p := range m.argParams() {
			a := fmt.Sprintf("a%d", i)
			body = append(body, jen.Id(a).Op(":=").Add(g.read(p.Type, "req", 0)))
			args = append(args, jen.Id(a))
		}
		if len(args) > 0 {
			body = append(body, jen.If(jen.Id("req").Dot("Err").Call().Op("!=").Nil()).Block(
				jen.Return(jen.Id("replySystem").Call(jen.Id("reply"), jen.Qual(iiopPath, "ExcMarshal"), jen.Qual(iiopPath, "CompletedNo")))))
		}
		rts := m.resultTypes()
		for i := range rts {
			results = append(results, jen.Id(fmt.Sprintf("r%d", i)))
		}
		results = append(results, jen.Err())
		body = append(body, jen.List(results...).Op(":=").Id("a").Dot("impl").Dot(m.goName).Call(args...))
		var onErr []jen.Code
		for i, e := range m.raises {
			x := fmt.Sprintf("x%d", i)
			en := Exported(e.Name)
			onErr = append(onErr,
				jen.Var().Id(x).Op("*").Id(en),
				jen.If(jen.Qual("errors", "As").Call(jen.Err(), jen.Op("&").Id(x)).Op("&&").Id(x).Op("!=").Nil()).Block(
					jen.Id("reply").Dot("WriteString").Call(jen.Lit(e.RepoID)),
					jen.Id("write"+en).Call(jen.Id("reply"), jen.Op("*").Id(x)),
					jen.Return(jen.Qual(iiopPath, "UserException"))))
		}
		onErr = append(onErr, jen.Return(jen.Id("replyError").Call(jen.Id("reply"), jen.Err())))
		body = append(body, jen.If(jen.Err().Op("!=").Nil()).Block(onErr...))
		for i, t := range rts {
			body = append(body, g.write(t, "reply", jen.Id(fmt.Sprintf("r%d", i)), 0))
		}
		body = append(body, jen.Return(jen.Qual(iiopPath, "NoException")))
		cases = append(cases, jen.Case(jen.Lit(m.opName)).Block(body...))
	}
	f.Comment("Update performs one operation; unknown operations get BAD_OPERATION, undecodable")
	f.Comment("arguments MARSHAL, both COMPLETED_NO.")
	f.Func().Params(jen.Id("a").Op("*").Id(adaptor)).Id("Update").Params(
		jen.Id("operation").String(), jen.Id("req").Op("*").Qual(iiopPath, "Decoder"), jen.Id("reply").Op("*").Qual(iiopPath, "Encoder"),
	).Qual(iiopPath, "ReplyStatus").Block(
		jen.Id("a").Dot("mu").Dot("Lock").Call(),
		jen.Defer().Id("a").Dot("mu").Dot("Unlock").Call(),
		jen.Switch(jen.Id("operation")).Block(cases...),
		jen.Return(jen.Id("replySystem").Call(jen.Id("reply"), jen.Qual(iiopPath, "ExcBadOperation"), jen.Qual(iiopPath, "CompletedNo"))),
	)
}

// isAMethod answers _is_a for the base interfaces.
func (g *gen) isAMethod(f *jen.File, adaptor string) {
	var ids []jen.Code
	for _, b := range g.iface.AllBases() {
		ids = append(ids, jen.Lit(b.RepoID))
	}
	f.Comment("IsA reports whether the object implements the interface repoID through inheritance")
	f.Comment("(the ORB answers its own type id itself).")
	body := []jen.Code{jen.Return(jen.False())}
	if len(ids) > 0 {
		body = []jen.Code{
			jen.Switch(jen.Id("repoID")).Block(jen.Case(ids...).Block(jen.Return(jen.True()))),
			jen.Return(jen.False()),
		}
	}
	f.Func().Params(jen.Id("a").Op("*").Id(adaptor)).Id("IsA").Params(jen.Id("repoID").String()).Bool().Block(body...)
}

// readOnlyMethod declares the read-only operations.
func (g *gen) readOnlyMethod(f *jen.File, adaptor string) {
	var ops []jen.Code
	for _, m := range g.methods {
		if contains(g.opts.ReadOnly, m.opName) && m.opName[0] != '_' {
			ops = append(ops, jen.Lit(m.opName))
		}
	}
	f.Comment("ReadOnly reports the operations that change nothing, which a replica may answer alone")
	f.Comment("(attribute reads, _get_*, are read-only without being listed).")
	body := []jen.Code{jen.Return(jen.False())}
	if len(ops) > 0 {
		body = []jen.Code{
			jen.Switch(jen.Id("operation")).Block(jen.Case(ops...).Block(jen.Return(jen.True()))),
			jen.Return(jen.False()),
		}
	}
	f.Func().Params(jen.Id("a").Op("*").Id(adaptor)).Id("ReadOnly").Params(jen.Id("operation").String()).Bool().Block(body...)
}

// stateMethods bridge the ORB's byte-stream state hooks to the servant's
// CDR ones.
func (g *gen) stateMethods(f *jen.File, adaptor string) {
	f.Comment("stateSyntax is how the state travels: big-endian CDR, GIOP 1.2 rules.")
	f.Var().Id("stateSyntax").Op("=").Qual(iiopPath, "Syntax").Values(jen.Dict{
		jen.Id("Order"):   jen.Qual(iiopPath, "BigEndian"),
		jen.Id("Version"): jen.Qual(iiopPath, "GIOP12"),
	})
	f.Comment("PushState writes the servant's state (the ORB calls it for a joining or stale replica).")
	f.Func().Params(jen.Id("a").Op("*").Id(adaptor)).Id("PushState").Params(jen.Id("w").Qual("io", "Writer")).Error().Block(
		jen.Id("a").Dot("mu").Dot("Lock").Call(),
		jen.Defer().Id("a").Dot("mu").Dot("Unlock").Call(),
		jen.Id("e").Op(":=").Qual(iiopPath, "NewEncoder").Call(jen.Id("stateSyntax"), jen.Lit(0)),
		jen.If(jen.Err().Op(":=").Id("a").Dot("impl").Dot("PushState").Call(jen.Id("e")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("pushing the state: %w"), jen.Err()))),
		jen.If(jen.Err().Op(":=").Id("e").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("encoding the state: %w"), jen.Err()))),
		jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("w").Dot("Write").Call(jen.Id("e").Dot("Bytes").Call()),
		jen.Return(jen.Err()),
	)
	f.Comment("GetState replaces the servant's state with one PushState wrote.")
	f.Func().Params(jen.Id("a").Op("*").Id(adaptor)).Id("GetState").Params(jen.Id("r").Qual("io", "Reader")).Error().Block(
		jen.List(jen.Id("b"), jen.Err()).Op(":=").Qual("io", "ReadAll").Call(jen.Id("r")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("reading the state: %w"), jen.Err()))),
		jen.Id("a").Dot("mu").Dot("Lock").Call(),
		jen.Defer().Id("a").Dot("mu").Dot("Unlock").Call(),
		jen.Id("d").Op(":=").Qual(iiopPath, "NewDecoder").Call(jen.Id("stateSyntax"), jen.Id("b"), jen.Lit(0)),
		jen.If(jen.Err().Op(":=").Id("a").Dot("impl").Dot("GetState").Call(jen.Id("d")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("loading the state: %w"), jen.Err()))),
		jen.If(jen.Err().Op(":=").Id("d").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("decoding the state: %w"), jen.Err()))),
		jen.Return(jen.Nil()),
	)
}

// errorHelpers writes the functions that map errors to system exceptions.
func (g *gen) errorHelpers(f *jen.File) {
	f.Comment("systemError returns an error that, returned by a servant method, raises the CORBA system")
	f.Comment("exception name (e.g. iiop.ExcBadParam) with COMPLETED_NO.")
	f.Func().Id("systemError").Params(jen.Id("name").String()).Error().Block(
		jen.Return(jen.Qual(iiopPath, "NewSystemException").Call(jen.Id("name"), jen.Qual(iiopPath, "OMGMinorBase").Op("|").Lit(1), jen.Qual(iiopPath, "CompletedNo"))))
	f.Comment("notImplemented is what a method not filled in yet returns: NO_IMPLEMENT.")
	f.Func().Id("notImplemented").Params(jen.Id("operation").String()).Error().Block(
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("%s is not implemented yet: %w"), jen.Id("operation"),
			jen.Id("systemError").Call(jen.Qual(iiopPath, "ExcNoImplement")))))
	f.Comment("replySystem writes a system exception reply.")
	f.Func().Id("replySystem").Params(jen.Id("reply").Op("*").Qual(iiopPath, "Encoder"), jen.Id("name").String(), jen.Id("completed").Qual(iiopPath, "CompletionStatus")).Qual(iiopPath, "ReplyStatus").Block(
		jen.Qual(iiopPath, "NewSystemException").Call(jen.Id("name"), jen.Qual(iiopPath, "OMGMinorBase").Op("|").Lit(1), jen.Id("completed")).Dot("Encode").Call(jen.Id("reply")),
		jen.Return(jen.Qual(iiopPath, "SystemExceptionReply")))
	f.Comment("replyError writes the system exception err is or wraps, or UNKNOWN (COMPLETED_MAYBE).")
	f.Func().Id("replyError").Params(jen.Id("reply").Op("*").Qual(iiopPath, "Encoder"), jen.Err().Error()).Qual(iiopPath, "ReplyStatus").Block(
		jen.Var().Id("se").Op("*").Qual(iiopPath, "SystemException"),
		jen.If(jen.Qual("errors", "As").Call(jen.Err(), jen.Op("&").Id("se")).Op("&&").Id("se").Op("!=").Nil()).Block(
			jen.Id("se").Dot("Encode").Call(jen.Id("reply")),
			jen.Return(jen.Qual(iiopPath, "SystemExceptionReply"))),
		jen.Return(jen.Id("replySystem").Call(jen.Id("reply"), jen.Qual(iiopPath, "ExcUnknown"), jen.Qual(iiopPath, "CompletedMaybe"))))
}
