package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
	"github.com/maestro-go/maestro/stack"
)

// ruPerformanceTest is the PerformanceTest object as the Replicated
// Updates ORB serves it: the same Update, and its value as state.
type ruPerformanceTest struct {
	performanceTest
}

func (p *ruPerformanceTest) PushState(w io.Writer) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(w, p.value)
	return err
}

func (p *ruPerformanceTest) GetState(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.value = string(b)
	return nil
}

// The PerformanceTest object's key name (and IOR file name) and type.
const (
	perfKeyName = "PerformanceTest"
	perfTypeID  = "IDL:PerformanceTest:1.0"
)

// ruServeConfig is one RU replica's part in a group (the hidden -serve-ru
// flags).
type ruServeConfig struct {
	etc      string // where the compound IOR is published
	group    string
	key      string // the object's key, the same at every replica
	replicas int
	portBase int
	stateDir string
	// primary is ProgressInPrimaryOnly (Primary and Safe delivery).
	primary bool
}

// ruStack is the group's protocol timings: quick discovery and merging so
// that the group forms in a second or two; the default suspicion timeout
// (2 s), so that a loaded machine does not cause false suspicions.
var ruStack = stack.Config{Heartbeat: 100 * time.Millisecond, Gossip: 100 * time.Millisecond}

// The lines an RU replica prints on its standard output for the driver.
const (
	readyLine = "orbbench-ru ready"
	viewLine  = "orbbench-ru view"
)

// serveRU runs one replica of the Replicated Updates ORB serving a
// PerformanceTest object until SIGTERM or SIGINT. It prints readyLine once
// it serves in a primary view of all sc.replicas replicas and its compound
// IOR, listing them all, is published; afterwards, a viewLine for every
// view change (none is expected while measuring).
func serveRU(sc ruServeConfig, cfg config) error {
	version, mode, stopProfile, err := serverSetup(cfg)
	if err != nil {
		return err
	}
	defer stopProfile()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	o, err := startRUReplica(sc, version, mode, cfg.maxBlocking)
	if err != nil {
		return err
	}
	defer o.Close() // as a crash: the whole group stops at once
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	ready, lastView := false, ""
	for {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		v := o.View()
		if v == nil {
			continue
		}
		if !ready {
			if o.Serving() && len(v.Members) == sc.replicas && publishedAddrs(sc.etc) == sc.replicas {
				ready, lastView = true, v.ID
				fmt.Println(readyLine)
				tick.Reset(100 * time.Millisecond)
			}
			continue
		}
		if v.ID != lastView {
			lastView = v.ID
			fmt.Printf("%s %s: %d members, primary %v, serving %v\n", viewLine, v.ID, len(v.Members), v.Primary, o.Serving())
		}
	}
}

// startRUReplica starts and activates one RU replica.
func startRUReplica(sc ruServeConfig, version iiop.Version, mode iiop.ReadMode, maxBlocking int) (*orb.ReplicatedUpdates, error) {
	if sc.group == "" || sc.key == "" || sc.replicas < 1 || sc.stateDir == "" {
		return nil, errors.New("-serve-ru needs -ru-group, -ru-key, -ru-replicas and -ru-statedir")
	}
	d, err := orb.NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0", ReadMode: mode, MaxBlockingReaders: maxBlocking})
	if err != nil {
		return nil, err
	}
	o, err := orb.NewReplicatedUpdates(orb.ReplicatedUpdatesOptions{
		Dispatcher:            d,
		Name:                  sc.group,
		Replicas:              sc.replicas,
		ProgressInPrimaryOnly: sc.primary,
		StateTransfer:         true,
		ReinstallIOR:          true,
		Etc:                   orb.Etc{Dir: sc.etc},
		IIOPVersion:           version,
		Logger:                ruLogger(),
		Group: groupmember.Options{
			PortBase:  sc.portBase,
			PortCount: ruPortCount,
			StateDir:  sc.stateDir,
			Stack:     ruStack,
		},
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := o.Bind(orb.KeyFromString(sc.key), perfTypeID, &ruPerformanceTest{}); err != nil {
		o.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := o.Activate(ctx); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

// ruLogger logs the replica's diagnostics to standard error if
// ORBBENCH_RU_LOG is set (to debug or info), else nowhere.
func ruLogger() *slog.Logger {
	var level slog.Level
	switch os.Getenv("ORBBENCH_RU_LOG") {
	case "":
		return nil
	case "debug":
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// ruPortCount is the size of each group's local discovery port range.
const ruPortCount = 8

// publishedAddrs is the number of replica addresses in the compound IOR
// published in etc (0 if there is none yet).
func publishedAddrs(etc string) int {
	addrs, err := readCompound(filepath.Join(etc, perfKeyName+".ior"))
	if err != nil {
		return 0
	}
	return len(addrs)
}

// readCompound reads a compound IOR file and returns its replicas'
// addresses in the order the reference lists them.
func readCompound(path string) ([]iiop.Addr, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ior, err := iiop.ParseIOR(string(b))
	if err != nil {
		return nil, err
	}
	ps, err := ior.IIOPProfiles()
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s: no IIOP profile", path)
	}
	if addrs := ps[0].Addrs(); len(addrs) > 1 || len(ps) == 1 {
		return addrs, nil // GIOP 1.2: the first profile lists them all
	}
	addrs := make([]iiop.Addr, len(ps)) // GIOP 1.0, 1.1: a profile each
	for i, p := range ps {
		addrs[i] = p.Addr
	}
	return addrs, nil
}
