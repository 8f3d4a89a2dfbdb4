package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// raftResult is one cell printed by bench/raft's raftbench -json.
type raftResult struct {
	Size       int     `json:"size"`
	Mode       string  `json:"mode"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"`
	P50us      float64 `json:"p50_us"`
	P99us      float64 `json:"p99_us"`
}

func key(size int, mode string) string { return strconv.Itoa(size) + "/" + mode }

// runRaft runs the reference benchmark in its own module.
func runRaft(o driverOptions, sizes []int) (map[string]*raftResult, error) {
	dir, err := raftDir()
	if err != nil {
		return nil, err
	}
	var ss []string
	for _, s := range sizes {
		ss = append(ss, strconv.Itoa(s))
	}
	cmd := exec.Command("go", "run", "./cmd/raftbench", "-json", "-sizes", strings.Join(ss, ","), "-duration", o.duration.String())
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	if o.verbose {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go run ./cmd/raftbench in %s: %w", dir, err)
	}
	res := map[string]*raftResult{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var r raftResult
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil && r.Mode != "" {
			res[key(r.Size, r.Mode)] = &r
		}
	}
	return res, nil
}

// raftDir finds bench/raft from the working directory upwards.
func raftDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "bench", "raft", "go.mod")
		if _, err := os.Stat(p); err == nil {
			return filepath.Dir(p), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("bench/raft not found above the working directory; run from the repository")
		}
		dir = parent
	}
}

// raftServer is bench/raft's raftbench in -serve mode: one raft cluster
// kept for the whole run, running the cells asked for one at a time, so
// that they interleave with maestro's.
type raftServer struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan []byte
	tmp   string
}

// startRaftServer builds raftbench into a temporary directory and starts
// it in -serve mode with the run's cell duration.
func startRaftServer(o driverOptions) (*raftServer, error) {
	dir, err := raftDir()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "maestrobench-raft-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "raftbench")
	build := exec.Command("go", "build", "-o", bin, "./cmd/raftbench")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("go build ./cmd/raftbench in %s: %w\n%s", dir, err, out)
	}
	cmd := exec.Command(bin, "-serve", "-duration", o.duration.String(), "-warmup", o.warmup.String())
	if o.verbose {
		cmd.Stderr = os.Stderr
	}
	in, out, err := startPiped(cmd)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	r := &raftServer{cmd: cmd, in: in, lines: make(chan []byte, 4), tmp: tmp}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- append([]byte(nil), sc.Bytes()...)
		}
		close(r.lines)
	}()
	return r, nil
}

// cell runs one raft cell: mode "seq" (sequential Apply) or "conc"
// (64-way pipelined Apply).
func (r *raftServer) cell(size int, mode string) (*raftResult, error) {
	if _, err := fmt.Fprintf(r.in, "{\"size\":%d,\"mode\":%q}\n", size, mode); err != nil {
		return nil, fmt.Errorf("raft %s %d B: %w", mode, size, err)
	}
	select {
	case b, ok := <-r.lines:
		if !ok {
			return nil, fmt.Errorf("raft %s %d B: raftbench exited (run with -v to see why)", mode, size)
		}
		var res raftResult
		if err := json.Unmarshal(b, &res); err != nil {
			return nil, fmt.Errorf("raft %s %d B: %q: %w", mode, size, b, err)
		}
		return &res, nil
	case <-time.After(5 * time.Minute):
		return nil, fmt.Errorf("raft %s %d B: no result", mode, size)
	}
}

func (r *raftServer) stop() {
	_ = r.in.Close()
	done := make(chan struct{})
	go func() {
		for range r.lines {
		}
		_ = r.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
	_ = os.RemoveAll(r.tmp)
}
