package idl

import (
	"path/filepath"
	"strings"
)

// maxIncludeDepth bounds nested #include directives.
const maxIncludeDepth = 32

// preprocessor holds what the directives of all files share: the macros
// defined (only their names matter: they serve #ifdef and include guards;
// they are not expanded), where includes are looked for and the files
// being read.
type preprocessor struct {
	defined  map[string]bool
	opts     Options
	stack    []string // files being read, outermost first
	included map[string]bool
}

// cond is an open #if/#ifdef/#ifndef block.
type cond struct {
	directive string
	pos       Pos
	active    bool // this branch is read
	taken     bool // some branch was read
	sawElse   bool
}

// lexFile lexes the file named name with contents src into out.
func (pp *preprocessor) lexFile(name, src string, out *[]token) *Error {
	pp.stack = append(pp.stack, name)
	defer func() { pp.stack = pp.stack[:len(pp.stack)-1] }()
	l := &lexer{file: name, src: src, line: 1, col: 1, bol: true, pp: pp, out: out}
	return l.run()
}

// directive reads and runs one preprocessor line (the current byte is '#').
func (l *lexer) directive() *Error {
	p := l.pos()
	l.advance()
	var line strings.Builder
	for l.off < len(l.src) && l.src[l.off] != '\n' {
		if l.src[l.off] == '\\' && l.peekByte(1) == '\n' {
			l.advance()
			l.advance()
			continue
		}
		if l.src[l.off] == '/' && (l.peekByte(1) == '/' || l.peekByte(1) == '*') {
			if err := l.skipSpaceAndComments(); err != nil {
				return err
			}
			if l.off < len(l.src) && l.src[l.off] == '\n' {
				break
			}
			line.WriteByte(' ')
			continue
		}
		line.WriteByte(l.advance())
	}
	name, rest, _ := strings.Cut(strings.TrimSpace(line.String()), " ")
	if i := strings.IndexAny(name, "\t\"<("); i > 0 {
		name, rest = name[:i], name[i:]+" "+rest
	}
	rest = strings.TrimSpace(rest)
	switch name {
	case "ifdef", "ifndef":
		if !isIdentifier(rest) {
			return errorf(p, "#%s needs a macro name", name)
		}
		v := l.pp.defined[rest] == (name == "ifdef")
		l.conds = append(l.conds, cond{directive: name, pos: p, active: v, taken: v})
		return nil
	case "if":
		v, err := l.ifExpr(p, rest)
		if err != nil {
			return err
		}
		l.conds = append(l.conds, cond{directive: name, pos: p, active: v, taken: v})
		return nil
	case "elif", "else":
		if len(l.conds) == 0 {
			return errorf(p, "#%s without #if", name)
		}
		c := &l.conds[len(l.conds)-1]
		if c.sawElse {
			return errorf(p, "#%s after #else", name)
		}
		v := !c.taken
		if name == "elif" {
			e, err := l.ifExpr(p, rest)
			if err != nil {
				return err
			}
			v = v && e
		} else {
			c.sawElse = true
		}
		c.active, c.taken = v, c.taken || v
		return nil
	case "endif":
		if len(l.conds) == 0 {
			return errorf(p, "#endif without #if")
		}
		l.conds = l.conds[:len(l.conds)-1]
		return nil
	}
	if !l.active() {
		return nil
	}
	switch name {
	case "":
		return nil // null directive
	case "define":
		macro, _, _ := strings.Cut(rest, " ")
		if i := strings.IndexAny(macro, "(\t"); i >= 0 {
			macro = macro[:i]
		}
		if !isIdentifier(macro) {
			return errorf(p, "#define needs a macro name")
		}
		l.pp.defined[macro] = true
	case "undef":
		delete(l.pp.defined, rest)
	case "include":
		return l.include(p, rest)
	case "pragma":
		return l.pragma(p, rest)
	case "error":
		return errorf(p, "#error %s", rest)
	case "warning", "line", "ident":
	default:
		if name != "" && isDigit(name[0]) {
			return nil // a line marker left by cpp
		}
		return errorf(p, "unknown preprocessor directive #%s", name)
	}
	return nil
}

