// Package omnibuild builds the omniORB C++ client and server used by
// Maestro's interop tests and benchmark from the IDL and sources embedded
// here (src/), with omniidl, g++ and pkg-config omniORB4. Builds are cached
// in the system temp directory under a hash of the sources, so all test
// packages of one run (and later runs) share one build.
package omnibuild

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

//go:embed src
var sources embed.FS

// Binaries are the built programs (see src/client.cc and src/server.cc for
// their command lines).
type Binaries struct {
	Dir    string
	Client string
	Server string
}

// ErrToolsMissing means the omniORB toolchain is not installed.
var ErrToolsMissing = errors.New("omniORB C++ toolchain missing (omniidl, g++, pkg-config omniORB4): run `make test` or ./scripts/install-test-deps.sh")

// Check reports ErrToolsMissing (with what is missing) unless omniidl, g++,
// catior and pkg-config's omniORB4 are available.
func Check() error {
	var missing []string
	for _, tool := range []string{"omniidl", "g++", "pkg-config", "catior"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		if err := exec.Command("pkg-config", "--exists", "omniORB4").Run(); err != nil {
			missing = append(missing, "omniORB4 development files")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w; not found: %s", ErrToolsMissing, strings.Join(missing, ", "))
	}
	return nil
}

var (
	onceMu  sync.Mutex
	onceBin *Binaries
)

// Cached builds once per process (and reuses a build from an earlier
// process with the same sources) and returns the binaries.
func Cached(ctx context.Context) (*Binaries, error) {
	onceMu.Lock()
	defer onceMu.Unlock()
	if onceBin != nil {
		return onceBin, nil
	}
	if err := Check(); err != nil {
		return nil, err
	}
	hash, err := sourceHash()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(os.TempDir(), "maestro-omnibuild-"+hash)
	b := binariesIn(dir)
	if exists(b.Client) && exists(b.Server) {
		onceBin = b
		return b, nil
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "maestro-omnibuild-tmp-")
	if err != nil {
		return nil, err
	}
	if _, err := Build(ctx, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	// Another package's test may have finished the same build meanwhile;
	// either build is fine.
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if !(exists(b.Client) && exists(b.Server)) {
			return nil, fmt.Errorf("omnibuild: installing build: %w", err)
		}
	}
	onceBin = b
	return b, nil
}

func binariesIn(dir string) *Binaries {
	return &Binaries{Dir: dir, Client: filepath.Join(dir, "client"), Server: filepath.Join(dir, "server")}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func sourceHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(sources, "src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := sources.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Build writes the sources into dir and compiles the client and server
// there. It takes a few tens of seconds.
func Build(ctx context.Context, dir string) (*Binaries, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	entries, err := sources.ReadDir("src")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := sources.ReadFile("src/" + e.Name())
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return nil, err
		}
	}
	flags, err := exec.CommandContext(ctx, "pkg-config", "--cflags", "--libs", "omniORB4").Output()
	if err != nil {
		return nil, fmt.Errorf("omnibuild: pkg-config omniORB4: %w", err)
	}
	ldflags := strings.Fields(string(flags))
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("omnibuild: %s %s: %w\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("omniidl", "-bcxx", "Grid.idl"); err != nil {
		return nil, err
	}
	if err := run("g++", "-O2", "-c", "-o", "GridSK.o", "GridSK.cc"); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, prog := range []string{"client", "server"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"-O2", "-pthread", "-o", prog, prog + ".cc", "GridSK.o"}, ldflags...)
			errs[i] = run("g++", args...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return binariesIn(dir), nil
}
