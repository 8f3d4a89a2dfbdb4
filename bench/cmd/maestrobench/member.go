package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// bench is a member process: it joins the group and runs the driver's cells.
type bench struct {
	groupmember.Callbacks
	m   *groupmember.Member
	out *json.Encoder
	mu  sync.Mutex

	// throughput cell
	run      uint32
	count    uint64
	ends     int
	senders  int
	doneOnce bool
	cpu0     time.Duration // process CPU time when the cell began
	metrics0 stack.MetricsSnapshot

	// latency cell
	acks chan arrival
	// self-delivery latency cell: this member's own probes, delivered
	self chan arrival
}

// arrival is a latency cell's message as the delivery callback saw it:
// its sequence number and when the callback ran, before the hand-off to
// the goroutine waiting for it.
type arrival struct {
	seq uint64
	at  time.Time
}

func (b *bench) emit(r report) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.out.Encode(r)
}

func (b *bench) AcceptedView(v *groupmember.ViewData, _ *message.Message) {
	b.emit(report{Event: "view", Members: len(v.Members), Rank: v.Rank, Primary: v.Primary, Note: v.NotPrimary})
	if v.IsStale() {
		// With Primary, a member that missed a primary view is stale until
		// it has the up-to-date state; the benchmark's application has no
		// state, so it has it at once.
		go func() { _ = b.m.UpToDate() }()
	}
}

func (b *bench) ReceiveCast(from groupmember.EndpID, msg *message.Message) {
	kind, run, seq, ok := parse(msg.Bytes())
	if !ok {
		return
	}
	switch kind {
	case kindData:
		b.mu.Lock()
		if run == b.run {
			if b.count == 0 {
				b.cpu0 = cpuTime() // the measured part starts (after any warm-up)
			}
			b.count++
		}
		b.mu.Unlock()
	case kindEnd:
		// The cell ends when the last sender's end marker is delivered:
		// each sender casts it right after its last counted cast, which
		// its FIFO order delivers just before it. Timing that marker,
		// not every cast, keeps a clock read per cast (a twentieth of a
		// receiver's CPU) out of what the cell measures.
		now := time.Now().UnixNano()
		b.mu.Lock()
		finished := false
		if run == b.run {
			b.ends++
			finished = b.ends == b.senders && !b.doneOnce
			b.doneOnce = b.doneOnce || finished
		}
		count, cpu0 := b.count, b.cpu0
		b.mu.Unlock()
		if finished && os.Getenv("MAESTROBENCH_METRICS") != "" {
			b.printMetrics(fmt.Sprintf("throughput run %d", run))
		}
		if finished {
			b.emit(report{Event: "done", Run: run, Count: count, LastNs: now, RSSKiB: rssKiB(), CPUus: float64(cpuTime()-cpu0) / 1e3})
		}
	case kindPing:
		if from != b.m.ID() {
			_ = b.m.Send(from, message.FromBytes(payload(kindAck, run, seq, hdrLen)))
		}
	case kindProbe:
		if from == b.m.ID() {
			select {
			case b.self <- arrival{seq, time.Now()}:
			default:
			}
		}
	}
}

func (b *bench) ReceiveSend(_ groupmember.EndpID, msg *message.Message) {
	if kind, _, seq, ok := parse(msg.Bytes()); ok && kind == kindAck {
		select {
		case b.acks <- arrival{seq, time.Now()}:
		default:
		}
	}
}

