package omnibuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Server is a running omniORB server process.
type Server struct {
	Cmd *exec.Cmd
	// IOR is the stringified reference the server wrote.
	IOR string
	out bytes.Buffer
}

// Stop kills the server and waits for it.
func (s *Server) Stop() {
	if s.Cmd.Process != nil {
		s.Cmd.Process.Kill()
		s.Cmd.Wait()
	}
}

// Output is what the server printed so far (for failure messages).
func (s *Server) Output() string { return s.out.String() }

// StartServer starts `server MODE IORFILE` (mode "grid" or "perf") bound to
// 127.0.0.1 with the extra -ORB arguments, and waits until it has written
// its IOR file. The caller must Stop it.
func (b *Binaries) StartServer(ctx context.Context, mode, iorPath string, orbArgs ...string) (*Server, error) {
	args := append([]string{"-ORBendPoint", "giop:tcp:127.0.0.1:"}, orbArgs...)
	args = append(args, mode, iorPath)
	s := &Server{Cmd: exec.Command(b.Server, args...)}
	s.Cmd.Stdout, s.Cmd.Stderr = &s.out, &s.out
	if err := s.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("omnibuild: starting server: %w", err)
	}
	ior, err := WaitForFile(ctx, iorPath)
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("omnibuild: server %s did not write %s: %w (output: %s)", mode, iorPath, err, s.Output())
	}
	s.IOR = ior
	return s, nil
}

// WaitForFile polls until path exists and is non-empty (files are published
// by rename, so a non-empty file is complete) and returns its trimmed
// content.
func WaitForFile(ctx context.Context, path string) (string, error) {
	for {
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// RunClient runs the client with args and returns its combined output; the
// error is non-nil if it exits non-zero.
func (b *Binaries) RunClient(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.Client, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
