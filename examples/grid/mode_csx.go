package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/csx"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack/primary"
)

func init() { modes["csx"] = mode{run: runCSX, group: true} }

// primaryProperties are the grid's properties with -replicas: the default
// stack, plus primary partitions and globally safe delivery, so that an
// acknowledged set is held by a majority and never lost.
const primaryProperties = "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total:Primary:Safe"

// replica is one replica of the §2.4.2 grid: sets are totally ordered
// casts applied by every replica; a joining replica pulls the grid by
// state transfer.
type replica struct {
	csx.Callbacks
	m          *csx.Member
	serveDelay time.Duration
	primary    bool // -replicas: the Primary and Safe properties

	outMu sync.Mutex
	out   io.Writer

	mu      sync.Mutex
	cells   cells
	next    uint64            // number of this replica's next set
	pending map[uint64]setCmd // this replica's sets not yet applied
	retry   []setCmd          // aborted sets to send again in a primary view
}

// setCmd is one set of this replica, numbered so it knows its own.
type setCmd struct {
	x, y int16
	v    int32
	n    uint64
}

func (r *replica) println(format string, args ...any) {
	r.outMu.Lock()
	fmt.Fprintf(r.out, format+"\n", args...)
	r.outMu.Unlock()
}

func (r *replica) AcceptedView(v *csx.ViewData, _ *message.Message) {
	r.println("%s", viewLine(v, r.primary))
	if v.Primary {
		r.mu.Lock()
		retry := r.retry
		r.retry = nil
		r.mu.Unlock()
		for _, c := range retry {
			go r.send(c)
		}
	}
}

// ReceiveCast applies a set.
func (r *replica) ReceiveCast(from csx.EndpID, msg *message.Message) {
	x, y, v, n := msg.GetInt16(), msg.GetInt16(), msg.GetInt32(), msg.GetUint64()
	if msg.Err() != nil || !inRange(x, y) {
		return
	}
	r.mu.Lock()
	r.cells[int(x)*gridSize+int(y)] = v
	_, mine := r.pending[n]
	if mine && from == r.m.ID() {
		delete(r.pending, n)
	}
	r.mu.Unlock()
	if mine && from == r.m.ID() {
		r.println("set %d %d %d: done", x, y, v)
	}
}

// AbortCast: a set that was never applied anywhere. Its sender sends it
// again (once back in a primary view, with -replicas); the others drop it.
func (r *replica) AbortCast(from csx.EndpID, msg *message.Message) {
	msg.Rewind()
	x, y, v, n := msg.GetInt16(), msg.GetInt16(), msg.GetInt32(), msg.GetUint64()
	if msg.Err() != nil || from != r.m.ID() {
		return
	}
	r.println("set %d %d %d was not applied (a view change aborted it); sending it again", x, y, v)
	go r.send(setCmd{x: x, y: y, v: v, n: n})
}

// set sends a new set; outside a primary partition it is refused.
func (r *replica) set(x, y int16, v int32) error {
	r.mu.Lock()
	r.next++
	c := setCmd{x: x, y: y, v: v, n: r.next}
	r.mu.Unlock()
	if view := r.m.View(); r.primary && view != nil && !view.Primary {
		return notPrimary(view)
	}
	err := r.cast(c)
	if errors.Is(err, clsv.ErrNotPrimary) {
		if view := r.m.View(); view != nil {
			return notPrimary(view)
		}
	}
	return err
}

func notPrimary(v *csx.ViewData) error {
	return fmt.Errorf("not in the primary partition (%d of %d members)", v.Counted, v.Replicas)
}

// send casts an accepted set again, waiting for a primary view if needed.
func (r *replica) send(c setCmd) {
	if err := r.cast(c); errors.Is(err, clsv.ErrNotPrimary) {
		r.mu.Lock()
		r.retry = append(r.retry, c)
		r.mu.Unlock()
	}
}

func (r *replica) cast(c setCmd) error {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = map[uint64]setCmd{}
	}
	r.pending[c.n] = c
	r.mu.Unlock()
	err := r.m.Cast(message.New().PutInt16(c.x).PutInt16(c.y).PutInt32(c.v).PutUint64(c.n), clsv.Generic)
	if err != nil {
		r.mu.Lock()
		delete(r.pending, c.n)
		r.mu.Unlock()
	}
	return err
}

func (r *replica) encode() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cells.encode()
}