func memberMain(args []string) error {
	fs := flag.NewFlagSet("member", flag.ContinueOnError)
	group := fs.String("group", "", "group")
	portBase := fs.Int("portbase", 0, "discovery range")
	props := fs.String("properties", "", "properties")
	replicas := fs.Int("replicas", 0, "configured number of replicas (Primary)")
	stateDir := fs.String("statedir", "", "state directory (Primary)")
	keyFile := fs.String("key-file", "", "group key file (Auth, Privacy)")
	mcast := fs.String("multicast", "", "IP multicast group:port (discovery, and data wherever every member hears it)")
	mcastIf := fs.String("multicast-interface", "", "interface to join the multicast group on")
	inline := fs.Bool("inline-upcalls", false, "callbacks on the goroutine that brought the work (InlineUpcalls)")
	maxPacket := fs.Int("max-packet", 0, "largest datagram (0: the transport's default)")
	noOffload := fs.Bool("no-offload", false, "no UDP segmentation offload (GSO, GRO)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := record("MAESTROBENCH_PROFILE", "member-*.cpu", pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	stopTrace, err := record("MAESTROBENCH_TRACE", "member-*.trace", trace.Start, trace.Stop)
	if err != nil {
		return err
	}
	defer stopTrace()
	b := &bench{out: json.NewEncoder(os.Stdout), acks: make(chan arrival, 1024), self: make(chan arrival, 1024)}
	m, err := groupmember.New(groupmember.Options{Group: *group, PortBase: *portBase, PortCount: 16, Properties: *props,
		Replicas: *replicas, StateDir: *stateDir, KeyFile: *keyFile,
		Multicast: *mcast, MulticastInterface: *mcastIf, InlineUpcalls: *inline,
		MaxPacket: *maxPacket, NoOffload: *noOffload}, b)
	if err != nil {
		return err
	}
	b.m = m
	if err := m.Join(context.Background()); err != nil {
		return err
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return fmt.Errorf("bad command %q: %w", sc.Text(), err)
		}
		switch c.Cmd {
		case "throughput":
			b.mu.Lock()
			b.run, b.count, b.ends, b.senders, b.doneOnce = c.Run, 0, 0, c.Senders, false
			b.cpu0 = cpuTime()
			b.metrics0 = m.Metrics()
			b.mu.Unlock()
			if c.Send {
				go b.sendFor(c)
			}
		case "latency":
			if c.Send {
				go b.pingPong(c)
			}
		case "selflatency":
			if c.Send {
				go b.selfLatency(c)
			}
		case "quit":
			if os.Getenv("MAESTROBENCH_METRICS") != "" {
				fmt.Fprintf(os.Stderr, "member rank %d %s metrics: %+v\n", m.View().Rank, *props, m.Metrics())
			}
			return m.Leave(context.Background())
		}
	}
	m.Close()
	return nil
}

// sendFor casts as fast as the stack accepts for the cell's duration, then
// casts the end marker. Every cast of the cell is the same payload, made
// once (receivers only count them): the stack copies what it is given and
// never changes it, and raft's workload applies payloads from a pool made
// before it starts, so neither side pays for an allocation per message.
func (b *bench) sendFor(c command) {
	// Warm-up: the same casts, not counted (receivers ignore kindWarm), so
	// that a group idle until now reaches its steady state first.
	warm := payload(kindWarm, c.Run, 0, c.Size)
	warmEnd := time.Now().Add(time.Duration(c.WarmMillis) * time.Millisecond)
	for time.Now().Before(warmEnd) {
		for i := 0; i < 64; i++ {
			if err := b.cast(warm); err != nil {
				b.emit(report{Event: "error", Error: err.Error()})
				return
			}
		}
	}
	start := time.Now()
	b.emit(report{Event: "started", Run: c.Run, StartNs: start.UnixNano()})
	end := start.Add(time.Duration(c.Millis) * time.Millisecond)
	data := payload(kindData, c.Run, 0, c.Size)
	var seq uint64
	for time.Now().Before(end) {
		for i := 0; i < 64; i++ {
			seq++
			if err := b.cast(data); err != nil {
				b.emit(report{Event: "error", Error: err.Error()})
				return
			}
		}
	}
	if err := b.cast(payload(kindEnd, c.Run, seq, hdrLen)); err != nil {
		b.emit(report{Event: "error", Error: err.Error()})
	}
}

