package gogen

import (
	"go/token"
	"strings"
	"unicode"
)

// Exported maps an IDL identifier to an exported Go name: the first
// letter of each underscore-separated part is upper-cased and the
// underscores dropped (get → Get, set_value → SetValue).
func Exported(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "_") {
		if part == "" {
			continue
		}
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	if b.Len() == 0 {
		return "X"
	}
	return b.String()
}

// unexported lower-cases the first letter of Exported(name).
func unexported(name string) string {
	r := []rune(Exported(name))
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// predeclared are Go's predeclared identifiers: a parameter named like
// one would shadow it.
var predeclared = map[string]bool{
	"any": true, "append": true, "bool": true, "byte": true, "cap": true, "clear": true, "close": true,
	"comparable": true, "complex": true, "complex128": true, "complex64": true, "copy": true,
	"delete": true, "error": true, "false": true, "float32": true, "float64": true, "imag": true,
	"int": true, "int16": true, "int32": true, "int64": true, "int8": true, "iota": true, "len": true,
	"make": true, "max": true, "min": true, "new": true, "nil": true, "panic": true, "print": true,
	"println": true, "real": true, "recover": true, "rune": true, "string": true, "true": true,
	"uint": true, "uint16": true, "uint32": true, "uint64": true, "uint8": true, "uintptr": true,
	// names the generated code uses for its own locals and packages
	"ctx": true, "err": true, "rep": true, "iiop": true, "orb": true, "fmt": true, "errors": true,
	"io": true, "context": true, "sync": true,
}

// paramName maps an IDL parameter name to a Go parameter name that is
// neither a keyword, a predeclared identifier nor one of taken.
func paramName(name string, taken ...string) string {
	n := unexported(name)
	for token.IsKeyword(n) || predeclared[n] || contains(taken, n) {
		n += "_"
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// receiverName is the one-letter receiver of the user's type.
func receiverName(typeName string) string {
	return strings.ToLower(string([]rune(typeName)[0]))
}
