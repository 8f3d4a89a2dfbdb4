package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/control"
)

// proc is one node process and its control pipes.
type proc struct {
	id      string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	enc     *json.Encoder
	replies chan control.Reply // closed when the node's stdout ends
	exited  chan struct{}      // closed once cmd.Wait returned
	waitErr error              // valid after exited is closed
}

// spawn starts exe with args; the node's stderr goes to stderr.
func spawn(exe string, args []string, id string, stderr io.Writer) (*proc, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stderr = stderr
	cmd.SysProcAttr = sysProcAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("node %s: stdin pipe: %w", id, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("node %s: stdout pipe: %w", id, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("node %s: start %s: %w", id, exe, err)
	}
	p := &proc{
		id: id, cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin),
		replies: make(chan control.Reply, 4), exited: make(chan struct{}),
	}
	go p.readLoop(stdout)
	return p, nil
}

// readLoop forwards replies until stdout ends, then reaps the process.
func (p *proc) readLoop(stdout io.Reader) {
	dec := json.NewDecoder(stdout)
	for {
		var rep control.Reply
		if err := dec.Decode(&rep); err != nil {
			break
		}
		p.replies <- rep
	}
	close(p.replies)
	p.waitErr = p.cmd.Wait()
	close(p.exited)
}

// next waits for the next reply, bounded by timeout and ctx.
func (p *proc) next(ctx context.Context, timeout time.Duration) (control.Reply, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case rep, ok := <-p.replies:
		if !ok {
			return control.Reply{}, p.exitError()
		}
		return rep, nil
	case <-timer.C:
		return control.Reply{}, fmt.Errorf("node %s: no reply within %v", p.id, timeout)
	case <-ctx.Done():
		return control.Reply{}, fmt.Errorf("node %s: %w", p.id, ctx.Err())
	}
}

// call sends req and waits for its reply; a reply with OK=false is an error.
func (p *proc) call(ctx context.Context, req control.Request, timeout time.Duration) (control.Reply, error) {
	if err := p.enc.Encode(req); err != nil {
		return control.Reply{}, fmt.Errorf("node %s: send %q: %w", p.id, req.Cmd, err)
	}
	rep, err := p.next(ctx, timeout)
	if err != nil {
		return control.Reply{}, fmt.Errorf("%q: %w", req.Cmd, err)
	}
	if !rep.OK {
		return rep, fmt.Errorf("%q failed: %s", req.Cmd, rep.Error)
	}
	return rep, nil
}

// exitError describes why the node's stdout ended.
func (p *proc) exitError() error {
	select {
	case <-p.exited:
	case <-time.After(time.Second):
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("node %s exited: %w", p.id, p.waitErr)
		}
		return fmt.Errorf("node %s exited", p.id)
	default:
		return fmt.Errorf("node %s closed its stdout", p.id)
	}
}

// stop closes the node's stdin (its signal to shut down), waits up to grace
// for it to exit, and kills it otherwise. It always reaps the process. It must
// not run concurrently with call.
func (p *proc) stop(grace time.Duration) error {
	_ = p.stdin.Close()
	go func() {
		for range p.replies { // drop late replies so readLoop can reach Wait
		}
	}()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("node %s: killed after %v without exiting", p.id, grace)
	}
	if p.waitErr != nil {
		return fmt.Errorf("node %s: %w", p.id, p.waitErr)
	}
	return nil
}
