// Command grid is the Grid example of the dissertation in its forms.
//
// -mode simple serves the Grid object (§3.5.1) to CORBA clients over IIOP
// through the Simple ORB:
//
//	go run ./examples/grid -mode simple -etc DIR [-listen ADDR] [-giop 1.0|1.1|1.2] [-key MAE:...:Grid]
//
// It writes DIR/Grid.ior once it accepts calls and serves until SIGINT or
// SIGTERM, which shut it down gracefully.
//
// -mode csx is one replica of the replicated 10×10 grid of §2.4.2 over CSX:
//
//	go run ./examples/grid -mode csx -group NAME [-replicas N -statedir DIR]
//
// It reads commands on standard input — "set x y v" (a totally ordered
// cast to every replica), "get x y" (the local replica's value), "dump"
// (the whole grid on one line) — and a replica that joins pulls the grid
// from an up-to-date one by state transfer. Replicas started on one
// machine with the same -group find each other. With -replicas N, only a
// partition holding a majority of the N replicas accepts updates (primary
// partition), an update is acknowledged ("set x y v: done") once a
// majority holds it, and no acknowledged update is ever lost; each replica
// keeps its reincarnation mark in -statedir.
//
// -mode ru is one replica of the Grid of §3.5 served to CORBA clients by
// the Replicated Updates ORB (§3.4):
//
//	go run ./examples/grid -mode ru -group NAME -etc DIR [-replicas N [-statedir DIR]] [-listen ADDR]
//
// Started several times with the same -group (on one machine they find
// each other through the group's local UDP port range), the processes are
// replicas of one Grid object with the dissertation's IDL: a set that
// reaches any of them is applied by all in one order, get and the
// attributes are answered by the replica that receives them, a replica
// that joins takes the grid by state transfer, and after every view change
// DIR/Grid.ior is rewritten as a compound reference listing every
// replica's IIOP address (each listens on a free port of 127.0.0.1 unless
// -listen says otherwise). Every replica derives the object key from
// -group unless -key is given. With -replicas N only a partition holding a
// majority of the N replicas applies updates, and a client of a replica
// outside it is forwarded to the majority or refused with TRANSIENT;
// -statedir keeps the replica's reincarnation mark (without it a fresh
// directory is used, so a replica restarted without -statedir counts as a
// new one). Without -replicas every side of a partition goes on applying
// updates, and when the sides merge one side's grid (the side with more
// replicas) replaces the others': their updates since the split are lost.
// The replica prints its IIOP address, member id and views on standard
// output and reads commands on standard input: "dump" prints its own grid
// on one line. End of input, SIGINT or SIGTERM leave gracefully: clients
// move to the other replicas without noticing.
//
// Each mode lives in its own file and registers itself in modes.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

// config is what every mode receives from the command line.
type config struct {
	// Group replication (-mode csx and ru).
	Group      string
	PortBase   int
	Seeds      []string
	UDP        string        // UDP address to bind (default: the group's local port range)
	Replicas   int           // configured replicas: a primary view needs a majority (Primary, Safe)
	StateDir   string        // the replica's stable storage (reincarnation mark)
	KeyFile    string        // the group key (Auth): the group's datagrams are authenticated
	AdminAddr  string        // where the replica serves its status and metrics (-admin)
	Replace    bool          // StateDir replaces a lost one: start as a zombie
	Xfer       string        // transfer safety: atomic, protected or free
	ServeDelay time.Duration // answer state requests this late (to watch transfers)
	Suspect    time.Duration
	// Base holds the group options of the -config file; the flags above
	// override it (groupOptions).
	Base groupmember.Options
	In   io.Reader
	Out  io.Writer
	Err  io.Writer // notices for the user (default os.Stderr)

	// IIOP serving (-mode simple and ru).
	Etc    string       // directory for Grid.ior
	Listen string       // IIOP listen address
	Host   string       // host published in the IOR (-mode ru; default: the listen address's)
	GIOP   iiop.Version // IIOP version of the published profile
	Key    orb.ObjectKey
	Log    *slog.Logger
	// Ready, if set, is called with the published reference once the
	// server accepts calls (tests use it).
	Ready func(*iiop.IOR)
}

