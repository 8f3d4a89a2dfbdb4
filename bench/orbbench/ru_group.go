package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

// ruGroupSpec says how to start a group of RU replica processes.
type ruGroupSpec struct {
	exe      string   // the program to run with -serve-ru (this one)
	env      []string // its environment (nil: this process's)
	dir      string   // where each replica's etc and state directories go
	name     string   // the group's name, unique to the run
	replicas int
	primary  bool // ProgressInPrimaryOnly
	portBase int
	version  iiop.Version
	args     []string // more flags for each replica (-giop, -readmode, ...)
	// cpuProfile, if set, has each replica write a CPU profile to
	// cpuProfile.<group>.r<i>.
	cpuProfile string
	// traceFile, if set, has each replica write an execution trace to
	// traceFile.<group>.r<i>.
	traceFile string
	log       io.Writer
}

// ruGroup is a running group of RU replicas, one process each.
type ruGroup struct {
	spec  ruGroupSpec
	procs []*child
	// iors[k] is a file holding the compound IOR with replica address k
	// first; iors[0] is the one the replicas published.
	iors []string
	// viewChanges counts the view changes the replicas reported after
	// the group was ready.
	viewChanges atomic.Int64
}

// child is a process whose exit is waited for in the background.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startRUGroup starts spec.replicas replica processes and waits until
// every one serves in a primary view of them all and has published the
// compound IOR listing them all (or ctx ends, or a replica exits). The
// caller must stop the group, also when this fails.
func startRUGroup(ctx context.Context, spec ruGroupSpec) (*ruGroup, error) {
	g := &ruGroup{spec: spec}
	// Every replica binds the object under one key: the compound IOR
	// carries one key for all its addresses.
	key, err := orb.NewKey(perfKeyName)
	if err != nil {
		return g, err
	}
	ready := make(chan int, spec.replicas)
	exited := make(chan int, spec.replicas)
	for i := range spec.replicas {
		rdir := filepath.Join(spec.dir, fmt.Sprintf("%s-r%d", spec.name, i))
		etc, state := filepath.Join(rdir, "etc"), filepath.Join(rdir, "state")
		for _, d := range []string{etc, state} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return g, err
			}
		}
		args := append([]string{"-serve-ru", etc, "-ru-group", spec.name, "-ru-key", key.String(),
			"-ru-replicas", strconv.Itoa(spec.replicas), "-ru-portbase", strconv.Itoa(spec.portBase),
			"-ru-statedir", state, "-ru-primary=" + strconv.FormatBool(spec.primary)}, spec.args...)
		if spec.cpuProfile != "" {
			args = append(args, "-cpuprofile", fmt.Sprintf("%s.%s.r%d", spec.cpuProfile, spec.name, i))
		}
		if spec.traceFile != "" {
			args = append(args, "-trace", fmt.Sprintf("%s.%s.r%d", spec.traceFile, spec.name, i))
		}
		cmd := exec.Command(spec.exe, args...)
		cmd.Env = spec.env
		cmd.SysProcAttr = childAttr()
		cmd.Stderr = spec.log
		cmd.Stdout = &lineWriter{fn: func(line string) {
			switch {
			case line == readyLine:
				ready <- i
			default:
				if strings.HasPrefix(line, viewLine) {
					g.viewChanges.Add(1)
				}
				fmt.Fprintf(spec.log, "orbbench: %s replica %d: %s\n", spec.name, i, line)
			}
		}}
		cmd.WaitDelay = 2 * time.Second
		if err := cmd.Start(); err != nil {
			return g, fmt.Errorf("starting RU replica: %w", err)
		}
		c := &child{cmd: cmd, done: make(chan struct{})}
		g.procs = append(g.procs, c)
		go func() {
			c.err = cmd.Wait()
			close(c.done)
			exited <- i
		}()
	}
	for n := 0; n < spec.replicas; {
		select {
		case <-ready:
			n++
		case i := <-exited:
			return g, fmt.Errorf("RU group %s: replica %d exited before the group formed: %v", spec.name, i, g.procs[i].err)
		case <-ctx.Done():
			return g, fmt.Errorf("RU group %s: %d of %d replicas ready: %w", spec.name, n, spec.replicas, ctx.Err())
		}
	}
	published := filepath.Join(spec.dir, fmt.Sprintf("%s-r0", spec.name), "etc", perfKeyName+".ior")
	addrs, err := readCompound(published)
	if err != nil {
		return g, err
	}
	if len(addrs) != spec.replicas {
		return g, fmt.Errorf("RU group %s: the published IOR lists %d replicas", spec.name, len(addrs))
	}
	g.iors = []string{published}
	for k := 1; k < len(addrs); k++ {
		rotated := append(append([]iiop.Addr(nil), addrs[k:]...), addrs[:k]...)
		ior := iiop.CompoundIOR(perfTypeID, key.Octets(), rotated, spec.version)
		path := filepath.Join(spec.dir, fmt.Sprintf("%s-first%d.ior", spec.name, k))
		if err := os.WriteFile(path, []byte(ior.String()+"\n"), 0o644); err != nil {
			return g, err
		}
		g.iors = append(g.iors, path)
	}
	return g, nil
}

// pids are the replicas' process ids.
func (g *ruGroup) pids() []int {
	var p []int
	for _, c := range g.procs {
		p = append(p, c.cmd.Process.Pid)
	}
	return p
}

// stop terminates every replica: SIGTERM, then SIGKILL for any still
// running after a second; it returns once all have exited (a few seconds
// at most).
func (g *ruGroup) stop() error {
	if g == nil {
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(g.procs))
	for i, c := range g.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.stop(time.Second)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stop sends SIGTERM, then SIGKILL after grace, and waits for the exit
// (bounded: WaitDelay covers the output copying).
func (c *child) stop(grace time.Duration) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
	}
	c.cmd.Process.Kill()
	select {
	case <-c.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("process %d did not exit after SIGKILL", c.cmd.Process.Pid)
	}
}

// alive reports whether the process has not exited yet.
func (c *child) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// lineWriter calls fn with every complete line written to it.
type lineWriter struct {
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.fn(line)
	}
}
