package idl

import (
	"strconv"
	"strings"
)

// maxTokens bounds the tokens of one parse (all files together), so that
// hostile input cannot exhaust memory.
const maxTokens = 1 << 20

// lexer turns one file's text into tokens, running the preprocessor
// directives (see preprocess.go) as it meets them.
type lexer struct {
	file  string
	src   string
	off   int
	line  int
	col   int
	bol   bool // only white space so far on this line
	pp    *preprocessor
	conds []cond // open #if/#ifdef blocks of this file
	out   *[]token
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

// advance consumes one byte, tracking lines and columns.
func (l *lexer) advance() byte {
	c := l.src[l.off]
	l.off++
	if c == '\n' {
		l.line++
		l.col = 1
		l.bol = true
	} else {
		l.col++
		if c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v' {
			l.bol = false
		}
	}
	return c
}

func (l *lexer) emit(k tokenKind, text string, p Pos) *Error {
	if len(*l.out) >= maxTokens {
		return errorf(p, "too many tokens (more than %d)", maxTokens)
	}
	*l.out = append(*l.out, token{kind: k, text: text, pos: p})
	return nil
}

// run lexes the whole file.
func (l *lexer) run() *Error {
	for {
		if err := l.skipSpaceAndComments(); err != nil {
			return err
		}
		if l.off >= len(l.src) {
			if len(l.conds) > 0 {
				return errorf(l.conds[len(l.conds)-1].pos, "#%s without #endif", l.conds[len(l.conds)-1].directive)
			}
			return nil
		}
		if l.bol && l.src[l.off] == '#' {
			if err := l.directive(); err != nil {
				return err
			}
			continue
		}
		if !l.active() {
			l.skipLine()
			continue
		}
		if err := l.token(); err != nil {
			return err
		}
	}
}

// active reports whether the lines being read are not excluded by a
// conditional directive.
func (l *lexer) active() bool {
	for _, c := range l.conds {
		if !c.active {
			return false
		}
	}
	return true
}

func (l *lexer) skipLine() {
	for l.off < len(l.src) && l.src[l.off] != '\n' {
		l.advance()
	}
}

func (l *lexer) skipSpaceAndComments() *Error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance()
		case c == '/' && l.peekByte(1) == '/':
			l.skipLine()
		case c == '/' && l.peekByte(1) == '*':
			p := l.pos()
			bol := l.bol
			l.advance()
			l.advance()
			for {
				if l.off >= len(l.src) {
					return errorf(p, "comment not terminated")
				}
				if l.src[l.off] == '*' && l.peekByte(1) == '/' {
					l.advance()
					l.advance()
					break
				}
				l.advance()
			}
			l.bol = bol && l.bol
		default:
			return nil
		}
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// token lexes one token at the current offset.
func (l *lexer) token() *Error {
	p := l.pos()
	c := l.src[l.off]
	switch {
	case (c == 'L') && (l.peekByte(1) == '"' || l.peekByte(1) == '\''):
		l.advance()
		if l.src[l.off] == '"' {
			s, err := l.stringLit()
			if err != nil {
				return err
			}
			return l.emit(tWString, s, p)
		}
		s, err := l.charLit()
		if err != nil {
			return err
		}
		return l.emit(tWChar, s, p)
	case isLetter(c):
		start := l.off
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
			l.advance()
		}
		return l.emit(tIdent, l.src[start:l.off], p)
	case isDigit(c) || c == '.' && isDigit(l.peekByte(1)):
		return l.number(p)
	case c == '"':
		s, err := l.stringLit()
		if err != nil {
			return err
		}
		return l.emit(tString, s, p)
	case c == '\'':
		s, err := l.charLit()
		if err != nil {
			return err
		}
		return l.emit(tChar, s, p)
	}
	for _, op := range []string{"::", "<<", ">>"} {
		if strings.HasPrefix(l.src[l.off:], op) {
			l.advance()
			l.advance()
			return l.emit(tPunct, op, p)
		}
	}
	if strings.IndexByte(";{}:,()<>=[]|^&+-*/%~", c) >= 0 {
		l.advance()
		return l.emit(tPunct, string(c), p)
	}
	if c >= 0x80 || c < 0x20 {
		return errorf(p, "unexpected byte %#02x", c)
	}
	return errorf(p, "unexpected character %q", c)
}

