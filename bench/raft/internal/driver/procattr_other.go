//go:build !linux

package driver

import "syscall"

// sysProcAttr returns nil off Linux: nodes then rely on stdin EOF alone to
// notice that the driver is gone.
func sysProcAttr() *syscall.SysProcAttr { return nil }
