package gogen

import (
	"fmt"
	"go/token"
	"strings"

	"github.com/maestro-go/maestro/maestro/idl"
)

// method is one operation of the servant: an IDL operation or one side of
// an attribute.
type method struct {
	goName  string // Go method name
	opName  string // operation name on the wire
	idlName string // operation or attribute name in IDL
	oneway  bool
	result  idl.Type // nil for void
	params  []*idl.Param
	raises  []*idl.Exception
	pos     idl.Pos
}

// gen holds what the files of one interface share.
type gen struct {
	spec  *idl.Spec
	opts  Options
	iface *idl.Interface
	base  string // file name base: the lower-cased Name
	// methods in declaration order, base interfaces first.
	methods []*method
	// types reachable from the interface, each once, dependencies first.
	types  []idl.Decl
	consts []*idl.Const
	// names maps each Go name the generator defines at package level to
	// what defined it, to report collisions.
	names map[string]string
	// helpers used by the marshalling code.
	needBoundedString, needBoundedSeq bool
}

func newGen(spec *idl.Spec, opts Options) (*gen, error) {
	if opts.Package == "" {
		opts.Package = "main"
	}
	if opts.ORB == "" {
		opts.ORB = Simple
	}
	if opts.ORB != Simple && opts.ORB != ReplicatedUpdates {
		return nil, fmt.Errorf("gogen: unknown ORB %q (want %q or %q)", opts.ORB, Simple, ReplicatedUpdates)
	}
	if !token.IsIdentifier(opts.Name) || !token.IsExported(opts.Name) {
		return nil, fmt.Errorf("gogen: name %q is not an exported Go identifier (start it with a capital letter, e.g. Grid)", opts.Name)
	}
	d := spec.Lookup(opts.Interface)
	it, ok := d.(*idl.Interface)
	if !ok || it.Forward {
		return nil, fmt.Errorf("gogen: %q is not an interface defined in the IDL (interfaces: %s)", opts.Interface, interfaceList(spec))
	}
	g := &gen{spec: spec, opts: opts, iface: it, base: strings.ToLower(opts.Name), names: map[string]string{}}
	for _, n := range []string{opts.Name, opts.Name + "Servant", opts.Name + "Adaptor", opts.Name + "Client",
		opts.Name + "TypeID", "New" + opts.Name + "Adaptor", "New" + opts.Name + "Client"} {
		g.names[n] = "the generated code for " + opts.Name
	}
	if err := g.collectMethods(); err != nil {
		return nil, err
	}
	if err := g.collectTypes(); err != nil {
		return nil, err
	}
	for _, ro := range opts.ReadOnly {
		if !g.hasOperation(ro) {
			return nil, fmt.Errorf("gogen: read-only operation %q is not an operation of %s", ro, it.ScopedName())
		}
	}
	return g, nil
}

