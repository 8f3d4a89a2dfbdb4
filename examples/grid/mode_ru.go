package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/maestro-go/maestro/maestro/csx"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/primary"
)

func init() {
	modes["ru"] = mode{run: runRU, iiop: true, group: true, groupKey: true, ownStateDir: true}
}

// groupKey is the object key every replica of group derives when no -key
// is given: MAE:<hex>:Grid, the hex part a hash of the group's name, so
// that replicas started with nothing but the same -group serve one key.
func groupKey(group string) orb.ObjectKey {
	h := sha256.Sum256([]byte("maestro grid ru\x00" + group))
	return orb.KeyFromString("MAE:" + hex.EncodeToString(h[:17]) + ":Grid")
}

// runRU runs one replica of the Grid of §3.5 behind the Replicated Updates
// ORB (§3.4) until input ends or ctx is cancelled (SIGINT, SIGTERM), then
// leaves gracefully: the IIOP server stops accepting connections, answers
// the requests in flight, sends CloseConnection (omniORB clients move to
// the next address of the compound IOR without noticing), and the replica
// leaves the group.
//
// Every replica has its own IIOP address (-listen, default a free port of
// 127.0.0.1) and joins the ORB group -group; the ORB relays each set to
// every replica by a totally ordered cast, answers get and the attributes
// locally, brings a joining replica up to date by state transfer, and
// rewrites <-etc>/Grid.ior with the compound IOR of the view's replicas
// after every view change.
//
// With -replicas N updates progress in the primary partition only (a view
// with a majority of the N replicas; Primary and Safe delivery): a replica
// outside it applies nothing and answers a client with a LOCATION_FORWARD
// to the replicas of the last primary view it saw, or TRANSIENT/
// COMPLETED_NO; only primary views publish the IOR. Its reincarnation
// mark lives in -statedir, or in a fresh directory when none is given
// (then a restarted replica counts as a new one, never as a zombie).
//
// Without -replicas there are no primary partitions: every side of a
// partition goes on applying the updates its clients send. When the sides
// merge, CSX's state transfer decides which grid survives: the side with
// the most up-to-date replicas (ties: the side holding the smallest member
// id) keeps its grid and the others receive it, losing the updates they
// applied since the split.
//
// Standard output shows "iiop HOST:PORT" (the replica's IIOP address),
// "member ID" and one "view ..." line per view, in the format of -mode
// csx. Standard input takes "dump", which prints the
// local replica's grid as "grid: v0 v1 ... v99" (a diagnostic, not a CORBA
// operation: the Grid's IDL stays the dissertation's).
func runRU(ctx context.Context, cfg config) error {
	errOut := cfg.Err
	if errOut == nil {
		errOut = os.Stderr
	}
	d, err := orb.NewDispatcher(iiop.ServerOptions{Addr: cfg.Listen, Logger: cfg.Log})
	if err != nil {
		return err
	}
	opts := orb.ReplicatedUpdatesOptions{
		Dispatcher:    d,
		Name:          cfg.Group,
		StateTransfer: true,
		ReinstallIOR:  true,
		Etc:           orb.Etc{Dir: cfg.Etc},
		IIOPVersion:   cfg.GIOP,
		Logger:        cfg.Log,
		Group: groupmember.Options{
			PortBase: cfg.PortBase, Seeds: cfg.Seeds, Listen: cfg.UDP, Logger: cfg.Log, KeyFile: cfg.KeyFile,
			Stack: stack.Config{SuspectTimeout: cfg.Suspect},
		},
	}
	if cfg.Suspect > 0 {
		opts.Group.Stack.Heartbeat = cfg.Suspect / 8
	}
	if cfg.Replicas > 0 {
		opts.ProgressInPrimaryOnly, opts.Replicas = true, cfg.Replicas
		dir := cfg.StateDir
		switch {
		case dir == "" && cfg.Replace:
			d.Close()
			return errors.New("-replace needs -statedir DIR, the directory that replaces a lost one")
		case dir == "":
			if dir, err = os.MkdirTemp("", "grid-ru-state-"); err != nil {
				d.Close()
				return err
			}
			defer os.RemoveAll(dir)
			fmt.Fprintf(errOut, "grid: no -statedir: the reincarnation mark is kept in %s, removed on exit; "+
				"a replica restarted without -statedir counts as a new one\n", dir)
		case cfg.Replace:
			if err := primary.SetMark(dir, cfg.Group); err != nil {
				d.Close()
				return err
			}
		}
		opts.Group.StateDir = dir
	}
	out := &lineOut{w: cfg.Out}
	first := true
	opts.OnView = func(v *csx.ViewData) {
		if first {
			out.println("member %s", v.Me)
			first = false
		}
		out.println("%s", viewLine(v, cfg.Replicas > 0))
	}
	o, err := orb.NewReplicatedUpdates(opts)
	if err != nil {
		d.Close()
		return err
	}
	grid := &RUGrid{}
	if err := o.Bind(cfg.Key, GridTypeID, grid); err != nil {
		d.Close()
		return err
	}
	out.println("iiop %s", d.Addr())
	if err := o.Activate(ctx); err != nil {
		d.Close()
		return err
	}
	cfg.Log.Info("grid: serving", "mode", "ru", "addr", d.Addr(), "group", cfg.Group, "ior", opts.Etc.Path("Grid"))

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(cfg.In)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case line, ok := <-lines:
			if !ok {
				break loop
			}
			switch strings.TrimSpace(line) {
			case "":
			case "dump":
				out.println("%s", grid.Dump())
			default:
				out.println(`unknown command; use "dump"`)
			}
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return o.Deactivate(shutdownCtx)
}

// viewLine describes a view as -mode csx does.
func viewLine(v *csx.ViewData, withPrimary bool) string {
	line := fmt.Sprintf("view %s servers=%d xfer=%d clients=%d me=%s", v.ID, len(v.Servers), len(v.XferServers), len(v.Clients), v.MyState)
	if withPrimary {
		if v.Primary {
			line += fmt.Sprintf(" primary=%d", v.PrimaryNum)
		} else {
			line += fmt.Sprintf(" primary=no(%d of %d)", v.Counted, v.Replicas)
		}
		if slices.Contains(v.Zombies, v.Me) {
			line += " zombie"
		}
	}
	return line
}

// lineOut writes whole lines from several goroutines.
type lineOut struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineOut) println(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
