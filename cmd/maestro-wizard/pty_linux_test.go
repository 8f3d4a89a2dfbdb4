package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/internal/proctest"
)

// openPTY opens a pseudo-terminal pair: /dev/ptmx, unlocked, and the
// /dev/pts/N it names, sized 100×30.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100}); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("pty size: %w", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("open pts: %w", err)
	}
	return master, slave, nil
}

// terminal is the user's side of the pseudo-terminal: it collects what
// the program prints, answers its cursor-position queries, and types.
type terminal struct {
	t      *testing.T
	master *os.File
	slave  *os.File // kept open to see what the program has not read yet
	mu     sync.Mutex
	out    []byte
	pos    int // what expect has consumed
	asked  int // cursor-position queries answered
}

func (tm *terminal) read() {
	buf := make([]byte, 4096)
	for {
		n, err := tm.master.Read(buf)
		if n > 0 {
			tm.mu.Lock()
			tm.out = append(tm.out, buf[:n]...)
			queries := bytes.Count(tm.out, []byte("\x1b[6n"))
			for ; tm.asked < queries; tm.asked++ {
				_, _ = tm.master.Write([]byte("\x1b[5;1R"))
			}
			tm.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// expect waits (20 s at most) for text in what is printed after the last
// match.
func (tm *terminal) expect(text string) {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		if i := bytes.Index(tm.out[tm.pos:], []byte(text)); i >= 0 {
			tm.pos += i + len(text)
			tm.mu.Unlock()
			return
		}
		tm.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.t.Fatalf("never saw %q; the terminal shows:\n%q", text, tm.out[tm.pos:])
}

// send types keys once the prompt has settled: the program has read
// everything typed so far and printed nothing new for 100 ms (5 s at
// most). A prompt asks the terminal where the cursor is (ESC [6n) after
// drawing itself, and the survey library drops whatever it reads in the
// same read after the answer: keys must reach it in a read of their own.
func (tm *terminal) send(keys string) {
	tm.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		n := len(tm.out)
		tm.mu.Unlock()
		unread, err := unix.IoctlGetInt(int(tm.slave.Fd()), unix.TIOCINQ)
		require.NoError(tm.t, err)
		if n != last || unread > 0 {
			last, since = n, time.Now()
		} else if time.Since(since) >= 100*time.Millisecond {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err := tm.master.Write([]byte(keys))
	require.NoError(tm.t, err)
}

const (
	keyUp    = "\x1b[A"
	keyDown  = "\x1b[B"
	keyEnter = "\r"
)

// TestInteractive drives the wizard's prompts in a real pseudo-terminal —
// arrow keys, defaults accepted with Enter, answers refused and corrected
// — and checks that it writes the same project as the equivalent answers
// file.
func TestInteractive(t *testing.T) {
	t.Parallel()
	bin := proctest.Build(t, "./cmd/maestro-wizard")
	master, slave, err := openPTY()
	require.NoError(t, err)
	defer master.Close()
	out := filepath.Join(t.TempDir(), "interactive")
	tmpl := filepath.Join(repoRoot(t), "templates")
	cmd := exec.Command(bin, "-out", out, "-templates", tmpl, "-replace", repoRoot(t))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = append(os.Environ(), "TERM=xterm")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	defer slave.Close()
	var waitErr error
	done := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	tm := &terminal{t: t, master: master, slave: slave}
	go tm.read()

	tm.expect("Which wizard?")
	tm.send(keyDown + keyUp + keyEnter) // to Simple and back to Replicated Updates
	tm.expect("Application name")
	tm.send("my-grid" + keyEnter)
	tm.expect("Sorry, your reply was invalid")
	tm.expect("not an exported Go identifier")
	tm.expect("Application name")
	tm.send("Board" + keyEnter)
	tm.expect("IDL file")
	tm.send(keyEnter) // the Grid
	tm.expect("Interface to serve")
	tm.send(keyEnter) // Grid
	tm.expect("Where may updates progress?")
	tm.send(keyUp + keyEnter) // from the default (majority) to all
	tm.expect("Number of replicas")
	tm.send("0" + keyEnter)
	tm.expect("0 is less than 1")
	tm.expect("Number of replicas")
	tm.send("5" + keyEnter)
	tm.expect("State transfer")
	tm.send(keyEnter) // to less updated replicas
	tm.expect("Request ordering")
	tm.send(keyDown + keyEnter) // commute
	tm.expect("Rewrite the IOR")
	tm.send("n" + keyEnter)
	tm.expect("Read-only operations")
	tm.send(keyEnter) // get
	tm.expect("Go module path")
	tm.send("example.com/board" + keyEnter)
	tm.expect("Object key")
	tm.send("MAE:0123456789abcdef:Board" + keyEnter)
	tm.expect("wrote ")
	select {
	case <-done:
		require.NoError(t, waitErr)
	case <-time.After(20 * time.Second):
		t.Fatal("the wizard did not exit")
	}

	fromFile := generate(t, `wizard: replicated-updates
name: Board
partitions: all
replicas: 5
state_transfer: transfer
ordering: commute
reinstall_ior: false
readonly: [get]
module: example.com/board
key: MAE:0123456789abcdef:Board
`)
	got, want := readTree(t, out), readTree(t, fromFile)
	require.Equal(t, want, got)
	require.Regexp(t, `opts.ProgressInPrimaryOnly = false +// partitions: all`, got["main.go"])
	require.Regexp(t, `opts.RequestsCommute = true +// ordering: commute`, got["main.go"])
	require.Regexp(t, `opts.ReinstallIOR = false +// reinstall_ior: false`, got["main.go"])
	require.True(t, strings.HasPrefix(got["board.go"], "package main"))
}
