package idl

import (
	"errors"
	"fmt"
	"os"
)

// Options configure a parse.
type Options struct {
	// IncludeDirs are searched for #include files after the including
	// file's own directory ("file") or alone (<file>).
	IncludeDirs []string
	// ReadFile reads included files (default os.ReadFile); tests and
	// fuzzers give one that reads from memory.
	ReadFile func(path string) ([]byte, error)
}

func (o Options) readFile(path string) ([]byte, error) {
	if o.ReadFile != nil {
		return o.ReadFile(path)
	}
	return os.ReadFile(path)
}

// maxSource bounds one source file (16 MiB).
const maxSource = 16 << 20

// ParseFile reads and parses the IDL file at path.
func ParseFile(path string, opts Options) (*Spec, error) {
	src, err := opts.readFile(path)
	if err != nil {
		return nil, fmt.Errorf("idl: %w", err)
	}
	return Parse(path, src, opts)
}

// Parse parses src, naming it name in positions. The error, if any, is an
// *Error giving the position.
func Parse(name string, src []byte, opts Options) (spec *Spec, err error) {
	if len(src) > maxSource {
		return nil, errorf(Pos{File: name, Line: 1, Col: 1}, "file larger than %d bytes", maxSource)
	}
	pp := &preprocessor{defined: map[string]bool{}, opts: opts, included: map[string]bool{name: true}}
	var toks []token
	if perr := pp.lexFile(name, string(src), &toks); perr != nil {
		return nil, perr
	}
	toks = append(toks, token{kind: tEOF, pos: endOf(name, src)})
	p := newParser(toks)
	defer func() {
		if r := recover(); r != nil {
			var e *Error
			if pe, ok := r.(bailout); ok {
				e = pe.err
			} else {
				panic(r) // a bug, not bad input
			}
			spec, err = nil, e
		}
	}()
	defs := p.definitions(func() bool { return p.peek().kind == tEOF })
	return &Spec{Defs: defs, root: p.root}, nil
}

// bailout carries a parse error up to Parse.
type bailout struct{ err *Error }

// AsError returns err as an *Error if it is one (possibly wrapped).
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// endOf is the position just past the last byte of src.
func endOf(name string, src []byte) Pos {
	p := Pos{File: name, Line: 1, Col: 1}
	for _, c := range src {
		if c == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	return p
}
