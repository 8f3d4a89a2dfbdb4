package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/maestro-go/maestro/maestro/idl"
)

// argParams are the in and inout parameters of m: the method's arguments.
func (m *method) argParams() []*idl.Param {
	var out []*idl.Param
	for _, p := range m.params {
		if p.Dir != idl.Out {
			out = append(out, p)
		}
	}
	return out
}

// resultTypes are the method's results before error: the return value,
// then out and inout values in order.
func (m *method) resultTypes() []idl.Type {
	var out []idl.Type
	if m.result != nil {
		out = append(out, m.result)
	}
	for _, p := range m.params {
		if p.Dir != idl.In {
			out = append(out, p.Type)
		}
	}
	return out
}

// servantParams renders the arguments with IDL names, merging
// consecutive parameters of one type (n, m int16); taken names are
// avoided.
func (m *method) servantParams(taken ...string) []jen.Code {
	var out []jen.Code
	args := m.argParams()
	for i, p := range args {
		id := jen.Id(paramName(p.Name, taken...))
		if i+1 < len(args) && fmt.Sprintf("%#v", goType(args[i+1].Type)) == fmt.Sprintf("%#v", goType(p.Type)) {
			out = append(out, id)
			continue
		}
		out = append(out, id.Add(goType(p.Type)))
	}
	return out
}

// servantResults renders the results, error last.
func (m *method) servantResults() []jen.Code {
	var out []jen.Code
	for _, t := range m.resultTypes() {
		out = append(out, goType(t))
	}
	return append(out, jen.Error())
}

// describe says what IDL the method maps, for doc comments.
func (m *method) describe() string {
	switch {
	case m.opName == "_get_"+m.idlName:
		return fmt.Sprintf("returns the IDL attribute %s", m.idlName)
	case m.opName == "_set_"+m.idlName:
		return fmt.Sprintf("sets the IDL attribute %s", m.idlName)
	case m.oneway:
		return fmt.Sprintf("performs the IDL oneway operation %s", m.idlName)
	}
	return fmt.Sprintf("performs the IDL operation %s", m.idlName)
}
