package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/omnibuild"
)

var (
	shopOnce   sync.Once
	shopClient string
	shopErr    error
)

// buildShopClient compiles testdata/shop_client.cc against the C++
// mapping omniidl makes of the same Shop.idl the wizard reads, once per
// test binary.
func buildShopClient(t *testing.T) string {
	t.Helper()
	shopOnce.Do(func() {
		if shopErr = omnibuild.Check(); shopErr != nil {
			return
		}
		dir, err := os.MkdirTemp("", "maestro-wizard-shopclient-")
		if err != nil {
			shopErr = err
			return
		}
		for src, dst := range map[string]string{"../../maestro/idl/testdata/Shop.idl": "Shop.idl", "testdata/shop_client.cc": "client.cc"} {
			b, err := os.ReadFile(src)
			if err != nil {
				shopErr = err
				return
			}
			if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
				shopErr = err
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		flags, err := exec.CommandContext(ctx, "pkg-config", "--cflags", "--libs", "omniORB4").Output()
		if err != nil {
			shopErr = err
			return
		}
		for _, args := range [][]string{
			{"omniidl", "-bcxx", "Shop.idl"},
			append([]string{"g++", "-O0", "-pthread", "-o", "client", "client.cc", "ShopSK.cc"}, strings.Fields(string(flags))...),
		} {
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				shopErr = &buildError{args: args, out: string(out), err: err}
				return
			}
		}
		shopClient = filepath.Join(dir, "client")
	})
	require.NoError(t, shopErr)
	return shopClient
}

type buildError struct {
	args []string
	out  string
	err  error
}

func (e *buildError) Error() string {
	return strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.out
}
