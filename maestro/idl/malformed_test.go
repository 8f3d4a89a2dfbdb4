package idl

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

var errNotFound = errors.New("no such file")

// TestMalformed: each snippet is rejected with an error at the position
// of the mistake, and a message that says what is wrong.
func TestMalformed(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"interface A { void f() }", 1, 24, "expected ';' after an operation"},
		{"interface A {\n  void f(in long x;\n};", 2, 19, "expected ',' between parameters"},
		{"interface A { void f(long x); };", 1, 22, "expected a parameter direction"},
		{"interface A { Foo f(); };", 1, 15, "Foo is not defined"},
		{"struct S { long a; long a; };", 1, 25, "member a declared twice"},
		{"struct S { };", 1, 12, "struct S has no members"},
		{"interface A {};\ninterface A {};", 2, 11, "A redefined"},
		{"interface A {}; interface a {};", 1, 27, "may not differ only in case"},
		{"typedef long T[0];", 1, 16, "array size must be a positive integer"},
		{"typedef sequence<long, -1> S;", 1, 24, "sequence bound must be a positive integer"},
		{"const short X = 40000;", 1, 17, "out of range for short"},
		{"const long X = 1 / 0;", 1, 18, "division by zero"},
		{"const long X = \"s\";", 1, 16, "a string value cannot be a long"},
		{"union U switch (float) { case 1: long a; };", 1, 17, "discriminator must be"},
		{"union U switch (long) { case 1: long a; case 1: long b; };", 1, 41, "case label 1 used twice"},
		{"interface A { oneway long f(); };", 1, 27, "must return void"},
		{"interface A { oneway void f(out long x); };", 1, 38, "only have in parameters"},
		{"exception E {}; interface A { void f() raises (A); };", 1, 48, "A is not an exception"},
		{"interface A : B {};", 1, 15, "B is not defined"},
		{"struct S; interface A : S {};", 1, 25, "not an interface"},
		{"struct S { S inner; };", 1, 12, "contains itself"},
		{"/* never closed\ninterface A {};", 1, 1, "comment not terminated"},
		{"const string S = \"abc;", 1, 18, "string literal not terminated"},
		{"interface A { void f(); };\n#ifdef X\n", 2, 1, "#ifdef without #endif"},
		{"#include \"missing.idl\"\n", 1, 1, "cannot include"},
		{"#frobnicate\n", 1, 1, "unknown preprocessor directive"},
		{"module M { };", 1, 8, "module M is empty"},
		{"interface A { void f(); void f(); };", 1, 30, "f redefined"},
		{"interface A { attribute long x; }; interface B : A { void x(); };", 1, 59, "already an operation or attribute"},
		{"enum E { a, b, a };", 1, 16, "a redefined"},
		{"const long X = 0x;", 1, 16, "hexadecimal literal without digits"},
		{"const long X = 09;", 1, 16, "invalid digit"},
		{"valuetype V {};", 1, 1, "not supported"},
		{"interface A { void f(in long x, in short x); };", 1, 42, "parameter x declared twice"},
		{"typedef long;", 1, 13, "expected type name, found ';'"},
		{"interface A { void interface(); };", 1, 20, "found keyword 'interface'"},
		{"const long X = 1 << 64;", 1, 18, "shift count 64 out of range"},
		{"interface A { void f(); };\n\x01", 2, 1, "unexpected byte"},
		{"interface A {", 1, 14, "missing '}'"},
		{"enum Color { red }; struct S { Color color; };", 1, 38, "member color clashes with the use of Color at bad.idl:1:32"},
		{"typedef long Words; interface A { void f(in Words words); };", 1, 51, "parameter words clashes with the use of Words"},
		{"typedef long Digest; interface A { Digest f(); void digest(); };", 1, 53, "declaration of digest clashes with the use of Digest"},
	}
	require.GreaterOrEqual(t, len(cases), 20)
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			opts := Options{ReadFile: func(string) ([]byte, error) { return nil, errNotFound }}
			_, err := Parse("bad.idl", []byte(c.src), opts)
			require.Error(t, err, "source: %q", c.src)
			e, ok := AsError(err)
			require.True(t, ok, "error %v is not positioned", err)
			require.Equal(t, Pos{File: "bad.idl", Line: c.line, Col: c.col}, e.Pos, "error: %v", err)
			require.Contains(t, e.Msg, c.msg)
			require.Regexp(t, `^bad\.idl:\d+:\d+: `, err.Error())
		})
	}
}
