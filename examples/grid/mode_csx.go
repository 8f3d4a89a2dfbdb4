package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/csx"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

func init() { modes["csx"] = mode{run: runCSX, group: true} }

// replica is one replica of the §2.4.2 grid: sets are totally ordered
// casts applied by every replica; a joining replica pulls the grid by
// state transfer.
type replica struct {
	csx.Callbacks
	m          *csx.Member
	serveDelay time.Duration

	outMu sync.Mutex
	out   io.Writer

	mu    sync.Mutex
	cells [gridSize * gridSize]int32
}

func (r *replica) println(format string, args ...any) {
	r.outMu.Lock()
	fmt.Fprintf(r.out, format+"\n", args...)
	r.outMu.Unlock()
}

func (r *replica) AcceptedView(v *csx.ViewData, _ *message.Message) {
	r.println("view %s servers=%d xfer=%d clients=%d me=%s", v.ID, len(v.Servers), len(v.XferServers), len(v.Clients), v.MyState)
}

// ReceiveCast applies a set.
func (r *replica) ReceiveCast(_ csx.EndpID, msg *message.Message) {
	x, y, v := msg.GetInt16(), msg.GetInt16(), msg.GetInt32()
	if msg.Err() != nil || !inRange(x, y) {
		return
	}
	r.mu.Lock()
	r.cells[int(x)*gridSize+int(y)] = v
	r.mu.Unlock()
}

// AbortCast: a set the group split could not order; it was applied
// nowhere in that view, so send it again.
func (r *replica) AbortCast(_ csx.EndpID, msg *message.Message) {
	msg.Rewind()
	x, y, v := msg.GetInt16(), msg.GetInt16(), msg.GetInt32()
	if msg.Err() == nil {
		r.println("set %d %d %d was not delivered (the group split); sending it again", x, y, v)
		_ = r.set(x, y, v)
	}
}

func (r *replica) set(x, y int16, v int32) error {
	return r.m.Cast(message.New().PutInt16(x).PutInt16(y).PutInt32(v), clsv.Generic)
}

func (r *replica) encode() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := make([]byte, 4*len(r.cells))
	for i, c := range r.cells {
		binary.BigEndian.PutUint32(b[4*i:], uint32(c))
	}
	return b
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
	if st.Err() != nil || len(b) != 4*gridSize*gridSize {
		r.println("state transfer: unreadable state")
		return
	}
	r.mu.Lock()
	for i := range r.cells {
		r.cells[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
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
	var b strings.Builder
	b.WriteString("grid:")
	for _, c := range r.cells {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(int(c)))
	}
	return b.String()
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
	opts := csx.Options{Options: clsv.Options{
		Options: groupmember.Options{
			Group: cfg.Group, PortBase: cfg.PortBase, Seeds: cfg.Seeds, Logger: cfg.Log,
			Stack: stack.Config{SuspectTimeout: cfg.Suspect},
		},
		Mode: clsv.Server, Xfer: xfer,
	}}
	if cfg.Suspect > 0 {
		opts.Stack.Heartbeat = cfg.Suspect / 8
	}
	r := &replica{out: cfg.Out, serveDelay: cfg.ServeDelay}
	m, err := csx.New(opts, r)
	if err != nil {
		return err
	}
	r.m = m
	if err := m.Join(); err != nil {
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
	if err := m.Leave(); err != nil && !errors.Is(err, groupmember.ErrNotJoined) {
		return err
	}
	return nil
}
