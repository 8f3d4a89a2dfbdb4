package idl

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input makes the parser panic, and every error is
// positioned inside the input.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/Grid.idl", "testdata/Shop.idl"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("module M { typedef sequence<sequence<long,2>> S; union U switch(char) { case 'a': S s; }; };")
	f.Add("#if !defined(X)\nconst float F = 1.5e3 * (2 - 3.0);\n#else\n#endif\n")
	f.Add("interface A { void f(in string<5> s) context(\"x\"); }; interface B : ::A {};")
	f.Fuzz(func(t *testing.T, src string) {
		opts := Options{ReadFile: func(p string) ([]byte, error) {
			if filepath.Base(p) == "inc.idl" {
				return []byte(src), nil // an include of itself: the cycle must be caught
			}
			return nil, errNotFound
		}}
		spec, err := Parse("fuzz.idl", []byte(src), opts)
		if err != nil {
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("error without a position: %v", err)
			}
			if e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("bad position in %v", err)
			}
			return
		}
		for _, it := range spec.Interfaces() {
			_ = it.AllBases()
		}
	})
}