// interfaceList names the interfaces of spec for error messages.
func interfaceList(spec *idl.Spec) string {
	var names []string
	for _, it := range spec.Interfaces() {
		names = append(names, it.ScopedName())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// hasOperation reports whether op is a wire operation name of the servant.
func (g *gen) hasOperation(op string) bool {
	for _, m := range g.methods {
		if m.opName == op {
			return true
		}
	}
	return false
}

// claim records that what defines the Go name n, failing on a collision.
func (g *gen) claim(n, what string, pos idl.Pos) error {
	if old, ok := g.names[n]; ok {
		return fmt.Errorf("%s: %s maps to the Go name %s, already used by %s", pos, what, n, old)
	}
	g.names[n] = what
	return nil
}

// collectMethods lists the operations and attributes of the interface and
// its bases.
func (g *gen) collectMethods() error {
	seen := map[string]string{}
	// Bases first, each before the interfaces deriving from it.
	order := append(reverseBases(g.iface), g.iface)
	for _, it := range order {
		for _, d := range it.Defs {
			var ms []*method
			switch d := d.(type) {
			case *idl.Operation:
				ms = append(ms, &method{goName: Exported(d.Name), opName: d.Name, idlName: d.Name, oneway: d.Oneway,
					result: d.Result, params: d.Params, raises: d.Raises, pos: d.Pos})
			case *idl.Attribute:
				ms = append(ms, &method{goName: Exported(d.Name), opName: "_get_" + d.Name, idlName: d.Name, result: d.Type, pos: d.Pos})
				if !d.Readonly {
					ms = append(ms, &method{goName: "Set" + Exported(d.Name), opName: "_set_" + d.Name, idlName: d.Name,
						params: []*idl.Param{{Name: "value", Pos: d.Pos, Dir: idl.In, Type: d.Type}}, pos: d.Pos})
				}
			}
			for _, m := range ms {
				if old, ok := seen[m.goName]; ok {
					return fmt.Errorf("%s: %s maps to the Go method %s, as %s does", m.pos, m.opName, m.goName, old)
				}
				if m.goName == "PushState" || m.goName == "GetState" || m.goName == "Update" || m.goName == "ReadOnly" || m.goName == "IsA" {
					return fmt.Errorf("%s: %s maps to the Go method %s, which the ORB's adaptor reserves", m.pos, m.opName, m.goName)
				}
				seen[m.goName] = m.opName
				g.methods = append(g.methods, m)
			}
		}
	}
	return nil
}

// reverseBases lists the bases of it so that every base comes before the
// interfaces deriving from it.
func reverseBases(it *idl.Interface) []*idl.Interface {
	var out []*idl.Interface
	seen := map[*idl.Interface]bool{}
	var visit func(*idl.Interface)
	visit = func(x *idl.Interface) {
		for _, b := range x.Bases {
			if !seen[b] {
				seen[b] = true
				visit(b)
				out = append(out, b)
			}
		}
	}
	visit(it)
	return out
}

// collectTypes finds every named type the methods use, dependencies
// first, checks it can be mapped and claims its Go names; then the
// constants.
func (g *gen) collectTypes() error {
	seen := map[idl.Decl]bool{}
	var visit func(t idl.Type, pos idl.Pos) error
	visitDecl := func(d idl.Decl) error {
		if seen[d] {
			return nil
		}
		seen[d] = true
		info := d.Info()
		switch d := d.(type) {
		case *idl.Struct:
			if d.Forward {
				return fmt.Errorf("%s: struct %s is declared but never defined", info.Pos, info.ScopedName())
			}
			for _, m := range d.Members {
				if err := visit(m.Type, m.Pos); err != nil {
					return err
				}
			}
		case *idl.Exception:
			for _, m := range d.Members {
				if err := visit(m.Type, m.Pos); err != nil {
					return err
				}
			}
		case *idl.Union:
			if d.Forward {
				return fmt.Errorf("%s: union %s is declared but never defined", info.Pos, info.ScopedName())
			}
			if err := visit(d.Disc, info.Pos); err != nil {
				return err
			}
			for _, c := range d.Cases {
				if err := visit(c.Type, c.Pos); err != nil {
					return err
				}
			}
		case *idl.Typedef:
			if err := visit(d.Type, info.Pos); err != nil {
				return err
			}
		case *idl.Enum:
		case *idl.Interface:
			return fmt.Errorf("%s: object references (%s) are not supported as values", info.Pos, info.ScopedName())
		default:
			return fmt.Errorf("%s: %s cannot be mapped to Go", info.Pos, info.ScopedName())
		}
		if err := g.claimType(d); err != nil {
			return err
		}
		g.types = append(g.types, d)
		return nil
	}
	visit = func(t idl.Type, pos idl.Pos) error {
		switch t := t.(type) {
		case *idl.BasicType:
			switch t.Kind {
			case idl.Any, idl.Object, idl.ValueBase:
				return fmt.Errorf("%s: type %s is not supported by the Go mapping", pos, t.Kind)
			}
		case *idl.FixedType:
			return fmt.Errorf("%s: fixed-point types are not supported by the Go mapping", pos)
		case *idl.SequenceType:
			return visit(t.Elem, pos)
		case *idl.ArrayType:
			n := uint64(1)
			for _, d := range t.Dims {
				n *= uint64(d)
			}
			if n > 1<<20 {
				return fmt.Errorf("%s: an array of %d elements is too large for a Go array value", pos, n)
			}
			return visit(t.Elem, pos)
		case *idl.NamedType:
			return visitDecl(t.Decl)
		}
		return nil
	}
	for _, m := range g.methods {
		if m.result != nil {
			if err := visit(m.result, m.pos); err != nil {
				return err
			}
		}
		for _, p := range m.params {
			if err := visit(p.Type, p.Pos); err != nil {
				return err
			}
		}
		for _, e := range m.raises {
			if err := visitDecl(e); err != nil {
				return err
			}
		}
	}
	return g.collectConsts()
}

// claimType claims the Go names a type defines.
func (g *gen) claimType(d idl.Decl) error {
	info := d.Info()
	what := fmt.Sprintf("IDL %s", info.ScopedName())
	if err := g.claim(Exported(info.Name), what, info.Pos); err != nil {
		return err
	}
	switch d := d.(type) {
	case *idl.Enum:
		for _, e := range d.Members {
			if err := g.claim(enumConst(e), "IDL "+e.ScopedName(), e.Pos); err != nil {
				return err
			}
		}
	case *idl.Union:
		for _, c := range d.Cases {
			if Exported(c.Name) == "Disc" {
				return fmt.Errorf("%s: union member %s maps to the field Disc, which holds the discriminator", c.Pos, c.Name)
			}
		}
	}
	return nil
}

// enumConst is the Go constant of an enumerator: <Enum><Enumerator>.
func enumConst(e *idl.Enumerator) string { return Exported(e.Enum.Name) + Exported(e.Name) }

// collectConsts keeps the constants of the main file whose types map.
func (g *gen) collectConsts() error {
	var walk func([]idl.Decl) error
	walk = func(defs []idl.Decl) error {
		for _, d := range defs {
			switch d := d.(type) {
			case *idl.Module:
				if err := walk(d.Defs); err != nil {
					return err
				}
			case *idl.Interface:
				if err := walk(d.Defs); err != nil {
					return err
				}
			case *idl.Const:
				if d.Included {
					continue
				}
				if _, fixed := idl.Underlying(d.Type).(*idl.FixedType); fixed {
					continue
				}
				if d.Value.Kind == idl.EnumValue && !g.hasType(d.Value.Enum.Enum) {
					continue
				}
				if err := g.claim(Exported(d.Name), "IDL constant "+d.ScopedName(), d.Pos); err != nil {
					return err
				}
				g.consts = append(g.consts, d)
			}
		}
		return nil
	}
	return walk(g.spec.Defs)
}

func (g *gen) hasType(d idl.Decl) bool {
	for _, t := range g.types {
		if t == d {
			return true
		}
	}
	return false
}

// exceptions lists the exceptions any method raises, each once.
func (g *gen) exceptions() []*idl.Exception {
	var out []*idl.Exception
	seen := map[*idl.Exception]bool{}
	for _, m := range g.methods {
		for _, e := range m.raises {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}
