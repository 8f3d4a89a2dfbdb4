package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/netlab"
	"github.com/maestro-go/maestro/internal/proctest"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// The clients of the random-fault tests (chaos_test.go), and how their
// outcomes judge the replicas' grids.

// chaosOutcome is what a client learnt of one set.
type chaosOutcome int

const (
	chaosAcked   chaosOutcome = iota // a reply: applied, and never to be lost
	chaosRefused                     // a system exception COMPLETED_NO: applied nowhere, ever
	chaosMaybe                       // COMPLETED_MAYBE, or given up on: applied or not
)

// chaosCall is one set a client made, in its order.
type chaosCall struct {
	col   int
	value int32
	out   chaosOutcome
	err   error
}

// chaosClient sets the cells of its own row of the grid, each set with a
// value no other set uses, one call at a time, through the compound
// reference it was given at the start.
type chaosClient struct {
	row   int
	ft    bool // FT-aware: it resends failed and refused calls
	calls []chaosCall
	hung  []string // calls that got no outcome within callLimit
}

// failures returns the errors of the client's first n calls that were not
// acknowledged.
func (c *chaosClient) failures(n int) []error {
	var errs []error
	for _, call := range c.calls {
		if call.out != chaosAcked && len(errs) < n {
			errs = append(errs, call.err)
		}
	}
	return errs
}

// callLimit bounds one call: a request a replica holds without ever
// answering it (neither a reply nor an exception) is a fault, which no
// fault this test injects excuses for this long.
const callLimit = time.Minute

// errNoAnswer is a call that got no outcome within callLimit.
var errNoAnswer = errors.New("no answer")

// setFunc makes one set and says what the client learnt of it.
type setFunc func(col int, value int32) (chaosOutcome, error)

