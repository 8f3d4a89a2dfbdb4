package proctest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// unprivileged is set in a test binary re-run by Unprivileged.
const unprivileged = "MAESTRO_TEST_UNPRIVILEGED"

// Unprivileged runs the calling test again, alone, as user nobody with no
// capabilities, and fails if it fails there. It reports whether the
// caller is that run: a test starts with
//
//	if !proctest.Unprivileged(t) {
//		return
//	}
//
// and its body then runs only as nobody. It needs root and setpriv
// (util-linux), as `make test` has in CI.
func Unprivileged(t *testing.T) bool {
	t.Helper()
	if os.Getenv(unprivileged) != "" {
		return true
	}
	if os.Geteuid() != 0 {
		t.Fatal("this test runs part of itself as another user and must run as root (make test runs as root in CI)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatal("setpriv (util-linux) is missing: run ./scripts/install-test-deps.sh or make test")
	}
	// A copy of the test binary that nobody may run: the build directory
	// is private to root.
	dir, err := os.MkdirTemp("", "maestro-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "test")
	if err := copyExecutable(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Rerun(t, "as nobody", unprivileged, dir, bin,
		setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all")
	return false
}

func copyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
