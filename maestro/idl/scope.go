package idl

import (
	"strings"
)

// scope is a naming scope: the file, a module, an interface, or a
// struct, union or exception (which scope their nested types).
type scope struct {
	parent   *scope
	owner    Decl // nil for the file
	path     []string
	decls    map[string]Decl
	lower    map[string]Decl // by lower-cased name: IDL names differing only in case collide
	children map[Decl]*scope
	iface    *Interface // set for interface scopes: inherited names are visible
	// used records, by lower-cased name, the unqualified names this
	// scope used that were found farther out: IDL forbids declaring
	// such a name (in any case) here afterwards.
	used map[string]use
}

// use is an unqualified use of a name defined in an enclosing scope.
type use struct {
	name string
	pos  Pos
}

func newScope(parent *scope, owner Decl, name string) *scope {
	s := &scope{parent: parent, owner: owner, decls: map[string]Decl{}, lower: map[string]Decl{}, children: map[Decl]*scope{}, used: map[string]use{}}
	if parent != nil {
		s.path = append(append([]string(nil), parent.path...), name)
		parent.children[owner] = s
	}
	return s
}

// find looks name up in s, then in the interfaces s inherits from
// (scopes maps each definition to the scope it opens).
func (s *scope) find(name string, scopes map[Decl]*scope) Decl {
	if d := s.decls[name]; d != nil {
		return d
	}
	if s.iface != nil {
		for _, b := range s.iface.AllBases() {
			if bs := scopes[b]; bs != nil {
				if d := bs.decls[name]; d != nil {
					return d
				}
			}
		}
	}
	return nil
}

// repoID builds the OMG repository id of name declared in s under prefix.
func (s *scope) repoID(prefix, name string) string {
	parts := append(append([]string(nil), s.path...), name)
	id := strings.Join(parts, "/")
	if prefix != "" {
		id = prefix + "/" + id
	}
	return "IDL:" + id + ":1.0"
}
