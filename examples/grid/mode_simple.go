package main

import (
	"context"
	"fmt"
	"time"

	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

func init() { modes["simple"] = mode{run: runSimple, iiop: true} }

// runSimple serves one Grid through the Simple ORB (§3.3.4), non-replicated.
func runSimple(ctx context.Context, cfg config) error {
	d, err := orb.NewDispatcher(iiop.ServerOptions{Addr: cfg.Listen, Logger: cfg.Log})
	if err != nil {
		return err
	}
	etc := &orb.Etc{Dir: cfg.Etc}
	o, err := orb.NewSimpleORB(orb.SimpleORBOptions{Dispatcher: d, Etc: etc, IIOPVersion: cfg.GIOP, Logger: cfg.Log})
	if err != nil {
		d.Close()
		return err
	}
	if err := o.Bind(cfg.Key, GridTypeID, &Grid{}); err != nil {
		d.Close()
		return err
	}
	if err := o.Activate(ctx); err != nil {
		d.Close()
		return err
	}
	ior, _ := o.IOR(cfg.Key)
	cfg.Log.Info("grid: serving", "mode", "simple", "addr", d.Addr(), "ior", etc.Path("Grid"))
	fmt.Fprintf(cfg.Out, "serving Grid at %s; its reference is in %s\n", d.Addr(), etc.Path("Grid"))
	if cfg.Ready != nil {
		cfg.Ready(ior)
	}
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Shutdown(shutdownCtx)
}
