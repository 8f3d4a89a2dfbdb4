package idl

import "strings"

// Decl is a named definition: *Module, *Interface, *Operation,
// *Attribute, *Struct, *Exception, *Union, *Enum, *Enumerator, *Typedef,
// *Const or *Native.
type Decl interface {
	// Info returns what every definition has: name, position, scoped
	// name and repository id.
	Info() *DeclInfo
}

// DeclInfo is what every definition has.
type DeclInfo struct {
	// Name is the identifier as written (without a leading underscore
	// escape).
	Name string
	// Pos is where the identifier was written.
	Pos Pos
	// Scoped is the path of names from the outermost module, ending
	// with Name.
	Scoped []string
	// RepoID is the OMG repository id, IDL:prefix/Module/Name:1.0.
	RepoID string
	// Included is true for definitions read from an #include'd file.
	Included bool
}

// Info returns d itself.
func (d *DeclInfo) Info() *DeclInfo { return d }

// ScopedName returns the scoped name as IDL writes it: "A::B::C".
func (d *DeclInfo) ScopedName() string { return strings.Join(d.Scoped, "::") }

// Module is a module; a module opened several times is one *Module whose
// Defs hold every opening's definitions in order.
type Module struct {
	DeclInfo
	Defs []Decl
}

// Interface is an interface. A forward declaration not followed by the
// full definition has Forward set and no body.
type Interface struct {
	DeclInfo
	Forward  bool
	Abstract bool
	Local    bool
	// Bases are the direct base interfaces, in declaration order.
	Bases []*Interface
	// Defs are the operations, attributes, types, constants and
	// exceptions declared in the interface body, in order.
	Defs []Decl
}

// AllBases returns every interface this one inherits from, directly or
// not, each once, depth first in declaration order.
func (i *Interface) AllBases() []*Interface {
	var out []*Interface
	seen := map[*Interface]bool{}
	var walk func(*Interface)
	walk = func(x *Interface) {
		for _, b := range x.Bases {
			if !seen[b] {
				seen[b] = true
				out = append(out, b)
				walk(b)
			}
		}
	}
	walk(i)
	return out
}

// Dir is a parameter's direction.
type Dir int

// Parameter directions.
const (
	In Dir = iota
	Out
	InOut
)

// String returns the IDL keyword.
func (d Dir) String() string { return [...]string{"in", "out", "inout"}[d] }

// Param is an operation parameter.
type Param struct {
	Name string
	Pos  Pos
	Dir  Dir
	Type Type
}

// Operation is an operation of an interface.
type Operation struct {
	DeclInfo
	Oneway bool
	// Result is nil for void.
	Result Type
	Params []*Param
	Raises []*Exception
	// Context lists the names of a context clause (kept, not mapped).
	Context []string
}

// Attribute is one attribute of an interface (a declaration naming
// several attributes gives one Attribute each).
type Attribute struct {
	DeclInfo
	Readonly bool
	Type     Type
}

// Member is a member of a struct or exception.
type Member struct {
	Name string
	Pos  Pos
	Type Type
}

// Struct is a struct type.
type Struct struct {
	DeclInfo
	Members []*Member
	// Forward is set for a forward declaration never completed.
	Forward bool
}

// Exception is a user exception.
type Exception struct {
	DeclInfo
	Members []*Member
}

// UnionCase is one branch of a union: its labels (values of the
// discriminator type) or Default, and the member it selects.
type UnionCase struct {
	Labels  []Value
	Default bool
	Name    string
	Pos     Pos
	Type    Type
}

// Union is a discriminated union.
type Union struct {
	DeclInfo
	// Disc is the discriminator type: an integer, char, boolean or enum
	// type (possibly through typedefs).
	Disc    Type
	Cases   []*UnionCase
	Forward bool
}

// Enum is an enumeration.
type Enum struct {
	DeclInfo
	Members []*Enumerator
}

// Enumerator is a value of an enum; it is declared in the scope enclosing
// the enum.
type Enumerator struct {
	DeclInfo
	Enum  *Enum
	Value uint32
}

// Typedef names a type (a declaration with several declarators gives one
// Typedef each; array declarators give an *ArrayType).
type Typedef struct {
	DeclInfo
	Type Type
}

// Const is a constant with its evaluated value.
type Const struct {
	DeclInfo
	Type  Type
	Value Value
}

// Native is a native type declaration (kept, not mapped).
type Native struct {
	DeclInfo
}

// Spec is a parsed and resolved IDL specification.
type Spec struct {
	// Defs are the top-level definitions in order, those of included
	// files first where they were included.
	Defs []Decl
	root *scope
}

// Lookup finds a definition by its scoped name ("A::B", with or without a
// leading "::"), or returns nil.
func (s *Spec) Lookup(name string) Decl {
	name = strings.TrimPrefix(strings.TrimSpace(name), "::")
	if name == "" || s == nil || s.root == nil {
		return nil
	}
	sc := s.root
	parts := strings.Split(name, "::")
	for i, p := range parts {
		d := sc.decls[p]
		if d == nil {
			return nil
		}
		if i == len(parts)-1 {
			return d
		}
		if sc = sc.children[d]; sc == nil {
			return nil
		}
	}
	return nil
}

// Interfaces returns every interface with a body, in declaration order
// (depth first through modules).
func (s *Spec) Interfaces() []*Interface {
	var out []*Interface
	var walk func([]Decl)
	walk = func(defs []Decl) {
		for _, d := range defs {
			switch d := d.(type) {
			case *Module:
				walk(d.Defs)
			case *Interface:
				if !d.Forward {
					out = append(out, d)
				}
			}
		}
	}
	walk(s.Defs)
	return out
}