// AskState sends the grid to a joining replica.
func (r *replica) AskState(origin csx.EndpID, id csx.XferID, _ *message.Message) {
	state := message.New().PutBytes(r.encode())
	send := func() {
		if err := r.m.SendState(origin, id, state); err != nil {
			r.println("state transfer: could not answer %s: %v", origin, err)
		}
	}
	if r.serveDelay > 0 {
		time.AfterFunc(r.serveDelay, send)
		return
	}
	send()
}

// StateTransfer pulls the grid from the oldest up-to-date replica.
func (r *replica) StateTransfer(id csx.XferID) {
	v := r.m.View()
	if v != nil && len(v.Servers) > 0 {
		r.println("state transfer: asking %s", v.Servers[0])
	}
	st, err := r.m.GetState(context.Background(), id, message.New())
	if err != nil {
		r.println("state transfer: %v", err)
		return
	}
	b := st.GetBytes()
	if st.Err() != nil || len(b) != stateSize {
		r.println("state transfer: unreadable state")
		return
	}
	r.mu.Lock()
	r.cells.decode(b)
	r.mu.Unlock()
	if err := r.m.XferDone(id); err != nil {
		r.println("state transfer: %v", err)
		return
	}
	r.println("state transfer: done")
}

func (r *replica) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cells.dump()
}

func parseXfer(s string) (clsv.XferType, error) {
	switch s {
	case "atomic":
		return clsv.Atomic, nil
	case "protected":
		return clsv.Protected, nil
	case "free":
		return clsv.Free, nil
	}
	return 0, fmt.Errorf("-xfer %q: want atomic, protected or free", s)
}

// runCSX runs one replica until input ends or ctx is cancelled, then
// leaves the group.
func runCSX(ctx context.Context, cfg config) error {
	xfer, err := parseXfer(cfg.Xfer)
	if err != nil {
		return err
	}
	opts := csx.Options{Options: clsv.Options{Options: cfg.groupOptions(), Mode: clsv.Server, Xfer: xfer}}
	if cfg.Replicas > 0 {
		if opts.Properties == "" {
			opts.Properties = primaryProperties
		}
		opts.Replicas, opts.StateDir = cfg.Replicas, cfg.StateDir
		if cfg.Replace {
			if err := primary.SetMark(cfg.StateDir, cfg.Group); err != nil {
				return err
			}
		}
	}
	r := &replica{out: cfg.Out, serveDelay: cfg.ServeDelay, primary: cfg.Replicas > 0}
	m, err := csx.New(opts, r)
	if err != nil {
		return err
	}
	r.m = m
	if err := m.Join(ctx); err != nil {
		return err
	}
	r.println("member %s", m.ID())

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(cfg.In)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return leaveGroup(m)
		case line, ok := <-lines:
			if !ok {
				return leaveGroup(m)
			}
			if err := r.command(line); err != nil {
				r.println("%v", err)
			}
		}
	}
}

// command runs one input line.
func (r *replica) command(line string) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	nums := make([]int, 0, 3)
	for _, s := range f[1:] {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", f[0], s)
		}
		nums = append(nums, n)
	}
	cell := func() (int16, int16, error) {
		x, y := nums[0], nums[1]
		if x < 0 || x >= gridSize || y < 0 || y >= gridSize {
			return 0, 0, fmt.Errorf("%s: cell (%d,%d) is outside the %dx%d grid", f[0], x, y, gridSize, gridSize)
		}
		return int16(x), int16(y), nil
	}
	switch {
	case f[0] == "set" && len(nums) == 3:
		x, y, err := cell()
		if err != nil {
			return err
		}
		if nums[2] < math.MinInt32 || nums[2] > math.MaxInt32 {
			return fmt.Errorf("set: value %d does not fit a 32-bit long (%d to %d)", nums[2], math.MinInt32, math.MaxInt32)
		}
		return r.set(x, y, int32(nums[2]))
	case f[0] == "get" && len(nums) == 2:
		x, y, err := cell()
		if err != nil {
			return err
		}
		r.mu.Lock()
		v := r.cells[int(x)*gridSize+int(y)]
		r.mu.Unlock()
		r.println("grid[%d,%d] = %d", x, y, v)
		return nil
	case f[0] == "dump" && len(nums) == 0:
		r.println("%s", r.dump())
		return nil
	}
	return errors.New(`unknown command; use "set x y v", "get x y" or "dump"`)
}

func leaveGroup(m *csx.Member) error {
	if err := m.Leave(context.Background()); err != nil && !errors.Is(err, groupmember.ErrNotJoined) {
		return err
	}
	return nil
}
