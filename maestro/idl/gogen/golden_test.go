package gogen

import (
	"flag"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/idl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCases are the IDLs and options whose output is kept in
// testdata/golden/<name>.
var goldenCases = []struct {
	name string
	idl  string
	opts Options
}{
	{"grid-simple", "../testdata/Grid.idl", Options{Package: "main", Interface: "Grid", Name: "Grid", ORB: Simple}},
	{"grid-ru", "../testdata/Grid.idl", Options{Package: "main", Interface: "Grid", Name: "Grid", ORB: ReplicatedUpdates,
		ReadOnly: []string{"get"}, StateTransfer: true}},
	{"shop-ru", "../testdata/Shop.idl", Options{Package: "main", Interface: "Shop::Store", Name: "Store", ORB: ReplicatedUpdates,
		ReadOnly: []string{"list", "find", "ping"}, StateTransfer: false}},
}

func generate(t *testing.T, idlPath string, opts Options) []File {
	t.Helper()
	spec, err := idl.ParseFile(idlPath, idl.Options{})
	require.NoError(t, err)
	files, err := Generate(spec, opts)
	require.NoError(t, err)
	return files
}

// TestGolden: the generated files match testdata/golden (go test -update
// rewrites them), are gofmt-clean, carry the generated-code header except
// the user's file, and are the same bytes when generated twice.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			files := generate(t, c.idl, c.opts)
			again := generate(t, c.idl, c.opts)
			require.Equal(t, files, again, "generation is deterministic")
			dir := filepath.Join("testdata", "golden", c.name)
			if *update {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.MkdirAll(dir, 0o755))
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
				formatted, err := format.Source(f.Content)
				require.NoError(t, err)
				require.Equal(t, string(formatted), string(f.Content), "%s is gofmt-clean", f.Name)
				require.Equal(t, !f.UserOwned, strings.HasPrefix(string(f.Content), "// "+Header+"\n"), f.Name)
				golden := filepath.Join(dir, f.Name+".golden")
				if *update {
					require.NoError(t, os.WriteFile(golden, f.Content, 0o644))
					continue
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "run go test ./maestro/idl/gogen -update to create the golden files")
				require.Equal(t, string(want), string(f.Content), "%s differs from %s", f.Name, golden)
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, len(names), "no stale golden files")
		})
	}
}
