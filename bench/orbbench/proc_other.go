//go:build !linux

package main

import "syscall"

// childAttr is nil: only Linux kills children with their parent.
func childAttr() *syscall.SysProcAttr { return nil }
