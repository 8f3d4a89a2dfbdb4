package gogen

import (
	"github.com/dave/jennifer/jen"
)

// userFile is the file the user fills in: the type and one method per
// operation and attribute, each raising NO_IMPLEMENT until written.
func (g *gen) userFile() (*fileBuilder, error) {
	fb := g.newFile(false, "")
	f := fb.f
	n := g.opts.Name
	recv := receiverName(n)
	f.Commentf("%s implements the IDL interface %s (%s).", n, g.iface.ScopedName(), g.iface.RepoID)
	f.Comment("This file is yours: fill in the methods and add any fields; regenerating leaves it alone.")
	if g.opts.ORB == ReplicatedUpdates {
		f.Comment("Every replica runs every update in the same order: a method must depend only on the")
		f.Comment("object's state and its arguments (no clocks, no randomness, no I/O), or replicas diverge.")
	}
	f.Type().Id(n).Struct()
	for _, m := range g.methods {
		var ret []jen.Code
		for _, t := range m.resultTypes() {
			ret = append(ret, zero(t))
		}
		ret = append(ret, jen.Id("notImplemented").Call(jen.Lit(m.opName)))
		f.Commentf("%s %s.", m.goName, m.describe())
		f.Func().Params(jen.Id(recv).Op("*").Id(n)).Id(m.goName).Params(m.servantParams(recv)...).Params(m.servantResults()...).Block(
			jen.Return(ret...))
	}
	if g.opts.StateTransfer {
		f.Comment("PushState writes the whole state, for a replica that joins or has missed updates.")
		f.Func().Params(jen.Id(recv).Op("*").Id(n)).Id("PushState").Params(jen.Id("w").Op("*").Qual(iiopPath, "Encoder")).Error().Block(
			jen.Return(jen.Nil()))
		f.Comment("GetState replaces the state with one PushState wrote (read it in the same order).")
		f.Func().Params(jen.Id(recv).Op("*").Id(n)).Id("GetState").Params(jen.Id("r").Op("*").Qual(iiopPath, "Decoder")).Error().Block(
			jen.Return(jen.Nil()))
	}
	return fb, nil
}
