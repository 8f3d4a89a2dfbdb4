// Command grid serves the Grid object of the dissertation (§3.5.1) to CORBA
// clients over IIOP.
//
//	go run ./examples/grid -mode simple -etc DIR [-listen ADDR] [-giop 1.0|1.1|1.2] [-key MAE:...:Grid]
//
// It writes DIR/Grid.ior once it accepts calls and serves until SIGINT or
// SIGTERM, which shut it down gracefully. Each mode (how the object is
// served) lives in its own file and registers itself in modes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

// config is what every mode receives from the command line.
type config struct {
	Etc    string       // directory for Grid.ior
	Listen string       // IIOP listen address
	GIOP   iiop.Version // IIOP version of the published profile
	Key    orb.ObjectKey
	Log    *slog.Logger
	// Ready, if set, is called with the published reference once the
	// server accepts calls (tests use it).
	Ready func(*iiop.IOR)
}

// modes maps a -mode name to the function that serves the grid until ctx
// is cancelled, then shuts down gracefully.
var modes = map[string]func(ctx context.Context, cfg config) error{}

func modeNames() string {
	names := make([]string, 0, len(modes))
	for n := range modes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func parseConfig(args []string) (mode string, cfg config, err error) {
	fs := flag.NewFlagSet("grid", flag.ContinueOnError)
	fs.StringVar(&mode, "mode", "simple", "how to serve the grid: "+modeNames())
	fs.StringVar(&cfg.Etc, "etc", os.Getenv(orb.EnvEtc), "directory where Grid.ior is written (default $MAESTRO_ETC)")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "IIOP listen address")
	giop := fs.String("giop", "1.2", "IIOP profile version to publish: 1.0, 1.1 or 1.2")
	key := fs.String("key", "", "object key MAE:<hex>:Grid (default: a fresh one)")
	verbose := fs.Bool("v", false, "log to stderr")
	if err = fs.Parse(args); err != nil {
		return "", config{}, err
	}
	if _, ok := modes[mode]; !ok {
		return "", config{}, fmt.Errorf("unknown -mode %q (valid modes: %s)", mode, modeNames())
	}
	if cfg.Etc == "" {
		return "", config{}, errors.New("-etc DIR (or $MAESTRO_ETC) is required")
	}
	if cfg.GIOP, err = iiop.ParseVersion(*giop); err != nil {
		return "", config{}, err
	}
	if *key == "" {
		cfg.Key, err = orb.NewKey("Grid")
	} else {
		cfg.Key, err = orb.ParseKey(*key)
	}
	if err != nil {
		return "", config{}, err
	}
	cfg.Log = slog.New(slog.DiscardHandler)
	if *verbose {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return mode, cfg, nil
}

func main() {
	mode, cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "grid:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := modes[mode](ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "grid:", err)
		os.Exit(1)
	}
}
