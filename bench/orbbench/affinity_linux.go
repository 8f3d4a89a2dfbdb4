package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// setAffinity pins every thread of process pid to cpus.
func setAffinity(pid int, cpus []int) error {
	var mask [16]uint64 // 1024 CPUs
	for _, c := range cpus {
		mask[c/64] |= 1 << (c % 64)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return fmt.Errorf("pinning process %d: %w", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
		if e != 0 && e != syscall.ESRCH { // ESRCH: the thread has exited
			return fmt.Errorf("pinning thread %d of process %d: %w", tid, pid, e)
		}
	}
	return nil
}

// cpuSample is a process's CPU time: per thread from schedstat
// (nanoseconds), and in total from stat (clock ticks, but counting threads
// that have exited).
type cpuSample struct {
	threads map[string]time.Duration
	total   time.Duration
}

func sampleCPU(pid int) cpuSample {
	c := cpuSample{threads: map[string]time.Duration{}}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, _ := os.ReadDir(dir)
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			c.threads[t.Name()] = time.Duration(ns)
		}
	}
	c.total = statCPU(pid)
	return c
}

// cpuBetween is the CPU time used between two samples: exact if every
// thread of a is still there in b, else at clock-tick resolution.
func cpuBetween(a, b cpuSample) time.Duration {
	var d time.Duration
	for id, t0 := range a.threads {
		t1, ok := b.threads[id]
		if !ok {
			return b.total - a.total
		}
		d += t1 - t0
	}
	for id, t1 := range b.threads {
		if _, ok := a.threads[id]; !ok {
			d += t1
		}
	}
	return d
}

// statCPU is the user+system CPU time process pid has used, including
// threads that have exited, at clock-tick resolution.
func statCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// utime and stime are fields 14 and 15, counted from the pid; skip
	// the parenthesised command name, which may contain spaces.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100
