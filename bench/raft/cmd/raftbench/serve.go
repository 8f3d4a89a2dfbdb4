package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/maestro-go/maestro/bench/raft/internal/driver"
	"github.com/maestro-go/maestro/bench/raft/internal/report"
)

// cellRequest is one line a client writes in -serve mode.
type cellRequest struct {
	Size int    `json:"size"`
	Mode string `json:"mode"`
}

// serve runs the cells read from in, one JSON request per line, on the
// running cluster and writes each result as one JSON cell line to out, so
// that a caller (maestrobench) can interleave raft cells with its own.
// It returns at EOF on in; a failed cell, or replicas that diverged, end
// it with an error.
func serve(ctx context.Context, c *driver.Cluster, p driver.Plan, in io.Reader, out io.Writer, progress io.Writer) error {
	outcome := driver.Outcome{Consistent: true}
	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- append([]byte(nil), sc.Bytes()...):
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	for {
		var line []byte
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l, ok := <-lines:
			if !ok {
				if err := <-readErr; err != nil {
					return fmt.Errorf("serve: read requests: %w", err)
				}
				return nil
			}
			line = l
		}
		var req cellRequest
		if err := json.Unmarshal(line, &req); err != nil {
			return fmt.Errorf("serve: bad request %q: %w", line, err)
		}
		if req.Size < 1 {
			return fmt.Errorf("serve: bad size %d", req.Size)
		}
		cell, err := driver.RunCell(ctx, c, p, req.Size, req.Mode, &outcome)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		fmt.Fprintf(progress, "size %d %s: %d ops, %.0f msgs/s\n", cell.Size, cell.Mode, cell.Ops, cell.MsgsPerSec)
		if err := report.WriteJSON(out, cell); err != nil {
			return err
		}
		if !cell.ReplicasConsistent {
			return errors.New("replicas diverged: see the applied counts")
		}
	}
}
