//go:build unix

package primary

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on the replica's lock file in dir; the
// kernel drops it when the process ends, however it ends.
func lockDir(dir, name string) (func(), error) {
	path := filepath.Join(dir, sanitize(name)+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("primary: lock state directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrStateDirInUse, dir)
		}
		return nil, fmt.Errorf("primary: lock state directory: %w", err)
	}
	return func() { f.Close() }, nil
}