// printMetrics writes to stderr what the stack counted since the cell began
// (MAESTROBENCH_METRICS set).
func (b *bench) printMetrics(what string) {
	a, z := b.metrics0, b.m.Metrics()
	perCast := func(n uint64) float64 { return float64(n) / float64(max(1, z.CastsDelivered-a.CastsDelivered)) }
	fmt.Fprintf(os.Stderr, "member rank %d %s: casts sent %d delivered %d; packets sent %d (%.3f per delivered cast) received %d (%.3f); retransmissions %d naks %d\n",
		b.m.View().Rank, what, z.CastsSent-a.CastsSent, z.CastsDelivered-a.CastsDelivered,
		z.PacketsSent-a.PacketsSent, perCast(z.PacketsSent-a.PacketsSent), z.PacketsReceived-a.PacketsReceived, perCast(z.PacketsReceived-a.PacketsReceived),
		z.Retransmissions-a.Retransmissions, z.NaksSent-a.NaksSent)
}

// cast casts p; with the Primary property, a cast refused because the
// view is not primary (a view change under load) waits for a primary view
// for a while instead of failing the cell.
func (b *bench) cast(p []byte) error {
	err := b.m.Cast(message.FromBytes(p))
	if errors.Is(err, groupmember.ErrNotPrimary) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = b.m.CastWait(ctx, message.FromBytes(p))
	}
	return err
}

// selfLatency runs closed-loop casts, each timed from the cast until this
// member's own delivery of it (with Safe, until a majority holds it): until
// the goroutine waiting for it runs, and until the delivery callback ran.
func (b *bench) selfLatency(c command) {
	var ds, ups []time.Duration
	for i := 1; i <= c.Count; i++ {
		t0 := time.Now()
		if err := b.cast(payload(kindProbe, c.Run, uint64(i), c.Size)); err != nil {
			b.emit(report{Event: "error", Error: err.Error()})
			return
		}
		for waiting := true; waiting; {
			select {
			case a := <-b.self:
				if a.seq == uint64(i) {
					waiting = false
					ups = append(ups, a.at.Sub(t0))
				}
			case <-time.After(10 * time.Second):
				b.emit(report{Event: "error", Error: fmt.Sprintf("probe %d not delivered", i)})
				return
			}
		}
		ds = append(ds, time.Since(t0))
	}
	b.emit(report{Event: "done", Run: c.Run, Count: uint64(len(ds)), P50us: percentile(ds, 0.5), P99us: percentile(ds, 0.99),
		U50us: percentile(ups, 0.5)})
}

// pingPong runs closed-loop round trips: cast, wait for every other
// member's acknowledgement, repeat. The first acknowledgement (a majority
// of 3 has the cast) is also timed until its delivery callback ran.
func (b *bench) pingPong(c command) {
	var all, quorum, ups []time.Duration
	for i := 1; i <= c.Count; i++ {
		t0 := time.Now()
		if err := b.m.Cast(message.FromBytes(payload(kindPing, c.Run, uint64(i), c.Size))); err != nil {
			b.emit(report{Event: "error", Error: err.Error()})
			return
		}
		for got := 0; got < c.Receiver; {
			select {
			case a := <-b.acks:
				if a.seq == uint64(i) {
					got++
					if got == 1 {
						quorum = append(quorum, time.Since(t0))
						ups = append(ups, a.at.Sub(t0))
					}
				}
			case <-time.After(10 * time.Second):
				b.emit(report{Event: "error", Error: fmt.Sprintf("no acknowledgement for ping %d", i)})
				return
			}
		}
		all = append(all, time.Since(t0))
	}
	b.emit(report{Event: "done", Run: c.Run, Count: uint64(len(all)),
		P50us: percentile(all, 0.5), P99us: percentile(all, 0.99),
		Q50us: percentile(quorum, 0.5), Q99us: percentile(quorum, 0.99), U50us: percentile(ups, 0.5)})
}

// percentile returns the p-th percentile of ds in microseconds.
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(p*float64(len(s)-1))].Nanoseconds()) / 1e3
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKiB returns this process's peak resident set size.
func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// record starts a recording (a CPU profile, an execution trace) into a new
// file named after pattern in the directory the environment variable env
// names, if it is set; the function returned ends it.
func record(env, pattern string, start func(io.Writer) error, stop func()) (func(), error) {
	dir := os.Getenv(env)
	if dir == "" {
		return func() {}, nil
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		stop()
		f.Close()
	}, nil
}
