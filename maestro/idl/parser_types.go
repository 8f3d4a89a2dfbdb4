package idl

import "strings"

// baseType reads a basic type if one is next.
func (p *parser) baseType() (Type, bool) {
	t := p.peek()
	if t.kind != tIdent {
		return nil, false
	}
	kind := func(k BasicKind) (Type, bool) { return &BasicType{Kind: k}, true }
	switch t.text {
	case "short":
		p.next()
		return kind(Short)
	case "long":
		p.next()
		switch {
		case p.accept("long"):
			return kind(LongLong)
		case p.accept("double"):
			return kind(LongDouble)
		}
		return kind(Long)
	case "unsigned":
		p.next()
		switch {
		case p.accept("short"):
			return kind(UShort)
		case p.accept("long"):
			if p.accept("long") {
				return kind(ULongLong)
			}
			return kind(ULong)
		}
		p.fail(p.peek().pos, "expected short or long after unsigned, found %s", p.peek().describe())
	case "float":
		p.next()
		return kind(Float)
	case "double":
		p.next()
		return kind(Double)
	case "char":
		p.next()
		return kind(Char)
	case "wchar":
		p.next()
		return kind(WChar)
	case "boolean":
		p.next()
		return kind(Boolean)
	case "octet":
		p.next()
		return kind(Octet)
	case "any":
		p.next()
		return kind(Any)
	case "Object":
		p.next()
		return kind(Object)
	case "ValueBase":
		p.next()
		return kind(ValueBase)
	}
	return nil, false
}

// paramType reads a simple type: basic, string, wstring, sequence, fixed
// or a scoped name.
func (p *parser) paramType() Type {
	t := p.peek()
	defer p.nest(t.pos)()
	if b, ok := p.baseType(); ok {
		return b
	}
	switch {
	case p.is("string") || p.is("wstring"):
		wide := p.next().text == "wstring"
		st := &StringType{Wide: wide}
		if p.accept("<") {
			st.Bound = p.positive("string bound")
			p.closeAngle()
		}
		return st
	case p.is("sequence"):
		p.next()
		p.expect("<", "after sequence")
		p.seqNest++
		elem := p.paramType()
		p.seqNest--
		st := &SequenceType{Elem: elem}
		if p.accept(",") {
			st.Bound = p.positive("sequence bound")
		}
		p.closeAngle()
		return st
	case p.is("fixed"):
		p.next()
		ft := &FixedType{}
		if p.accept("<") {
			ft.Digits = p.positive("fixed digits")
			p.expect(",", "between fixed digits and scale")
			ft.Scale = p.nonNegative("fixed scale")
			p.closeAngle()
			if ft.Digits > 31 || ft.Scale > ft.Digits {
				p.fail(t.pos, "fixed<%d,%d>: digits must be at most 31 and scale at most digits", ft.Digits, ft.Scale)
			}
		}
		return ft
	case p.is("struct") || p.is("union") || p.is("enum"):
		p.fail(t.pos, "an anonymous %s cannot be used here: declare it with a name first", t.text)
	case t.kind == tIdent && keywords[t.text]:
		p.fail(t.pos, "expected a type, found keyword '%s'", t.text)
	case t.kind != tIdent && !p.is("::"):
		p.fail(t.pos, "expected a type, found %s", t.describe())
	}
	d := p.scopedName()
	switch d := d.(type) {
	case *Struct, *Union:
		if p.open[d] && p.seqNest == 0 {
			p.fail(t.pos, "%s contains itself: a recursive type must recur through a sequence", d.Info().ScopedName())
		}
	case *Enum, *Typedef, *Interface, *Native:
	default:
		p.fail(t.pos, "%s is not a type", d.Info().ScopedName())
	}
	return &NamedType{Name: strings.TrimSpace(t.text), Decl: d}
}

// closeAngle reads '>' (a '>>' closing two nested sequences is split).
func (p *parser) closeAngle() {
	t := p.peek()
	if t.kind == tPunct && t.text == ">>" {
		p.toks[p.i].text = ">"
		p.toks[p.i].pos.Col++
		return
	}
	p.expect(">", "closing a template type")
}

// typeSpec reads a type that may also be a struct, union or enum defined
// in place (it is then declared in the current scope too).
func (p *parser) typeSpec() Type {
	t, _ := p.typeSpecDecl()
	return t
}