// number lexes an integer, floating-point or fixed-point literal.
func (l *lexer) number(p Pos) *Error {
	start := l.off
	if l.src[l.off] == '0' && (l.peekByte(1) == 'x' || l.peekByte(1) == 'X') {
		l.advance()
		l.advance()
		digits := l.off
		for l.off < len(l.src) && strings.IndexByte("0123456789abcdefABCDEF", l.src[l.off]) >= 0 {
			l.advance()
		}
		if l.off == digits {
			return errorf(p, "hexadecimal literal without digits")
		}
		return l.checkEnd(p, tInt, l.src[start:l.off])
	}
	for l.off < len(l.src) && isDigit(l.src[l.off]) {
		l.advance()
	}
	kind := tInt
	if l.off < len(l.src) && l.src[l.off] == '.' {
		kind = tFloat
		l.advance()
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.advance()
		}
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		kind = tFloat
		l.advance()
		if l.off < len(l.src) && (l.src[l.off] == '+' || l.src[l.off] == '-') {
			l.advance()
		}
		digits := l.off
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.advance()
		}
		if l.off == digits {
			return errorf(p, "exponent without digits")
		}
	}
	if l.off < len(l.src) && (l.src[l.off] == 'd' || l.src[l.off] == 'D') {
		l.advance()
		return l.checkEnd(p, tFixed, l.src[start:l.off-1])
	}
	text := l.src[start:l.off]
	if kind == tInt && len(text) > 1 && text[0] == '0' {
		for _, d := range text[1:] {
			if d > '7' {
				return errorf(p, "invalid digit %q in octal literal %s", d, text)
			}
		}
	}
	return l.checkEnd(p, kind, text)
}

// checkEnd rejects a number immediately followed by a letter or digit.
func (l *lexer) checkEnd(p Pos, kind tokenKind, text string) *Error {
	if l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
		return errorf(p, "malformed number %s%c", text, l.src[l.off])
	}
	return l.emit(kind, text, p)
}

// escape decodes one escape sequence after a backslash.
func (l *lexer) escape() (string, *Error) {
	p := l.pos()
	if l.off >= len(l.src) {
		return "", errorf(p, "escape sequence at end of file")
	}
	c := l.advance()
	switch c {
	case 'n':
		return "\n", nil
	case 't':
		return "\t", nil
	case 'v':
		return "\v", nil
	case 'b':
		return "\b", nil
	case 'r':
		return "\r", nil
	case 'f':
		return "\f", nil
	case 'a':
		return "\a", nil
	case '\\', '?', '\'', '"':
		return string(c), nil
	case 'x', 'u':
		max := 2
		if c == 'u' {
			max = 4
		}
		start := l.off
		for l.off < len(l.src) && l.off-start < max && strings.IndexByte("0123456789abcdefABCDEF", l.src[l.off]) >= 0 {
			l.advance()
		}
		if l.off == start {
			return "", errorf(p, "\\%c escape without hexadecimal digits", c)
		}
		v, _ := strconv.ParseUint(l.src[start:l.off], 16, 32)
		if c == 'x' {
			return string([]byte{byte(v)}), nil
		}
		return string(rune(v)), nil
	}
	if c >= '0' && c <= '7' {
		v := uint64(c - '0')
		for i := 0; i < 2 && l.off < len(l.src) && l.src[l.off] >= '0' && l.src[l.off] <= '7'; i++ {
			v = v*8 + uint64(l.advance()-'0')
		}
		if v > 255 {
			return "", errorf(p, "octal escape out of range")
		}
		return string([]byte{byte(v)}), nil
	}
	return "", errorf(p, "unknown escape sequence \\%c", c)
}

// stringLit lexes "..." (the opening quote is current).
func (l *lexer) stringLit() (string, *Error) {
	p := l.pos()
	l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) || l.src[l.off] == '\n' {
			return "", errorf(p, "string literal not terminated")
		}
		c := l.advance()
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			s, err := l.escape()
			if err != nil {
				return "", err
			}
			if s == "\x00" {
				return "", errorf(p, "string literal holds a NUL character")
			}
			b.WriteString(s)
		default:
			b.WriteByte(c)
		}
	}
}

// charLit lexes 'c' (the opening quote is current).
func (l *lexer) charLit() (string, *Error) {
	p := l.pos()
	l.advance()
	if l.off >= len(l.src) || l.src[l.off] == '\n' || l.src[l.off] == '\'' {
		return "", errorf(p, "empty or unterminated character literal")
	}
	var s string
	if c := l.advance(); c == '\\' {
		var err *Error
		if s, err = l.escape(); err != nil {
			return "", err
		}
	} else {
		s = string([]byte{c})
		// A UTF-8 sequence is one wide character.
		for l.off < len(l.src) && l.src[l.off]&0xC0 == 0x80 {
			s += string([]byte{l.advance()})
		}
	}
	if l.off >= len(l.src) || l.src[l.off] != '\'' {
		return "", errorf(p, "character literal not terminated")
	}
	l.advance()
	return s, nil
}
