package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