// typeSpecDecl is typeSpec that also returns the definition made in
// place, if any.
func (p *parser) typeSpecDecl() (Type, Decl) {
	var d Decl
	switch {
	case p.is("struct"):
		s := p.structType()
		if s.Forward {
			p.fail(s.Pos, "struct %s is only declared here: define its members", s.Name)
		}
		d = s
	case p.is("union"):
		u := p.unionType()
		if u.Forward {
			p.fail(u.Pos, "union %s is only declared here: define its cases", u.Name)
		}
		d = u
	case p.is("enum"):
		d = p.enumType()
	default:
		return p.paramType(), nil
	}
	return &NamedType{Name: d.Info().Name, Decl: d}, d
}

// declarator reads name{[dim]} and returns the name and the type with the
// array dimensions applied.
func (p *parser) declarator(elem Type, what string) (string, Pos, Type) {
	name, pos := p.ident(what)
	var dims []uint32
	for p.accept("[") {
		dims = append(dims, p.positive("array size"))
		p.expect("]", "closing an array size")
	}
	if len(dims) > 0 {
		return name, pos, &ArrayType{Elem: elem, Dims: dims}
	}
	return name, pos, elem
}

// typeDcl reads typedef, struct, union, enum or native.
func (p *parser) typeDcl() []Decl {
	switch {
	case p.is("typedef"):
		p.next()
		elem, inPlace := p.typeSpecDecl()
		var out []Decl
		if inPlace != nil {
			out = append(out, inPlace) // typedef struct S {...} T; defines S too
		}
		for {
			name, pos, t := p.declarator(elem, "type name")
			td := &Typedef{DeclInfo: p.info(name, pos), Type: t}
			p.declare(td)
			out = append(out, td)
			if !p.accept(",") {
				break
			}
		}
		return out
	case p.is("native"):
		p.next()
		name, pos := p.ident("native type name")
		n := &Native{DeclInfo: p.info(name, pos)}
		p.declare(n)
		return []Decl{n}
	case p.is("struct"):
		return []Decl{p.structType()}
	case p.is("union"):
		return []Decl{p.unionType()}
	}
	return []Decl{p.enumType()}
}

// members reads struct or exception members up to '}'.
func (p *parser) members(owner string, allowEmpty bool) []*Member {
	var out []*Member
	seen := map[string]bool{}
	start := p.peek().pos
	for !p.is("}") {
		if p.peek().kind == tEOF {
			p.fail(p.peek().pos, "unexpected end of file in %s: missing '}'", owner)
		}
		elem := p.typeSpec()
		for {
			name, pos, t := p.declarator(elem, "member name")
			if seen[strings.ToLower(name)] {
				p.fail(pos, "member %s declared twice in %s", name, owner)
			}
			seen[strings.ToLower(name)] = true
			p.checkUse(name, pos, "member "+name)
			out = append(out, &Member{Name: name, Pos: pos, Type: t})
			if !p.accept(",") {
				break
			}
		}
		p.expect(";", "after a member")
	}
	if len(out) == 0 && !allowEmpty {
		p.fail(start, "%s has no members", owner)
	}
	return out
}

// structType reads a struct (or its forward declaration).
func (p *parser) structType() *Struct {
	p.next()
	name, pos := p.ident("struct name")
	s, _ := p.sc.decls[name].(*Struct)
	if s == nil || !s.Forward {
		s = &Struct{DeclInfo: p.info(name, pos), Forward: true}
		p.declare(s)
	}
	if p.is(";") {
		return s
	}
	p.expect("{", "to open struct "+name)
	s.Forward, s.Pos = false, pos
	p.open[s] = true
	p.enter(s)
	s.Members = p.members("struct "+name, false)
	p.leave()
	delete(p.open, s)
	p.next()
	return s
}

// exception reads an exception.
func (p *parser) exception() *Exception {
	p.next()
	name, pos := p.ident("exception name")
	e := &Exception{DeclInfo: p.info(name, pos)}
	p.declare(e)
	p.expect("{", "to open exception "+name)
	p.enter(e)
	e.Members = p.members("exception "+name, true)
	p.leave()
	p.next()
	return e
}

// enumType reads an enum; its enumerators are declared in the enclosing
// scope.
func (p *parser) enumType() *Enum {
	p.next()
	name, pos := p.ident("enum name")
	e := &Enum{DeclInfo: p.info(name, pos)}
	p.declare(e)
	p.expect("{", "to open enum "+name)
	for {
		mname, mpos := p.ident("enumerator")
		en := &Enumerator{DeclInfo: p.info(mname, mpos), Enum: e, Value: uint32(len(e.Members))}
		p.declare(en)
		e.Members = append(e.Members, en)
		if !p.accept(",") {
			break
		}
	}
	p.expect("}", "closing enum "+name)
	p.enter(e)
	p.leave()
	return e
}

