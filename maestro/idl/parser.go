package idl

import "strings"

// parser is a recursive-descent parser over the token stream; it resolves
// names as it goes (IDL requires a name to be declared before it is used)
// and stops at the first error.
type parser struct {
	toks    []token
	i       int
	prefix  string
	saved   []string // prefixes of the including files
	inInc   int      // depth of #include being read
	root    *scope
	sc      *scope
	scopes  map[Decl]*scope
	open    map[Decl]bool // structs and unions whose body is being parsed
	seqNest int           // > 0 inside sequence<...>: an open type may recur there
	depth   int
}

// maxNesting bounds nested definitions, types and expressions.
const maxNesting = 200

func newParser(toks []token) *parser {
	root := newScope(nil, nil, "")
	return &parser{toks: toks, root: root, sc: root, scopes: map[Decl]*scope{}, open: map[Decl]bool{}}
}

func (p *parser) fail(pos Pos, format string, args ...any) {
	panic(bailout{errorf(pos, format, args...)})
}

// nest guards recursion depth; call the returned function when done.
func (p *parser) nest(pos Pos) func() {
	p.depth++
	if p.depth > maxNesting {
		p.fail(pos, "nested more than %d deep", maxNesting)
	}
	return func() { p.depth-- }
}

// peek returns the next real token, applying #pragma prefix and include
// markers on the way.
func (p *parser) peek() token {
	for {
		t := p.toks[p.i]
		switch t.kind {
		case tPrefix:
			p.prefix = t.text
		case tPushFile:
			p.saved = append(p.saved, p.prefix)
			p.prefix = ""
			p.inInc++
		case tPopFile:
			p.prefix = p.saved[len(p.saved)-1]
			p.saved = p.saved[:len(p.saved)-1]
			p.inInc--
		default:
			return t
		}
		p.i++
	}
}

