//go:build linux

package driver

import "syscall"

// sysProcAttr puts a node in its own process group (so a terminal's Ctrl-C
// reaches only the driver, which then shuts nodes down in order) and asks the
// kernel to SIGKILL the node if the driver dies without closing its stdin.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