// unionType reads a union.
func (p *parser) unionType() *Union {
	p.next()
	name, pos := p.ident("union name")
	u, _ := p.sc.decls[name].(*Union)
	if u == nil || !u.Forward {
		u = &Union{DeclInfo: p.info(name, pos), Forward: true}
		p.declare(u)
	}
	if p.is(";") {
		return u
	}
	u.Forward, u.Pos = false, pos
	p.expect("switch", "after the union name")
	p.expect("(", "after switch")
	dt := p.peek()
	var disc Type
	if p.is("enum") {
		disc = &NamedType{Name: "", Decl: p.enumType()}
	} else {
		disc = p.paramType()
	}
	if !validDisc(disc) {
		p.fail(dt.pos, "a union discriminator must be an integer, char, wchar, boolean or enum type")
	}
	u.Disc = disc
	p.expect(")", "after the discriminator type")
	p.expect("{", "to open union "+name)
	p.open[u] = true
	p.enter(u)
	seenLabel := map[string]Pos{}
	seenName := map[string]bool{}
	hasDefault := false
	for !p.is("}") {
		if p.peek().kind == tEOF {
			p.fail(p.peek().pos, "unexpected end of file in union %s: missing '}'", name)
		}
		c := &UnionCase{}
		for p.is("case") || p.is("default") {
			lt := p.next()
			if lt.text == "default" {
				if hasDefault {
					p.fail(lt.pos, "union %s has two default cases", name)
				}
				hasDefault, c.Default = true, true
			} else {
				v := p.constExpr()
				v = p.coerce(v, disc, lt.pos)
				key := v.String()
				if old, dup := seenLabel[key]; dup {
					p.fail(lt.pos, "case label %s used twice in union %s (first at %s)", key, name, old)
				}
				seenLabel[key] = lt.pos
				c.Labels = append(c.Labels, v)
			}
			p.expect(":", "after a case label")
		}
		if len(c.Labels) == 0 && !c.Default {
			p.fail(p.peek().pos, "expected case or default in union %s, found %s", name, p.peek().describe())
		}
		elem := p.typeSpec()
		c.Name, c.Pos, c.Type = p.declarator(elem, "union member name")
		if seenName[strings.ToLower(c.Name)] {
			p.fail(c.Pos, "member %s declared twice in union %s", c.Name, name)
		}
		seenName[strings.ToLower(c.Name)] = true
		p.checkUse(c.Name, c.Pos, "member "+c.Name)
		p.expect(";", "after a union member")
		u.Cases = append(u.Cases, c)
	}
	if len(u.Cases) == 0 {
		p.fail(pos, "union %s has no cases", name)
	}
	p.leave()
	delete(p.open, u)
	p.next()
	return u
}

// validDisc reports whether t may discriminate a union.
func validDisc(t Type) bool {
	switch u := Underlying(t).(type) {
	case *BasicType:
		return u.Kind.IsInteger() || u.Kind == Char || u.Kind == WChar || u.Kind == Boolean
	case *NamedType:
		_, ok := u.Decl.(*Enum)
		return ok
	}
	return false
}

// constDcl reads a constant declaration.
func (p *parser) constDcl() *Const {
	p.next()
	tt := p.peek()
	t := p.paramType()
	switch u := Underlying(t).(type) {
	case *BasicType:
		if u.Kind == Any || u.Kind == Object || u.Kind == ValueBase {
			p.fail(tt.pos, "a constant cannot have type %s", u.Kind)
		}
	case *StringType, *FixedType:
	case *NamedType:
		if _, ok := u.Decl.(*Enum); !ok {
			p.fail(tt.pos, "a constant must have a basic, string, fixed or enum type")
		}
	default:
		p.fail(tt.pos, "a constant must have a basic, string, fixed or enum type")
	}
	name, pos := p.ident("constant name")
	p.expect("=", "after the constant name")
	vt := p.peek()
	v := p.coerce(p.constExpr(), t, vt.pos)
	c := &Const{DeclInfo: p.info(name, pos), Type: t, Value: v}
	p.declare(c)
	return c
}