func (p *parser) next() token {
	t := p.peek()
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// is reports whether the next token is the punctuation or keyword s.
func (p *parser) is(s string) bool {
	t := p.peek()
	return (t.kind == tPunct || t.kind == tIdent) && t.text == s
}

func (p *parser) accept(s string) bool {
	if p.is(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(s, context string) token {
	t := p.peek()
	if !p.is(s) {
		p.fail(t.pos, "expected '%s' %s, found %s", s, context, t.describe())
	}
	return p.next()
}

// ident reads an identifier (a keyword is not one; a leading underscore
// escapes a keyword and is dropped).
func (p *parser) ident(what string) (string, Pos) {
	t := p.peek()
	if t.kind != tIdent {
		p.fail(t.pos, "expected %s, found %s", what, t.describe())
	}
	if keywords[t.text] {
		p.fail(t.pos, "expected %s, found keyword '%s'", what, t.text)
	}
	p.next()
	name := strings.TrimPrefix(t.text, "_")
	if name == "" || !isLetter(name[0]) || name[0] == '_' {
		p.fail(t.pos, "%q is not a valid identifier", t.text)
	}
	return name, t.pos
}

// declare adds d to the current scope, rejecting a name already used
// there (IDL names that differ only in case collide too).
func (p *parser) declare(d Decl) {
	info := d.Info()
	key := strings.ToLower(info.Name)
	if old := p.sc.lower[key]; old != nil {
		o := old.Info()
		if o.Name == info.Name {
			p.fail(info.Pos, "%s redefined (first defined at %s)", info.Name, o.Pos)
		}
		p.fail(info.Pos, "%s collides with %s (first defined at %s): IDL names may not differ only in case", info.Name, o.Name, o.Pos)
	}
	p.checkUse(info.Name, info.Pos, "declaration of "+info.Name)
	p.sc.decls[info.Name] = d
	p.sc.lower[key] = d
}

// checkUse rejects declaring name in the current scope after the scope
// used a name that differs at most in case and was defined farther out
// (CORBA 3.0 §3.15.3; omniidl refuses such IDL too).
func (p *parser) checkUse(name string, pos Pos, what string) {
	if u, ok := p.sc.used[strings.ToLower(name)]; ok {
		p.fail(pos, "%s clashes with the use of %s at %s (an enclosing scope's name used here cannot be redefined here)", what, u.name, u.pos)
	}
}

// info fills the common part of a definition declared in the current scope.
func (p *parser) info(name string, pos Pos) DeclInfo {
	return DeclInfo{
		Name:     name,
		Pos:      pos,
		Scoped:   append(append([]string(nil), p.sc.path...), name),
		RepoID:   p.sc.repoID(p.prefix, name),
		Included: p.inInc > 0,
	}
}

// enter opens the scope of d.
func (p *parser) enter(d Decl) {
	s := newScope(p.sc, d, d.Info().Name)
	p.scopes[d] = s
	p.sc = s
}

func (p *parser) leave() { p.sc = p.sc.parent }

// definitions reads definitions until done reports true.
func (p *parser) definitions(done func() bool) []Decl {
	var out []Decl
	for !done() {
		if p.peek().kind == tEOF {
			p.fail(p.peek().pos, "unexpected end of file: missing '}'")
		}
		out = append(out, p.definition()...)
	}
	return out
}

// definition reads one definition and its semicolon.
func (p *parser) definition() []Decl {
	t := p.peek()
	defer p.nest(t.pos)()
	var out []Decl
	switch {
	case p.is("module"):
		if m := p.module(); m != nil {
			out = append(out, m)
		}
	case p.is("interface") || p.is("abstract") || p.is("local"):
		out = append(out, p.interfaceDcl())
	case p.is("exception"):
		out = append(out, p.exception())
	case p.is("const"):
		out = append(out, p.constDcl())
	case p.is("typedef") || p.is("struct") || p.is("union") || p.is("enum") || p.is("native"):
		out = append(out, p.typeDcl()...)
	case p.is("valuetype") || p.is("eventtype") || p.is("custom") || p.is("component") || p.is("home") ||
		p.is("typeid") || p.is("typeprefix") || p.is("import"):
		p.fail(t.pos, "'%s' is not supported (see the package documentation)", t.text)
	default:
		p.fail(t.pos, "expected a definition (module, interface, struct, union, enum, typedef, const, exception), found %s", t.describe())
	}
	p.expect(";", "after a definition")
	return out
}

// module reads a module; a reopened module adds to the first *Module and
// returns nil.
func (p *parser) module() *Module {
	p.next()
	name, pos := p.ident("module name")
	var m *Module
	reopened := false
	if old, ok := p.sc.decls[name].(*Module); ok {
		m, reopened = old, true
	} else {
		m = &Module{DeclInfo: p.info(name, pos)}
		p.declare(m)
		p.enter(m)
		p.leave()
	}
	p.expect("{", "after the module name")
	p.sc = p.scopes[m]
	defs := p.definitions(func() bool { return p.is("}") })
	p.leave()
	p.expect("}", "closing module "+name)
	if len(defs) == 0 && !reopened && len(m.Defs) == 0 {
		p.fail(pos, "module %s is empty", name)
	}
	m.Defs = append(m.Defs, defs...)
	if reopened {
		return nil
	}
	return m
}

// interfaceDcl reads an interface or its forward declaration.
func (p *parser) interfaceDcl() *Interface {
	abstract, local := p.accept("abstract"), false
	if !abstract {
		local = p.accept("local")
	}
	p.expect("interface", "")
	name, pos := p.ident("interface name")
	var it *Interface
	if old, ok := p.sc.decls[name].(*Interface); ok && old.Forward {
		it = old
		it.Pos = pos
	} else {
		it = &Interface{DeclInfo: p.info(name, pos), Forward: true}
		p.declare(it)
	}
	if p.is(";") {
		return it // forward declaration
	}
	if !it.Forward {
		p.fail(pos, "interface %s redefined (first defined at %s)", name, it.Pos)
	}
	it.Abstract, it.Local = abstract, local
	if p.accept(":") {
		for {
			bt := p.peek()
			d := p.scopedName()
			b, ok := d.(*Interface)
			switch {
			case !ok:
				p.fail(bt.pos, "%s is not an interface: an interface can only inherit from interfaces", d.Info().ScopedName())
			case b.Forward || b == it:
				p.fail(bt.pos, "interface %s cannot inherit from %s, which is not defined yet", name, b.ScopedName())
			}
			for _, o := range it.Bases {
				if o == b {
					p.fail(bt.pos, "interface %s inherits from %s twice", name, b.ScopedName())
				}
			}
			it.Bases = append(it.Bases, b)
			if !p.accept(",") {
				break
			}
		}
	}
	p.expect("{", "to open the body of interface "+name)
	it.Forward = false
	p.enter(it)
	p.sc.iface = it
	ops := map[string]Decl{}
	for _, b := range it.AllBases() {
		for _, d := range b.Defs {
			switch d.(type) {
			case *Operation, *Attribute:
				if o := ops[strings.ToLower(d.Info().Name)]; o != nil && o != d {
					p.fail(pos, "interface %s inherits two operations or attributes named %s (from %s and %s)",
						name, d.Info().Name, o.Info().ScopedName(), d.Info().ScopedName())
				}
				ops[strings.ToLower(d.Info().Name)] = d
			}
		}
	}
	for !p.is("}") {
		t := p.peek()
		if t.kind == tEOF {
			p.fail(t.pos, "unexpected end of file in interface %s: missing '}'", name)
		}
		var defs []Decl
		switch {
		case p.is("readonly") || p.is("attribute"):
			defs = p.attributes()
			p.expect(";", "after an attribute")
		case p.is("module") || p.is("interface"):
			p.fail(t.pos, "'%s' cannot be declared inside an interface", t.text)
		case p.is("exception") || p.is("const") || p.is("typedef") || p.is("struct") || p.is("union") || p.is("enum") || p.is("native"):
			defs = p.definition()
		default:
			defs = []Decl{p.operation()}
			p.expect(";", "after an operation")
		}
		for _, d := range defs {
			switch d.(type) {
			case *Operation, *Attribute:
				if o := ops[strings.ToLower(d.Info().Name)]; o != nil {
					p.fail(d.Info().Pos, "%s is already an operation or attribute of %s (from %s)", d.Info().Name, name, o.Info().ScopedName())
				}
				ops[strings.ToLower(d.Info().Name)] = d
			}
		}
		it.Defs = append(it.Defs, defs...)
	}
	p.next()
	p.leave()
	return it
}

// attributes reads an attribute declaration (one or more names).
func (p *parser) attributes() []Decl {
	ro := p.accept("readonly")
	p.expect("attribute", "")
	t := p.paramType()
	var out []Decl
	for {
		name, pos := p.ident("attribute name")
		a := &Attribute{DeclInfo: p.info(name, pos), Readonly: ro, Type: t}
		p.declare(a)
		out = append(out, a)
		if !p.accept(",") {
			break
		}
	}
	for p.is("raises") || p.is("getraises") || p.is("setraises") {
		p.next()
		p.raisesList()
	}
	return out
}

// operation reads an operation declaration.
func (p *parser) operation() *Operation {
	oneway := p.accept("oneway")
	var result Type
	if !p.accept("void") {
		result = p.paramType()
	}
	name, pos := p.ident("operation name")
	op := &Operation{DeclInfo: p.info(name, pos), Oneway: oneway, Result: result}
	p.declare(op)
	p.expect("(", "after the operation name")
	p.sc = newScope(p.sc, op, name) // the parameters' scope
	defer p.leave()
	seen := map[string]bool{}
	for !p.is(")") {
		if len(op.Params) > 0 {
			p.expect(",", "between parameters")
		}
		dt := p.peek()
		var dir Dir
		switch {
		case p.accept("in"):
			dir = In
		case p.accept("out"):
			dir = Out
		case p.accept("inout"):
			dir = InOut
		default:
			p.fail(dt.pos, "expected a parameter direction (in, out or inout), found %s", dt.describe())
		}
		typ := p.paramType()
		pname, ppos := p.ident("parameter name")
		if seen[strings.ToLower(pname)] {
			p.fail(ppos, "parameter %s declared twice", pname)
		}
		seen[strings.ToLower(pname)] = true
		p.checkUse(pname, ppos, "parameter "+pname)
		op.Params = append(op.Params, &Param{Name: pname, Pos: ppos, Dir: dir, Type: typ})
	}
	p.next()
	if p.accept("raises") {
		op.Raises = p.raisesList()
	}
	if p.accept("context") {
		p.expect("(", "after context")
		for {
			t := p.next()
			if t.kind != tString {
				p.fail(t.pos, "expected a string in the context clause, found %s", t.describe())
			}
			op.Context = append(op.Context, t.text)
			if !p.accept(",") {
				break
			}
		}
		p.expect(")", "closing the context clause")
	}
	if oneway {
		switch {
		case result != nil:
			p.fail(pos, "oneway operation %s must return void", name)
		case len(op.Raises) > 0:
			p.fail(pos, "oneway operation %s cannot raise exceptions", name)
		}
		for _, prm := range op.Params {
			if prm.Dir != In {
				p.fail(prm.Pos, "oneway operation %s can only have in parameters (%s is %s)", name, prm.Name, prm.Dir)
			}
		}
	}
	return op
}

// raisesList reads "(" scoped_name {, scoped_name} ")" naming exceptions.
func (p *parser) raisesList() []*Exception {
	p.expect("(", "after raises")
	var out []*Exception
	for {
		t := p.peek()
		d := p.scopedName()
		e, ok := d.(*Exception)
		if !ok {
			p.fail(t.pos, "%s is not an exception", d.Info().ScopedName())
		}
		for _, o := range out {
			if o == e {
				p.fail(t.pos, "exception %s listed twice", e.ScopedName())
			}
		}
		out = append(out, e)
		if !p.accept(",") {
			break
		}
	}
	p.expect(")", "closing the raises clause")
	return out
}

// scopedName reads and resolves a scoped name.
func (p *parser) scopedName() Decl {
	t := p.peek()
	var parts []string
	global := p.accept("::")
	for {
		name, _ := p.ident("a name")
		parts = append(parts, name)
		if !p.is("::") {
			break
		}
		p.next()
	}
	full := strings.Join(parts, "::")
	if global {
		full = "::" + full
	}
	var d Decl
	if global {
		d = p.root.find(parts[0], p.scopes)
	} else {
		for s := p.sc; s != nil && d == nil; s = s.parent {
			d = s.find(parts[0], p.scopes)
		}
		if d != nil && p.sc.decls[parts[0]] != d {
			key := strings.ToLower(parts[0])
			if _, seen := p.sc.used[key]; !seen {
				p.sc.used[key] = use{name: parts[0], pos: t.pos}
			}
		}
	}
	for _, part := range parts[1:] {
		if d == nil {
			break
		}
		s := p.scopes[d]
		if s == nil {
			p.fail(t.pos, "%s: %s has no members", full, d.Info().ScopedName())
		}
		d = s.find(part, p.scopes)
	}
	if d == nil {
		p.fail(t.pos, "%s is not defined", full)
	}
	return d
}