// fromBase takes from the -config file what no flag said.
func (cfg *config) fromBase() {
	b := cfg.Base
	if cfg.Group == "" {
		cfg.Group = b.Group
	}
	if cfg.PortBase == 0 {
		cfg.PortBase = b.PortBase
	}
	if len(cfg.Seeds) == 0 {
		cfg.Seeds = b.Seeds
	}
	if cfg.UDP == "" {
		cfg.UDP = b.Listen
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = b.Replicas
	}
	if cfg.StateDir == "" {
		cfg.StateDir = b.StateDir
	}
	if cfg.Suspect == 0 {
		cfg.Suspect = b.Stack.SuspectTimeout
	}
}

// groupOptions are the group's options: the -config file's, with the
// command line's on top.
func (cfg config) groupOptions() groupmember.Options {
	o := cfg.Base
	o.Group, o.PortBase, o.Seeds, o.Listen, o.Logger = cfg.Group, cfg.PortBase, cfg.Seeds, cfg.UDP, cfg.Log
	if cfg.KeyFile != "" {
		o.KeyFile = cfg.KeyFile
	}
	if cfg.AdminAddr != "" {
		o.AdminAddr = cfg.AdminAddr
	}
	if cfg.Suspect > 0 {
		o.Stack.SuspectTimeout = cfg.Suspect
		if o.Stack.Heartbeat == 0 || o.Stack.Heartbeat >= cfg.Suspect {
			o.Stack.Heartbeat = cfg.Suspect / 8
		}
	}
	return o
}

// mode is one way of running the grid.
type mode struct {
	// run serves the grid until ctx is cancelled (or, for modes reading
	// commands, input ends), then shuts down gracefully.
	run func(ctx context.Context, cfg config) error
	// iiop: the mode serves CORBA clients and needs -etc.
	iiop bool
	// group: the mode joins a group and needs -group.
	group bool
	// groupKey: without -key, the object key is derived from -group, so
	// that every replica of the group serves the same key.
	groupKey bool
	// ownStateDir: -replicas without -statedir is accepted; the mode
	// makes a state directory of its own.
	ownStateDir bool
}

// modes maps a -mode name to the mode.
var modes = map[string]mode{}

