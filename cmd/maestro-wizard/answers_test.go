package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readTree reads every file of dir by name.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

// TestSameAnswersSameFiles: identical answers give byte-identical
// projects; without a key each run makes a fresh one.
func TestSameAnswersSameFiles(t *testing.T) {
	t.Parallel()
	a := shopAnswers(t, "replicated-updates")
	require.Equal(t, readTree(t, generate(t, a)), readTree(t, generate(t, a)))

	one := readTree(t, generate(t, "wizard: simple\n"))
	two := readTree(t, generate(t, "wizard: simple\n"))
	require.NotEqual(t, one["main.go"], two["main.go"], "a fresh key each time")
	require.Regexp(t, `"MAE:[0-9a-f]+:Grid"`, one["main.go"])
	delete(one, "main.go")
	delete(two, "main.go")
	delete(one, "maestro-wizard.yaml")
	delete(two, "maestro-wizard.yaml")
	require.Equal(t, one, two, "only the key differs")
}

// TestNeverOverwrites: a second run into the same directory fails
// without -force and names the files; with -force the generated files
// are rewritten and the user's file is kept.
func TestNeverOverwrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ans := filepath.Join(dir, "a.yaml")
	require.NoError(t, os.WriteFile(ans, []byte("wizard: simple\nkey: MAE:0123456789abcdef:Grid\n"), 0o644))
	out := filepath.Join(dir, "p")
	args := []string{"-answers", ans, "-out", out, "-templates", filepath.Join(repoRoot(t), "templates"), "-replace", "none"}
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(args, nil, &stdout, &stderr))
	mine := []byte("package main\n\n// mine\n")
	require.NoError(t, os.WriteFile(filepath.Join(out, "grid.go"), mine, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(out, "grid_server.go"), []byte("stale"), 0o644))

	err := run(args, nil, &stdout, &stderr)
	require.ErrorContains(t, err, "use -force")
	require.ErrorContains(t, err, "grid_server.go")
	b, _ := os.ReadFile(filepath.Join(out, "grid_server.go"))
	require.Equal(t, "stale", string(b), "nothing written without -force")

	require.NoError(t, run(append(args, "-force"), nil, &stdout, &stderr))
	b, _ = os.ReadFile(filepath.Join(out, "grid_server.go"))
	require.Contains(t, string(b), "DO NOT EDIT")
	b, _ = os.ReadFile(filepath.Join(out, "grid.go"))
	require.Equal(t, mine, b, "the user's file is never overwritten")
	gomod, _ := os.ReadFile(filepath.Join(out, "go.mod"))
	require.NotContains(t, string(gomod), "replace", "-replace none")
}

// TestBadAnswers: each mistake is refused with the question it concerns
// and how to fix it.
func TestBadAnswers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.idl"), []byte("interface A { void f() };"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "two.idl"), []byte("interface A { void f(); }; interface B { long g(); };"), 0o644))
	cases := []struct{ answers, want string }{
		{"wizard: simple\nname: my-grid\n", `question "name" (Application name (Go type and file name)): "my-grid" is not an exported Go identifier; use letters and digits starting with a capital letter`},
		{"wizard: simple\nname: grid\n", `question "name"`},
		{"wizard: replicated-updates\nreplicas: 0\n", `question "replicas" (Number of replicas): 0 is less than 1; give a number of at least 1`},
		{"wizard: replicated-updates\nreplicas: three\n", `question "replicas" (Number of replicas): "three" is not a whole number`},
		{"wizard: simple\nidl: bad.idl\n", `question "idl" (IDL file (empty for the Grid of §3.5.1)): the IDL does not parse: ` + filepath.Join(dir, "bad.idl") + `:1:24: expected ';'`},
		{"wizard: simple\nidl: missing.idl\n", `question "idl"`},
		{"wizard: simple\nidl: two.idl\ninterface: Grid\n", `question "interface" (Interface to serve (IDL scoped name)): "Grid" is not an interface of the IDL; choose one of A, B`},
		{"wizard: replicated-updates\nreadonly: [get, frob]\n", `question "readonly" (Read-only operations (answered by one replica), comma-separated): "frob" is not an operation of Grid; choose among set, get`},
		{"wizard: replicated-updates\npartitions: some\n", `question "partitions" (Where may updates progress?): "some" is not one of all, majority`},
		{"wizard: replicated-updates\nreinstall_ior: maybe\n", `question "reinstall_ior"`},
		{"wizard: simple\nmodule: \"not a path\"\n", `question "module" (Go module path of the generated project): "not a path" is not a Go module path`},
		{"wizard: simple\nreplicas: 3\n", `"replicas" is not a question of the simple wizard; remove it`},
		{"wizard: clustered\n", `question "wizard": no wizard "clustered"; choose one of replicated-updates, simple`},
		{"name: Grid\n", `question "wizard": missing`},
	}
	for _, c := range cases {
		ans := filepath.Join(dir, "answers.yaml")
		require.NoError(t, os.WriteFile(ans, []byte(c.answers), 0o644))
		var stdout, stderr bytes.Buffer
		err := run([]string{"-answers", ans, "-out", filepath.Join(dir, "out"), "-templates", filepath.Join(repoRoot(t), "templates")}, nil, &stdout, &stderr)
		require.Error(t, err, c.answers)
		require.Contains(t, err.Error(), c.want, c.answers)
		_, statErr := os.Stat(filepath.Join(dir, "out"))
		require.True(t, os.IsNotExist(statErr), "nothing is written for bad answers")
	}
}

// TestPrintAnswers: -print-answers writes every default, commented, and
// is itself a valid answers file.
func TestPrintAnswers(t *testing.T) {
	t.Parallel()
	for _, w := range []string{"replicated-updates", "simple"} {
		var stdout, stderr bytes.Buffer
		tmpl := filepath.Join(repoRoot(t), "templates")
		require.NoError(t, run([]string{"-print-answers", "-wizard", w, "-templates", tmpl}, nil, &stdout, &stderr))
		require.Contains(t, stdout.String(), "wizard: "+w+"\n")
		require.Contains(t, stdout.String(), "# Application name")
		require.Contains(t, stdout.String(), "name: Grid\n")
		if w == "replicated-updates" {
			require.Contains(t, stdout.String(), "#   majority: in the majority partition only\n# sets ReplicatedUpdatesOptions.ProgressInPrimaryOnly (majority = true)\npartitions: majority\n")
			require.Contains(t, stdout.String(), "replicas: 3\n")
		}
		printed := strings.Replace(stdout.String(), "key: \"\"\n", "key: MAE:0123456789abcdef:Grid\n", 1)
		files := readTree(t, generate(t, printed))
		require.Contains(t, files, "grid.go")
	}
}

// TestTemplatesEnv: $MAESTRO_TEMPLATES names the repository when
// -templates is not given, and a template with an unknown key is refused.
func TestTemplatesEnv(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("name: x\norb: simple\ntitle: X\nquestions:\n  - key: colour\n    prompt: Colour?\n    kind: string\n"), 0o644))
	t.Setenv("MAESTRO_TEMPLATES", dir)
	var stdout, stderr bytes.Buffer
	err := run([]string{"-print-answers", "-wizard", "x"}, nil, &stdout, &stderr)
	require.ErrorContains(t, err, `key "colour" is not one the generator reads`)
}
