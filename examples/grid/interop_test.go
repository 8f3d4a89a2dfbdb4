package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

func omniBinaries(t *testing.T) *omnibuild.Binaries {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := omnibuild.Cached(ctx)
	if err != nil {
		t.Fatalf("building the omniORB test programs: %v", err)
	}
	return b
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startGrid runs the simple mode in-process, as `grid -mode simple -etc
// DIR -giop V` does, and returns the published reference once it serves.
func startGrid(t *testing.T, v iiop.Version, etc string) *iiop.IOR {
	t.Helper()
	key, err := orb.NewKey("Grid")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *iiop.IOR, 1)
	done := make(chan error, 1)
	cfg := config{Etc: etc, Listen: "127.0.0.1:0", GIOP: v, Key: key, Log: discardLogger(), Out: io.Discard, Ready: func(r *iiop.IOR) { ready <- r }}
	go func() { done <- runSimple(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("grid server: %v", err)
		}
	})
	select {
	case r := <-ready:
		return r
	case err := <-done:
		t.Fatalf("grid server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("grid server not ready")
	}
	return nil
}

// badKeyIOR writes a reference to the same server with a key nobody bound.
func badKeyIOR(t *testing.T, good *iiop.IOR, v iiop.Version) string {
	ps, err := good.IIOPProfiles()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bad.ior")
	bad := iiop.NewIOR(GridTypeID, []byte("MAE:00000000:NoSuchObject"), ps[0].Addr, v)
	if err := os.WriteFile(path, []byte(bad.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func requirePasses(t *testing.T, out string, err error, want int) {
	t.Helper()
	if err != nil || strings.Contains(out, "FAIL") || strings.Count(out, "PASS:") != want {
		t.Fatalf("omniORB client failed (err %v, want %d PASS lines):\n%s", err, want, out)
	}
}

// TestOmniORBClientAgainstGoGrid is the interop proof: the omniORB C++
// client built from the Grid IDL calls the Go Grid served by the Simple ORB
// through IORs of IIOP 1.0, 1.1 and 1.2, reading Grid.ior from the etc
// directory like the dissertation's client (§3.5.3).
func TestOmniORBClientAgainstGoGrid(t *testing.T) {
	b := omniBinaries(t)
	for _, v := range []iiop.Version{iiop.GIOP10, iiop.GIOP11, iiop.GIOP12} {
		t.Run(v.String(), func(t *testing.T) {
			etc := t.TempDir()
			ref := startGrid(t, v, etc)
			iorFile := filepath.Join(etc, "Grid.ior")
			if published, err := (&orb.Etc{Dir: etc}).Lookup("Grid"); err != nil || published.String() != ref.String() {
				t.Fatalf("Grid.ior: %v", err)
			}
			ctx := testCtx(t, 2*time.Minute)
			// The dissertation's client: width, height, set(2,4,123), get(2,4).
			out, err := b.RunClient(ctx, "grid", iorFile)
			requirePasses(t, out, err, 2)
			if !strings.Contains(out, "PASS: grid[2,4] is 123") {
				t.Fatalf("unexpected output:\n%s", out)
			}
			// Exceptions, unknown operation and key, a 100 KiB string,
			// non-ASCII strings, 8 client threads at once.
			want := 8
			if v == iiop.GIOP12 {
				want = 9 // plus the wide string
			}
			out, err = b.RunClient(ctx, "full", iorFile, badKeyIOR(t, ref, v), string('0'+rune(v.Minor)), "8")
			requirePasses(t, out, err, want)
		})
	}
}

// TestOmniORBNarrowCallsIsA: with a reference whose type id is the generic
// CORBA::Object, omniORB's Grid::_narrow asks the server _is_a("IDL:Grid:1.0")
// before the dissertation's client can run.
func TestOmniORBNarrowCallsIsA(t *testing.T) {
	b := omniBinaries(t)
	etc := t.TempDir()
	ref := startGrid(t, iiop.GIOP12, etc)
	generic := &iiop.IOR{TypeID: "IDL:omg.org/CORBA/Object:1.0", Profiles: ref.Profiles}
	path := filepath.Join(t.TempDir(), "generic.ior")
	if err := os.WriteFile(path, []byte(generic.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)
	out, err := b.RunClient(ctx, "-ORBtraceLevel", "40", "grid", path)
	requirePasses(t, out, err, 2)
	// The trace's hex dump shows the remote call (the name may wrap lines).
	if !strings.Contains(out, "_is_") || !strings.Contains(out, "most derived id: IDL:omg.org/CORBA/Object:1.0") {
		t.Fatalf("no remote _is_a in omniORB's trace:\n%s", out)
	}
}
