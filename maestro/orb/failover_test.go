package orb

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// replica answers _get_width with its own number, so the client's output
// shows which replica served each call.
type replica struct{ n int16 }

func (r replica) Update(op string, _ *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	if op == "_get_width" {
		reply.WriteShort(r.n)
		return iiop.NoException
	}
	iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}

func omniBinaries(t *testing.T) *omnibuild.Binaries {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := omnibuild.Cached(ctx)
	if err != nil {
		t.Fatalf("building the omniORB test programs: %v", err)
	}
	return b
}

// lineClient drives the omniORB client's "calls" mode: one width() per
// line written, one "OK <width>" or "EXC ..." line back.
type lineClient struct {
	stdin io.WriteCloser
	lines chan string
}

func (c *lineClient) call(t *testing.T) string {
	t.Helper()
	if _, err := io.WriteString(c.stdin, "call\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatal("client exited")
		}
		return l
	case <-time.After(60 * time.Second):
		t.Fatal("client did not answer")
	}
	return ""
}

// TestOmniORBFailoverAcrossAlternateAddresses: three Go servers accept the
// same key; the compound IOR lists all three in its first IIOP 1.2 profile
// (main + TAG_ALTERNATE_IIOP_ADDRESS) and has one profile per replica.
// A graceful shutdown of the replica in use is invisible to the omniORB
// client; a crash costs at most one COMM_FAILURE, then calls succeed on the
// next address.
func TestOmniORBFailoverAcrossAlternateAddresses(t *testing.T) {
	b := omniBinaries(t)
	key, _ := NewKey("Grid")
	var ds []*Dispatcher
	var addrs []iiop.Addr
	for i := 1; i <= 3; i++ {
		d := newDispatcher(t)
		o, err := NewSimpleORB(SimpleORBOptions{Dispatcher: d})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Bind(key, "IDL:Grid:1.0", replica{int16(i)}); err != nil {
			t.Fatal(err)
		}
		if err := o.Activate(context.Background()); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
		addrs = append(addrs, d.Addr())
	}
	etc := &Etc{Dir: t.TempDir()}
	if _, err := etc.PublishCompound("Grid", "IDL:Grid:1.0", key, addrs, iiop.GIOP12); err != nil {
		t.Fatal(err)
	}
	iorText, _ := omnibuild.WaitForFile(context.Background(), etc.Path("Grid"))

	// catior sees what we published.
	out, err := exec.Command("catior", iorText).CombinedOutput()
	if err != nil {
		t.Fatalf("catior: %v\n%s", err, out)
	}
	for _, a := range addrs[1:] {
		if !strings.Contains(string(out), fmt.Sprintf("TAG_ALTERNATE_IIOP_ADDRESS %s %d", a.Host, a.Port)) {
			t.Fatalf("catior does not show alternate %v:\n%s", a, out)
		}
	}
	if strings.Count(string(out), "IIOP 1.2") != 4 {
		t.Fatalf("catior shows %d IIOP 1.2 profiles, want 4:\n%s", strings.Count(string(out), "IIOP 1.2"), out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Client, "-ORBclientConnectTimeOutPeriod", "5000", "calls", etc.Path("Grid"))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	lc := &lineClient{stdin: stdin, lines: make(chan string, 10)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lc.lines <- sc.Text()
		}
		close(lc.lines)
	}()

	if got := lc.call(t); got != "OK 1" {
		t.Fatalf("first call: %q (stderr %s)", got, stderr.String())
	}
	// Graceful leave: stop accepting, CloseConnection, exit.
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	start := time.Now()
	if err := ds[0].Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("graceful shutdown took %v", time.Since(start))
	scancel()
	if got := lc.call(t); got != "OK 2" {
		t.Fatalf("after graceful shutdown of replica 1: %q, want OK 2", got)
	}
	// Crash of replica 2 while idle: the client may see one COMM_FAILURE.
	ds[1].Close()
	got := lc.call(t)
	t.Logf("first call after the crash: %s", got)
	if strings.HasPrefix(got, "EXC") {
		if !strings.Contains(got, "COMM_FAILURE") && !strings.Contains(got, "TRANSIENT") {
			t.Fatalf("after crash: %q", got)
		}
		got = lc.call(t)
	}
	if got != "OK 3" {
		t.Fatalf("after crash of replica 2: %q, want OK 3", got)
	}
	if got := lc.call(t); got != "OK 3" {
		t.Fatalf("steady state: %q", got)
	}
}

// runCalls runs the omniORB client's "calls" mode for n calls and returns
// its output.
func runCalls(ctx context.Context, client, iorPath string, n int) (string, error) {
	cmd := exec.CommandContext(ctx, client, "calls", iorPath)
	cmd.Stdin = strings.NewReader(strings.Repeat("call\n", n))
	out, err := cmd.CombinedOutput()
	return string(out), err
}
