package primary

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// markContent is what a set reincarnation mark holds.
const markContent = "maestro reincarnation mark: this replica has run before (§4.4.4)\n"

// ErrStateDirInUse reports a state directory locked by another running
// member: two incarnations of one replica must never run at once.
var ErrStateDirInUse = errors.New("primary: state directory in use by another member")

// MarkFile returns the path of the reincarnation mark of the replica
// named name (the group) in dir.
func MarkFile(dir, name string) string {
	return filepath.Join(dir, sanitize(name)+".incarnation")
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}

// Reincarnate reads and sets the reincarnation mark of the replica named
// name in dir (§4.4.4): zombie reports whether the mark was already set,
// that is whether this replica ran before and may have lost state it had.
// The mark is set atomically and durably (written to a temporary file,
// synced, renamed, and the directory synced) before Reincarnate returns,
// so a crash at any point leaves either no mark or a whole one. The
// directory is created if missing and stays locked against other
// processes until unlock is called (or the process ends), since two
// incarnations of one replica must never run at once.
func Reincarnate(dir, name string) (zombie bool, unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, nil, fmt.Errorf("primary: state directory: %w", err)
	}
	unlock, err = lockDir(dir, name)
	if err != nil {
		return false, nil, err
	}
	path := MarkFile(dir, name)
	switch _, err := os.Stat(path); {
	case err == nil:
		zombie = true
	case !errors.Is(err, os.ErrNotExist):
		unlock()
		return false, nil, fmt.Errorf("primary: read reincarnation mark: %w", err)
	}
	if !zombie {
		if err := SetMark(dir, name); err != nil {
			unlock()
			return false, nil, err
		}
	}
	return zombie, unlock, nil
}

// SetMark sets the reincarnation mark of the replica named name in dir
// without reading it. An operator who replaces a replica's lost disk runs
// this (maestro's examples: -replace) on the new state directory before
// starting the replica, so that it starts as a zombie: a replica started
// on an empty directory counts as a replica that never ran, and could
// form a majority with a stale state (Fig 4.16).
func SetMark(dir, name string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("primary: state directory: %w", err)
	}
	path := MarkFile(dir, name)
	tmp, err := os.CreateTemp(dir, ".incarnation-*")
	if err != nil {
		return fmt.Errorf("primary: write reincarnation mark: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(markContent); err != nil {
		tmp.Close()
		return fmt.Errorf("primary: write reincarnation mark: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("primary: sync reincarnation mark: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("primary: write reincarnation mark: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("primary: set reincarnation mark: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("primary: sync state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("primary: sync state directory: %w", err)
	}
	return nil
}