func (c *chaosClient) run(ctx context.Context, set setFunc) {
	for k := 0; ctx.Err() == nil; k++ {
		call := chaosCall{col: k % 10, value: int32((c.row+1)*1_000_000 + k)}
		call.out, call.err = set(call.col, call.value)
		if errors.Is(call.err, errNoAnswer) {
			c.hung = append(c.hung, fmt.Sprintf("set %d %d %d", c.row, call.col, call.value))
		}
		c.calls = append(c.calls, call)
		if call.out != chaosAcked {
			// Refused while the group has no primary view, or mid-failover:
			// an application would back off before its next call.
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// goSet makes sets with an FT-aware Go IIOP client: a call whose
// connection fails, or that a replica refuses, is sent again with the same
// FT_REQUEST.
func (c *chaosClient) goSet(ic *iiop.Client, ref *iiop.IOR) setFunc {
	return func(col int, value int32) (chaosOutcome, error) {
		ctx, cancel := context.WithTimeout(context.Background(), callLimit)
		defer cancel()
		_, err := ic.Invoke(ctx, ref, "set", func(e *iiop.Encoder) {
			e.WriteShort(int16(c.row))
			e.WriteShort(int16(col))
			e.WriteLong(value)
		})
		var se *iiop.SystemException
		switch {
		case err == nil:
			return chaosAcked, nil
		case errors.Is(err, context.DeadlineExceeded):
			return chaosMaybe, fmt.Errorf("%w: %w", errNoAnswer, err)
		case errors.As(err, &se) && se.Completed == iiop.CompletedNo:
			return chaosRefused, err
		}
		return chaosMaybe, err
	}
}

// inNamespace returns set made from a thread of its own that has entered
// the network namespace ns, so that the connections the set dials start
// there (a socket stays in the namespace it was made in, whichever thread
// uses it later). The thread ends with the test: a goroutine locked to a
// thread that exits unlocked takes the thread with it, so no other
// goroutine ever runs in ns.
func inNamespace(t *testing.T, ns string, set setFunc) setFunc {
	type result struct {
		out chaosOutcome
		err error
	}
	type call struct {
		col   int
		value int32
		res   chan result
	}
	calls := make(chan call)
	entered := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is not reused
		err := netlab.EnterNamespace(ns)
		entered <- err
		if err != nil {
			return
		}
		for c := range calls {
			out, err := set(c.col, c.value)
			c.res <- result{out, err}
		}
	}()
	require.NoError(t, <-entered)
	t.Cleanup(func() { close(calls) })
	return func(col int, value int32) (chaosOutcome, error) {
		c := call{col: col, value: value, res: make(chan result, 1)}
		calls <- c
		r := <-c.res
		return r.out, r.err
	}
}

// omniSet makes sets with the omniORB client's lines mode, which knows
// nothing of FT: it never resends a call that may have run.
func (c *chaosClient) omniSet(p *proctest.Proc) setFunc {
	return func(col int, value int32) (chaosOutcome, error) {
		before := len(p.Lines())
		line := fmt.Sprintf("set %d %d %d", c.row, col, value)
		if err := p.Send(line); err != nil {
			return chaosMaybe, err
		}
		var got string
		err := p.WaitFor(callLimit, "the answer to "+line, func(lines []string) bool {
			if len(lines) > before {
				got = lines[before]
				return true
			}
			return false
		})
		switch {
		case err != nil:
			return chaosMaybe, fmt.Errorf("%w: %w", errNoAnswer, err)
		case got == "OK":
			return chaosAcked, nil
		case strings.HasPrefix(got, "EXC ") && strings.HasSuffix(got, " completed 1"):
			return chaosRefused, errors.New(got)
		}
		return chaosMaybe, errors.New(got)
	}
}

// check says whether a cell's final value is one the client's calls allow:
// the last acknowledged value, or a value set later whose outcome the
// client could not know — never one refused, never one an acknowledged set
// replaced (lost), never one nobody set. Each client makes one call at a
// time, so a request whose outcome was unknown is applied, if ever, before
// the client's next acknowledged one.
func (c *chaosClient) check(col int, final int32) error {
	allowed := []int32{0}
	for _, call := range c.calls {
		if call.col != col {
			continue
		}
		switch call.out {
		case chaosAcked:
			allowed = []int32{call.value}
		case chaosMaybe:
			allowed = append(allowed, call.value)
		}
	}
	if slices.Contains(allowed, final) {
		return nil
	}
	for _, call := range c.calls {
		if call.col == col && call.value == final {
			return fmt.Errorf("cell (%d,%d) holds %d, whose set was %s (%v); allowed: %v", c.row, col, final, call.out, call.err, allowed)
		}
	}
	return fmt.Errorf("cell (%d,%d) holds %d, which no set wrote; allowed: %v", c.row, col, final, allowed)
}

func (o chaosOutcome) String() string {
	return [...]string{"acknowledged", "refused", "of unknown outcome"}[o]
}

// TestChaosCheckerCatchesLostAndRefusedSets: the final-value check of the
// random-fault tests accepts exactly what a client's outcomes allow.
func TestChaosCheckerCatchesLostAndRefusedSets(t *testing.T) {
	c := &chaosClient{row: 1, calls: []chaosCall{
		{col: 0, value: 10, out: chaosAcked},
		{col: 0, value: 11, out: chaosMaybe},
		{col: 0, value: 12, out: chaosAcked},
		{col: 0, value: 13, out: chaosMaybe},
		{col: 0, value: 14, out: chaosRefused},
		{col: 1, value: 20, out: chaosMaybe},
		{col: 2, value: 30, out: chaosRefused},
	}}
	for _, ok := range []struct {
		col   int
		final int32
	}{{0, 12}, {0, 13}, {1, 0}, {1, 20}, {2, 0}} {
		require.NoError(t, c.check(ok.col, ok.final), "cell %d holding %d", ok.col, ok.final)
	}
	for _, bad := range []struct {
		col   int
		final int32
		why   string
	}{
		{0, 10, "acknowledged"}, // replaced by a later acknowledged set: lost
		{0, 11, "of unknown outcome"},
		{0, 14, "refused"},
		{0, 0, "which no set wrote"},
		{2, 30, "refused"},
		{1, 99, "which no set wrote"},
	} {
		require.ErrorContains(t, c.check(bad.col, bad.final), bad.why, "cell %d holding %d", bad.col, bad.final)
	}
}
