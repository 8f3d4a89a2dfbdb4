package iiop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// envStarveChild makes the test binary run starveChild instead of the tests:
// an echo server in a process whose descriptor limit is starveFDLimit.
const envStarveChild = "MAESTRO_IIOP_STARVE_CHILD"

const starveFDLimit = 256

func TestMain(m *testing.M) {
	if os.Getenv(envStarveChild) != "" {
		if err := starveChild(); err != nil {
			fmt.Fprintln(os.Stderr, "starve child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// starveReport is what the child prints when asked ("stats" on stdin).
type starveReport struct {
	Stats   ServerStats
	Limits  ServerLimits
	FDLimit uint64
	MaxFDs  int // most descriptors seen open at once
}

// starveChild lowers RLIMIT_NOFILE to starveFDLimit, serves echo with the
// default limits (but a 2 s MessageTimeout, so that the test sees slow
// closes), prints its address, and answers each "stats" line on stdin with
// a JSON starveReport until stdin closes.
func starveChild() error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	rl.Cur = starveFDLimit
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	h := newEchoHandler()
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", MessageTimeout: 2 * time.Second}, h)
	if err != nil {
		return err
	}
	h.s = s
	var maxFDs atomic.Int64
	stop := make(chan struct{})
	go func() { // sample the descriptors in use
		for {
			if ents, err := os.ReadDir("/proc/self/fd"); err == nil && int64(len(ents)) > maxFDs.Load() {
				maxFDs.Store(int64(len(ents)))
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	fmt.Printf("ADDR %s\n", s.Addr())
	sc := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		if sc.Text() == "stats" {
			enc.Encode(starveReport{Stats: s.Stats(), Limits: s.Limits(), FDLimit: fdLimit(), MaxFDs: int(maxFDs.Load())})
		}
	}
	close(stop)
	return s.Close()
}

// TestStarvationUnderFDLimit is the headline: a server process limited to
// 256 descriptors faces 1,000 idle connections and 200 slowloris
// connections (a GIOP header, then a byte a second) from 30 addresses, all
// of which reconnect half a second after the server closes them; a well-formed client is still
// served, every call, and the server never runs out of descriptors.
func TestStarvationUnderFDLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envStarveChild+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("server process: %v", err)
		}
	}()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child said %q (%v)", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	report := func() starveReport {
		t.Helper()
		if _, err := fmt.Fprintln(stdin, "stats"); err != nil {
			t.Fatal(err)
		}
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		var r starveReport
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("report %q: %v", line, err)
		}
		return r
	}
	lim := report()
	if lim.FDLimit != starveFDLimit || lim.Limits.MaxConns != defaultMaxConns(starveFDLimit) {
		t.Fatalf("child limits: %+v", lim)
	}

	// The attackers: each goroutine keeps one connection open, reopening it
	// (after a pause) whenever the server closes it.
	attack, stopAttack := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var dials, dialErrs atomic.Int64
	hdr := Header{Version: GIOP12, Type: MsgRequest, Size: 1000}
	hb := hdr.Marshal()
	attacker := func(i int, slow bool) {
		defer wg.Done()
		// From 30 addresses (127.0.0.2–31), 40 connections each: below the
		// per-address cap, so that the total cap, derived from the
		// descriptor limit, is the one that holds.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%30))}}
		for attack.Err() == nil {
			nc, err := d.DialContext(attack, "tcp", addr)
			dials.Add(1)
			if err != nil {
				dialErrs.Add(1)
			} else {
				closed := make(chan struct{})
				go func() { // notice the server's close
					defer close(closed)
					buf := make([]byte, 64)
					for {
						if _, err := nc.Read(buf); err != nil {
							return
						}
					}
				}()
				if slow {
					nc.Write(hb[:])
				}
				tick := time.NewTicker(time.Second)
			conn:
				for {
					select {
					case <-attack.Done():
						break conn
					case <-closed:
						break conn
					case <-tick.C:
						if slow {
							nc.Write([]byte{0})
						}
					}
				}
				tick.Stop()
				nc.Close()
				<-closed
			}
			select {
			case <-attack.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go attacker(i, false)
	}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go attacker(i, true)
	}
	defer func() { stopAttack(); wg.Wait() }()
	time.Sleep(1500 * time.Millisecond) // the flood is in full swing

	// The well-formed client: 30 calls over about 3 s. A call the server
	// abandons (its idle connection chosen to make room just as the call
	// went out) fails TRANSIENT/COMPLETED_NO, which any CORBA client may
	// retry; omniORB does so transparently.
	c := NewClient(ClientOptions{DialTimeout: 5 * time.Second})
	defer c.Close()
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ior := NewIOR("IDL:Echo:1.0", []byte("k"), Addr{Host: "127.0.0.1", Port: uint16(a.Port)}, GIOP12)
	var worst time.Duration
	retries := 0
	for i := 0; i < 30; i++ {
		start := time.Now()
		want := fmt.Sprintf("call %d", i)
		for attempt := 1; ; attempt++ {
			callCtx, cancelCall := context.WithTimeout(ctx, 5*time.Second)
			got, err := echo(callCtx, c, ior, want)
			cancelCall()
			if err == nil && got == want {
				break
			}
			if attempt == 5 || !errors.Is(err, NewSystemException(ExcTransient, 0, 0)) {
				t.Fatalf("call %d, attempt %d: %q %v (server %+v)", i, attempt, got, err, report())
			}
			retries++
		}
		worst = max(worst, time.Since(start))
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // slowloris connections older than 2 s
	r := report()
	t.Logf("well-formed client: 30 calls, slowest %v, %d retries; attackers dialled %d times (%d failed); server %+v",
		worst, retries, dials.Load(), dialErrs.Load(), r)
	if r.Stats.AcceptErrors != 0 {
		t.Errorf("the server ran out of descriptors %d times", r.Stats.AcceptErrors)
	}
	if r.MaxFDs >= starveFDLimit {
		t.Errorf("server used %d descriptors, its limit is %d", r.MaxFDs, starveFDLimit)
	}
	if r.Stats.Accepted < 1000 || r.Stats.Evicted == 0 {
		t.Errorf("the flood did not reach the limits: %+v", r.Stats)
	}
	// Open includes evicted connections whose readers have not exited yet
	// (the accept loop waits for each at most 100 ms).
	if r.Stats.Open > r.Limits.MaxConns+16 {
		t.Errorf("%d connections open, cap %d", r.Stats.Open, r.Limits.MaxConns)
	}
}
