//go:build !linux

package main

import (
	"errors"
	"time"
)

func setAffinity(pid int, cpus []int) error {
	return errors.New("CPU pinning is only implemented on Linux (use -pin free)")
}

type cpuSample struct{}

func sampleCPU(pid int) cpuSample             { return cpuSample{} }
func cpuBetween(a, b cpuSample) time.Duration { return 0 }
