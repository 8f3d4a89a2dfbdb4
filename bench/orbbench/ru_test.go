package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// TestMain lets the test binary stand in for orbbench as the RU replica
// processes (the driver re-executes itself with -serve-ru).
func TestMain(m *testing.M) {
	if os.Getenv("ORBBENCH_TEST_SERVE") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRUServe starts a 3-replica group the way -ru does (a process per
// replica, ProgressInPrimaryOnly), waits until it is ready, sets the value
// through a replica that is not the sequencer, reads it back from every
// replica, and stops the group, leaving no process behind.
func TestRUServe(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	g, err := startRUGroup(ctx, ruGroupSpec{
		exe:      exe,
		env:      append(os.Environ(), "ORBBENCH_TEST_SERVE=1"),
		dir:      t.TempDir(),
		name:     fmt.Sprintf("orbbench-test-%d", os.Getpid()),
		replicas: 3,
		primary:  true,
		portBase: 20000 + rand.IntN(740)*16,
		version:  iiop.GIOP12,
		log:      os.Stderr,
	})
	stopped := false
	defer func() {
		if !stopped {
			g.stop()
		}
	}()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.iors) != 3 {
		t.Fatalf("%d IORs, want one per replica", len(g.iors))
	}
	refs := make([]*iiop.IOR, len(g.iors))
	for i, path := range g.iors {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if refs[i], err = iiop.ParseIOR(string(b)); err != nil {
			t.Fatal(err)
		}
	}
	c := iiop.NewClient(iiop.ClientOptions{})
	defer c.Close()
	const value = "replicated"
	if _, err := c.Invoke(ctx, refs[1], "_set_value", func(e *iiop.Encoder) { e.WriteString(value) }); err != nil {
		t.Fatalf("_set_value: %v", err)
	}
	// A read is answered by the replica called, which may apply the
	// update a moment after the one that answered it.
	for i, ref := range refs {
		for {
			rep, err := c.Invoke(ctx, ref, "_get_value", nil)
			if err != nil {
				t.Fatalf("_get_value at replica %d: %v", i, err)
			}
			d := rep.Body.Decoder()
			got := d.ReadString()
			if d.Err() == nil && got == value {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("replica %d answers %q, want %q", i, got, value)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	stopped = true
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}
	for i, p := range g.procs {
		if p.alive() {
			t.Errorf("replica %d still running", i)
		}
	}
	if n := g.viewChanges.Load(); n != 0 {
		t.Errorf("%d view changes after the group formed", n)
	}
}

// Client i calls replica (i+entry) mod the group size first, and every
// client of omniORB's single server calls it.
func TestIORForSpreadsClientsFromEntry(t *testing.T) {
	g := &ruTarget{iors: []string{"r0", "r1", "r2"}}
	var got []string
	for i := range 4 {
		got = append(got, g.iorFor(i, 1))
	}
	if want := []string{"r1", "r2", "r0", "r1"}; !slices.Equal(got, want) {
		t.Fatalf("entry 1: %v, want %v", got, want)
	}
	if got := g.iorFor(0, 0); got != "r0" {
		t.Fatalf("entry 0: %s, want the published IOR", got)
	}
	omni := &ruTarget{iors: []string{"omni"}}
	if got := omni.iorFor(3, 1); got != "omni" {
		t.Fatalf("omniORB: %s", got)
	}
}

// Each server's CPU a call is written busiest first, so that the called
// replica's share leads whatever order the processes started in.
func TestSplitCPUPutsTheBusiestFirst(t *testing.T) {
	each := []time.Duration{22 * time.Millisecond, 86 * time.Millisecond, 34 * time.Millisecond}
	if got, want := splitCPU(each, 1000), "86 + 34 + 22"; got != want {
		t.Fatalf("splitCPU = %q, want %q", got, want)
	}
}