func modeNames() string {
	names := make([]string, 0, len(modes))
	for n := range modes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseConfig reads the command line; -h writes the help to stdout and
// returns flag.ErrHelp, and a mistake is a cli.UsageError naming the flag.
func parseConfig(args []string, stdout io.Writer) (mode string, cfg config, err error) {
	c := cli.New("grid", "the Grid example of the Maestro dissertation: a CORBA Grid object (Simple or Replicated Updates ORB) or a replicated grid over CSX",
		"-mode simple -etc DIR [-listen ADDR] [-giop 1.0|1.1|1.2] [-key MAE:...:Grid]",
		"-mode csx -group NAME [-replicas N -statedir DIR] [-udp ADDR] [-seeds ADDR,...]",
		"-mode ru -group NAME -etc DIR [-replicas N [-statedir DIR]] [-listen ADDR] [-udp ADDR] [-seeds ADDR,...]")
	fs := c.Flags
	fs.StringVar(&mode, "mode", "simple", "how to serve the grid: "+modeNames())
	fs.StringVar(&cfg.Etc, "etc", os.Getenv(orb.EnvEtc), "directory where Grid.ior is written (default $MAESTRO_ETC)")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "IIOP listen address")
	fs.StringVar(&cfg.Host, "host", "", "host name or address clients reach this replica at, published in the IOR (-mode ru; default: the -listen host, or the machine's name for 0.0.0.0)")
	giop := fs.String("giop", "1.2", "IIOP profile version to publish: 1.0, 1.1 or 1.2")
	key := fs.String("key", "", "object key MAE:<hex>:Grid (default: a fresh one; -mode ru derives it from -group)")
	verbose := fs.Bool("v", false, "log to stderr")
	fs.StringVar(&cfg.Group, "group", "", "group of grid replicas to join (-mode csx or ru)")
	fs.IntVar(&cfg.PortBase, "portbase", 0, "first port of the local discovery range (default: derived from -group)")
	seeds := fs.String("seeds", "", "comma-separated addresses of other replicas (other machines)")
	fs.StringVar(&cfg.Xfer, "xfer", "atomic", "state-transfer safety: atomic, protected or free")
	fs.DurationVar(&cfg.ServeDelay, "serve-delay", 0, "answer state requests this late (to watch transfers; testing aid)")
	fs.DurationVar(&cfg.Suspect, "suspect", 0, "failure-detection timeout (default 2s)")
	fs.StringVar(&cfg.UDP, "udp", "", "UDP address the replica binds, e.g. 10.0.0.5:7400 (default: a port of the group's range on 127.0.0.1)")
	fs.IntVar(&cfg.Replicas, "replicas", 0, "configured number of replicas: only a partition holding a majority of them accepts updates (primary partition; needs -statedir, which -mode ru makes itself if not given)")
	fs.StringVar(&cfg.StateDir, "statedir", "", "the replica's state directory (its reincarnation mark; with -replicas)")
	fs.StringVar(&cfg.KeyFile, "key-file", "", "group key file (64 hex digits, mode 0600; `maestro keygen FILE` writes one): turns on Auth, so only holders of the key join the replicas' group (-mode csx or ru)")
	fs.BoolVar(&cfg.Replace, "replace", false, "the state directory replaces a lost one: the replica starts as a zombie (with -replicas)")
	fs.StringVar(&cfg.AdminAddr, "admin", "", "serve the replica's status and metrics on host:port (:port = 127.0.0.1; `maestro status ADDR` reads it; -mode csx or ru)")
	configFile := fs.String("config", "", "YAML file of the group's options (-mode csx or ru; keys as in groupmember.Options: group, listen, seeds, seed_refresh, advertise, replicas, state_dir, stack: {suspect_timeout: 3s}, ...); flags given override it")
	if err = c.Parse(args, stdout); err != nil {
		return "", config{}, err
	}
	if err = c.NoArgs(); err != nil {
		return "", config{}, err
	}
	md, ok := modes[mode]
	if !ok {
		return "", config{}, cli.Usagef("unknown -mode %q (valid modes: %s)", mode, modeNames())
	}
	if *configFile != "" {
		if !md.group {
			return "", config{}, cli.Usagef("-config holds a group's options: it needs -mode csx or ru")
		}
		if cfg.Base, err = groupmember.LoadOptions(*configFile); err != nil {
			return "", config{}, cli.Usagef("-config: %v", err)
		}
		cfg.fromBase()
	}
	if md.iiop && cfg.Etc == "" {
		return "", config{}, cli.Usagef("-etc DIR (or $MAESTRO_ETC) is required")
	}
	if md.group && cfg.Group == "" {
		return "", config{}, cli.Usagef("-mode %s needs -group NAME", mode)
	}
	if err = cli.NotNegative("suspect", cfg.Suspect); err != nil {
		return "", config{}, err
	}
	if err = cli.NotNegative("serve-delay", cfg.ServeDelay); err != nil {
		return "", config{}, err
	}
	if cfg.PortBase < 0 || cfg.PortBase > 65535 {
		return "", config{}, cli.Usagef("-portbase %d: want a port number", cfg.PortBase)
	}
	if *seeds != "" {
		cfg.Seeds = strings.Split(*seeds, ",")
	}
	switch {
	case cfg.Replicas < 0:
		return "", config{}, cli.Usagef("-replicas %d: want the number of replicas, at least 1", cfg.Replicas)
	case cfg.Replicas > 0 && cfg.StateDir == "" && !md.ownStateDir:
		return "", config{}, cli.Usagef("-replicas needs -statedir DIR, where the replica keeps its reincarnation mark")
	case cfg.Replicas == 0 && (cfg.StateDir != "" || cfg.Replace):
		return "", config{}, cli.Usagef("-statedir and -replace need -replicas N")
	}
	if cfg.GIOP, err = iiop.ParseVersion(*giop); err != nil {
		return "", config{}, cli.Usagef("-giop: %v", err)
	}
	switch {
	case *key == "" && md.groupKey:
		cfg.Key = groupKey(cfg.Group)
	case *key == "":
		cfg.Key, err = orb.NewKey("Grid")
	default:
		if cfg.Key, err = orb.ParseKey(*key); err != nil {
			return "", config{}, cli.Usagef("-key: %v", err)
		}
	}
	if err != nil {
		return "", config{}, err
	}
	// Warnings (a group without Auth on a non-loopback address, datagrams
	// refused for want of the group key) are always shown.
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *verbose {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return mode, cfg, nil
}

func main() { os.Exit(cli.Status("grid", run(os.Args[1:]), os.Stderr)) }

func run(args []string) error {
	mode, cfg, err := parseConfig(args, os.Stdout)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.In, cfg.Out, cfg.Err = os.Stdin, os.Stdout, os.Stderr
	return modes[mode].run(ctx, cfg)
}
