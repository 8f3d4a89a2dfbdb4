package omnibuild

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCachedBuild builds (or reuses) the C++ programs and checks that they
// run and print their usage.
func TestCachedBuild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := Cached(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(b.Client).CombinedOutput()
	if !strings.Contains(string(out), "usage: client") {
		t.Fatalf("client output %q", out)
	}
	again, err := Cached(ctx)
	if err != nil || again.Client != b.Client {
		t.Fatalf("second Cached = %v, %v", again, err)
	}
}
