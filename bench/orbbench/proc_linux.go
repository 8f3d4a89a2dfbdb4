package main

import "syscall"

// childAttr makes a child process die with this one (SIGKILL when the
// driver exits, however it exits), so that no replica outlives a run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
