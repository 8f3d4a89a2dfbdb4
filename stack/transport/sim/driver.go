package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Driver runs one member's Core on a simulated node and implements
// stack.Driver, so that code written against a running stack (group
// members and the levels above them) runs in the simulator unchanged.
// Upcalls are delivered synchronously on the simulation goroutine; a view
// message request is answered at once with OnUpcall's result.
type Driver struct {
	nd      *Node
	opts    stack.Options
	exited  chan struct{}
	closed  bool
	leaving bool
}

var _ stack.Driver = (*Driver)(nil)

// Attach starts a member built from o on the node at addr: the node is
// created if needed and restarted (as a new incarnation) if it crashed.
// o.Transport and o.Clock are ignored: the network is the transport and
// its clock the time.
func (n *Network) Attach(addr string, o stack.Options, tick time.Duration) (*Driver, error) {
	d := &Driver{opts: o, exited: make(chan struct{})}
	cfg := NodeConfig{
		Tick: tick,
		NewCore: func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error) {
			var guard stack.Guard
			if o.NewGuard != nil {
				var err error
				if guard, err = o.NewGuard(me); err != nil {
					return nil, err
				}
			}
			return stack.NewCore(stack.CoreOptions{
				Group: o.Group, Me: me, Config: o.Config, Protocols: o.Protocols,
				Out: out, Log: o.Log, Seed: me.Inc, Guard: guard,
			})
		},
		Upcall: func(nd *Node, u stack.Upcall) { d.upcall(u) },
	}
	nd := n.nodes[addr]
	switch {
	case nd == nil:
		var err error
		if nd, err = n.AddNode(addr, cfg); err != nil {
			return nil, err
		}
	case nd.Alive():
		return nil, fmt.Errorf("sim: node %s is already running", addr)
	default:
		nd.newCore, nd.upcall, nd.tick = cfg.NewCore, cfg.Upcall, cfg.Tick
		if err := nd.Start(); err != nil {
			return nil, err
		}
	}
	d.nd = nd
	return d, nil
}

func (d *Driver) upcall(u stack.Upcall) {
	if d.closed || d.opts.OnUpcall == nil {
		return
	}
	reply := d.opts.OnUpcall(u)
	switch u.Kind {
	case stack.UpViewMsgReq:
		if c := d.nd.Core(); c != nil {
			c.ViewMsgReply(u.View.ID, reply)
		}
	case stack.UpExit:
		d.nd.Crash() // nothing left to run; stop its ticks
		d.close()
	}
}

func (d *Driver) close() {
	if !d.closed {
		d.closed = true
		close(d.exited)
	}
}

func (d *Driver) core() (*stack.Core, error) {
	if d.closed || !d.nd.Alive() {
		return nil, stack.ErrClosed
	}
	return d.nd.Core(), nil
}

// Node returns the simulated node the member runs on.
func (d *Driver) Node() *Node { return d.nd }

// Me returns the member's endpoint.
func (d *Driver) Me() stack.Endpoint { return d.nd.Me() }

// Config returns the stack configuration.
func (d *Driver) Config() stack.Config { return d.opts.Config.Defaults() }

// Metrics returns the node's counters.
func (d *Driver) Metrics() *stack.Metrics {
	if c, err := d.core(); err == nil {
		return c.Metrics()
	}
	return new(stack.Metrics)
}

// View returns the installed view.
func (d *Driver) View() *stack.View {
	if c, err := d.core(); err == nil {
		return c.View()
	}
	return nil
}

// do runs f against the Core; while the node is paused the call waits
// for it to resume (as a downcall posted to a stopped process would) and
// its error is lost.
func (d *Driver) do(f func(c *stack.Core) error) error {
	c, err := d.core()
	if err != nil {
		return err
	}
	if d.nd.Paused() {
		d.nd.Do(func(c *stack.Core) { _ = f(c) })
		return nil
	}
	err = f(c)
	c.Idle()
	return err
}

// Cast casts payload (in the simulator it never blocks: ctx is unused).
func (d *Driver) Cast(_ context.Context, payload []byte) error {
	return d.do(func(c *stack.Core) error { return c.Cast(payload) })
}

// Send sends payload to dest (never blocking: ctx is unused).
func (d *Driver) Send(_ context.Context, dest stack.Endpoint, payload []byte) error {
	return d.do(func(c *stack.Core) error { return c.Send(dest, payload) })
}

// Suspect reports suspected members.
func (d *Driver) Suspect(ids ...stack.Endpoint) error {
	return d.do(func(c *stack.Core) error { c.Suspect(ids...); return nil })
}

// SetInfo sets the member's info.
func (d *Driver) SetInfo(info []byte) error {
	return d.do(func(c *stack.Core) error { c.SetInfo(info); return nil })
}

// Reconfigure asks for a new view.
func (d *Driver) Reconfigure() error {
	return d.do(func(c *stack.Core) error { c.Reconfigure(); return nil })
}

// UpToDate reports the up-to-date state installed.
func (d *Driver) UpToDate() error {
	return d.do(func(c *stack.Core) error { c.UpToDate(); return nil })
}

// Leave starts leaving; in the simulator it does not wait (the simulation
// goroutine must go on running the network): Exited closes when the leave
// completes.
func (d *Driver) Leave(context.Context) error {
	return d.do(func(c *stack.Core) error { d.leaving = true; c.Leave(); return nil })
}

// Close crashes the node, unless a leave is under way: then the node stops
// once the leave completes.
func (d *Driver) Close() error {
	if !d.closed && !d.leaving {
		d.nd.Crash()
		d.close()
	}
	return nil
}

// Exited is closed when the member has left or was closed.
func (d *Driver) Exited() <-chan struct{} { return d.exited }
