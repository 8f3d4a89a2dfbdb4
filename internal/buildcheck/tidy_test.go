package buildcheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is the module root (two levels up from this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// copyTracked copies the repository's files (tracked, or new and not
// ignored) into a new directory.
func copyTracked(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, rel := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			continue // deleted in the work tree
		}
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func makeTidyCheck(t *testing.T, dir string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "tidy-check")
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// TestMakeTestRefusesUntidyGoMod: the tidy-check step of `make test`
// passes on the repository as it is and fails once go.mod says something
// `go mod tidy` would rewrite (a direct dependency marked indirect).
func TestMakeTestRefusesUntidyGoMod(t *testing.T) {
	root := repoRoot(t)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^test:.*\btidy-check\b`).Match(mk) {
		t.Fatal("make test does not run tidy-check")
	}
	dir := copyTracked(t, root)
	if out, err := makeTidyCheck(t, dir); err != nil {
		t.Fatalf("tidy-check fails on the repository as it is: %v\n%s", err, out)
	}
	gomod := filepath.Join(dir, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	direct := regexp.MustCompile(`(?m)^\tgithub.com/stretchr/testify v\S+$`)
	if !direct.Match(b) {
		t.Fatalf("go.mod has no direct testify requirement to spoil:\n%s", b)
	}
	b = direct.ReplaceAllFunc(b, func(line []byte) []byte { return append(line, " // indirect"...) })
	if err := os.WriteFile(gomod, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := makeTidyCheck(t, dir)
	if err == nil || !strings.Contains(out, "not tidy") {
		t.Fatalf("tidy-check passed an untidy go.mod (err %v):\n%s", err, out)
	}
}
