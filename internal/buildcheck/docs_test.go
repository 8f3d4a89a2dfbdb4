package buildcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsCiteOnlyRepositoryFiles: README and docs/ link only to files
// that exist in the repository, and name no file outside it.
func TestDocsCiteOnlyRepositoryFiles(t *testing.T) {
	root := repoRoot(t)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	outside := regexp.MustCompile(`(^|[\s(\x60])(\.\./|shared/|/work/)\S*`)
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, doc)
		for i, line := range strings.Split(string(b), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d names a file outside the repository: %s", name, i+1, strings.TrimSpace(m))
			}
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				p := filepath.Join(filepath.Dir(doc), target)
				if rel, err := filepath.Rel(root, p); err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s:%d links outside the repository: %s", name, i+1, target)
					continue
				}
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s:%d links to a missing file: %s", name, i+1, target)
				}
			}
		}
	}
}
