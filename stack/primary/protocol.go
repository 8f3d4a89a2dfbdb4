package primary

import (
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Options configure the Primary protocol of one member.
type Options struct {
	// Replicas is the configured number of replicas of the group; a view
	// is primary only with a majority of them.
	Replicas int
	// Zombie says this member is a reincarnation of a replica that ran
	// before (its stable storage says so; see Reincarnate): it does not
	// count toward a majority until it is in a primary view.
	Zombie bool
	// Observer says this member holds no replicated state: it never counts
	// toward a majority and is never stale.
	Observer bool
}

// Protocol is the primary-views protocol of one member. It keeps, across
// views, what §4.4 says a member keeps: its SVN, its PPSN and whether it
// is a zombie. All of it lives in memory; only the reincarnation mark
// (Reincarnate) is on stable storage.
type Protocol struct {
	opts   Options
	svn    SVN
	ppsn   uint64
	zombie bool

	promisedTag stack.FlushTag // the flush whose number this member promised
	promisedN   uint64
	retries     int // reinstall attempts since the last primary view
}

// New returns the protocol of a member.
func New(o Options) *Protocol { return &Protocol{opts: o, zombie: o.Zombie && !o.Observer} }

// Name returns "Primary".
func (*Protocol) Name() string { return "Primary" }

// SVN returns the member's state version number. Like everything of a
// Protocol it must be read on the goroutine driving the stack.
func (p *Protocol) SVN() SVN { return p.svn }

// PPSN returns the member's potential primary sequence number.
func (p *Protocol) PPSN() uint64 { return p.ppsn }

// Zombie reports whether the member is a zombie.
func (p *Protocol) Zombie() bool { return p.zombie }

// NewLayer returns the layer for a newly installed view and applies its
// verdict: a member of a primary view is up to date, starts counting the
// view's casts, and is no longer a zombie.
func (p *Protocol) NewLayer(env *stack.Env) stack.Layer {
	info, ok := Info(env.ViewAnn)
	if !ok {
		info = ViewInfo{Replicas: p.opts.Replicas, Reason: "no primary verdict (first view)"}
	}
	p.ppsn = max(p.ppsn, info.PPSN)
	if info.Primary {
		p.svn = info.SVN
		p.zombie = false
		p.retries = 0
	}
	me := env.Me.ID()
	l := &layer{p: p, env: env, info: info, decided: ok, stale: info.IsStale(me), coord: env.View.Rank == 0}
	if l.coord {
		l.done = map[int]bool{}
	}
	return l
}

// reinstallDelay is how long a coordinator waits before it reinstalls a
// view that could be primary: short at first, doubling on every attempt
// that does not produce a primary view, so that a veto that takes time to
// lift (members still fetching messages) costs few view changes.
func (p *Protocol) reinstallDelay(cfg *stack.Config) time.Duration {
	d := 2 * cfg.Retransmit
	for i := 0; i < p.retries && d < cfg.FlushTimeout; i++ {
		d *= 2
	}
	return min(d, cfg.FlushTimeout)
}