// ifExpr evaluates the expressions #if supports: 0, 1, defined(X),
// defined X and their negation with !.
func (l *lexer) ifExpr(p Pos, s string) (bool, *Error) {
	s = strings.TrimSpace(s)
	neg := false
	for strings.HasPrefix(s, "!") {
		neg = !neg
		s = strings.TrimSpace(s[1:])
	}
	var v bool
	switch {
	case s == "0":
	case s == "1":
		v = true
	case strings.HasPrefix(s, "defined"):
		m := strings.TrimSpace(strings.TrimPrefix(s, "defined"))
		if strings.HasPrefix(m, "(") && strings.HasSuffix(m, ")") {
			m = strings.TrimSpace(m[1 : len(m)-1])
		}
		if !isIdentifier(m) {
			return false, errorf(p, "#if defined needs a macro name")
		}
		v = l.pp.defined[m]
	default:
		return false, errorf(p, "unsupported #if expression %q (use 0, 1 or defined(NAME))", s)
	}
	return v != neg, nil
}

// pragma handles #pragma prefix "p"; other pragmas are ignored.
func (l *lexer) pragma(p Pos, rest string) *Error {
	kind, arg, _ := strings.Cut(rest, " ")
	if kind != "prefix" {
		return nil // #pragma version, ID and others: ignored (see the package docs)
	}
	arg = strings.TrimSpace(arg)
	if len(arg) < 2 || arg[0] != '"' || arg[len(arg)-1] != '"' || strings.ContainsAny(arg[1:len(arg)-1], "\"\\") {
		return errorf(p, `#pragma prefix needs a string, as in #pragma prefix "omg.org"`)
	}
	return l.emit(tPrefix, arg[1:len(arg)-1], p)
}

// include reads an included file and splices its tokens.
func (l *lexer) include(p Pos, rest string) *Error {
	if len(rest) < 2 || !(rest[0] == '"' && rest[len(rest)-1] == '"' || rest[0] == '<' && rest[len(rest)-1] == '>') {
		return errorf(p, `#include needs "file" or <file>`)
	}
	name := rest[1 : len(rest)-1]
	if name == "" {
		return errorf(p, "#include of an empty file name")
	}
	var dirs []string
	if rest[0] == '"' {
		dirs = append(dirs, filepath.Dir(l.file))
	}
	dirs = append(dirs, l.pp.opts.IncludeDirs...)
	var (
		path string
		src  []byte
		err  error
	)
	for _, d := range dirs {
		path = name
		if !filepath.IsAbs(name) {
			path = filepath.Join(d, name)
		}
		if src, err = l.pp.opts.readFile(path); err == nil {
			break
		}
	}
	if err != nil || len(dirs) == 0 {
		if rest[0] == '<' && (name == "orb.idl" || strings.HasPrefix(name, "omg/")) {
			return nil // the ORB's own definitions: nothing this mapping needs
		}
		return errorf(p, "cannot include %q: not found (looked in %s)", name, strings.Join(dirs, ", "))
	}
	if len(l.pp.stack) >= maxIncludeDepth {
		return errorf(p, "includes nested more than %d deep", maxIncludeDepth)
	}
	for _, f := range l.pp.stack {
		if f == path {
			return errorf(p, "%s includes itself", path)
		}
	}
	if l.pp.included[path] {
		return nil // each file once: its definitions are already in the tree
	}
	l.pp.included[path] = true
	if err := l.emit(tPushFile, path, p); err != nil {
		return err
	}
	if err := l.pp.lexFile(path, string(src), l.out); err != nil {
		return err
	}
	return l.emit(tPopFile, path, p)
}

// isIdentifier reports whether s is an IDL identifier.
func isIdentifier(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}
