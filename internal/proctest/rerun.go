package proctest

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Rerun runs the calling test again, alone, from the test binary bin
// under the command wrapper (the words before bin, at least one: `ip netns
// exec NAME`, `setpriv …`), in dir (empty: the current directory), with the
// environment variable env set to 1 so that the run knows itself; it fails
// t unless the test passes there. where names the place in failures ("in
// the namespace").
func Rerun(t *testing.T, where, env, dir, bin string, wrapper ...string) {
	t.Helper()
	args := append(slices.Clone(wrapper[1:]), bin, "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd := exec.Command(wrapper[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", where, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s, %s did not pass:\n%s", where, t.Name(), out)
	}
}
