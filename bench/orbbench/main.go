// Command orbbench measures synchronous calls per second from the omniORB
// C++ client to the Go Simple ORB and, side by side in the same run, to an
// omniORB C++ server of the same IDL (the PerformanceTest interface of
// dissertation §3.6: `attribute string value`), for several string sizes.
// It prints the median and best of several repetitions, the Go/omniORB
// ratio, and the CPU time each server process spent per call.
//
//	go run ./bench/orbbench [-n 5000] [-reps 15] [-sizes 4,64,1024] [-giop 1.2]
//	                        [-pin same,split,free] [-readmode default|poll|blocking]
//	                        [-clients 1] [-server both|go|omni]
//	                        [-cpuprofile F] [-trace F]
//
// Both servers run as processes of their own (the Go one is this program
// re-executed with -serve), so neither shares a process with the
// benchmark's driver, and each one's CPU time is read from /proc.
//
// A synchronous call over loopback is a ping-pong between two threads, so
// its rate depends on where the kernel runs them as much as on either
// server: on a virtual machine a wake-up sent to an idle CPU costs tens of
// microseconds, far more than a call's processing. Each placement is
// therefore measured separately:
//
//   - same: both servers and the client on CPU 0, so wake-ups are plain
//     context switches and the rate measures the CPU cost of a call;
//   - split: servers on CPU 0, client on CPU 1, so every call pays two
//     cross-CPU wake-ups (like client and server on different machines);
//   - free: no pinning, the kernel decides (bimodal on an idle VM).
//
// Pinning only steers wake-ups: the Go server keeps the GOMAXPROCS it gets
// on this machine (set GOMAXPROCS to override).
//
// # The Replicated Updates ORB (-ru)
//
//	go run ./bench/orbbench -ru [-replicas 1,3,5] [-sizes 4,64,1024] [-n 2000] [-reps 7]
//	                            [-aggclients 8] [-aggn 1000] [-aggreps 4] [-progress all,primary]
//	                            [-server both|go|omni] [-cpuprofile F]
//
// measures, instead of the Simple ORB, the Replicated Updates ORB (§3.4)
// in groups of each -replicas size, every replica a process of its own
// (this program re-executed with the hidden -serve-ru flag) binding a
// PerformanceTest object, with StateTransfer, a fresh state directory per
// replica and ReinstallIOR publishing the compound IOR in a temporary etc
// directory. Each size runs in each -progress mode:
//
//   - all (progress in all partitions): the Total order only. The replica a
//     client calls first is the view's rank 0, the sequencer, so it orders
//     and delivers the relayed request at once and replies with no round
//     to the others: §3.6's configuration ("the active sender becomes the
//     sequencer").
//   - primary (ProgressInPrimaryOnly, Replicas = the group size): Primary
//     and Safe, so a reply waits until a majority holds the request — one
//     UDP round trip more than any unreplicated call, whatever the stack
//     does.
//
// Every group has a name and a discovery port range of its own. The driver
// waits until every replica serves in one primary view of them all and has
// published the IOR listing them all, then runs, in the same run and
// interleaved (the order rotated every repetition), the omniORB client
// against the omniORB C++ server and against each group, calling the first
// replica of the published compound IOR (-entry K: replica K, which is not
// the sequencer). It prints calls/s (median
// [min–max] of -reps runs), the RU/omniORB ratio of the medians and the
// median [min–max] of each run's ratio to the omniORB run next to it, all
// server processes' CPU time per call, the load average at the start and
// end, and whether the bars of DESIGN §6 are met (3 replicas ≥ 0.8×
// omniORB, 1 replica ≥ 1.0×) in each mode. Then the aggregate:
// -aggclients clients at once, client i calling replica (i+K) mod the group
// size first (an IOR listing it first), their rates summed (and, for
// comparison, clients × the slowest client's rate). No pinning: -pin does
// not apply. -n and -reps default to 2000 and 7 here. -cpuprofile F has
// each replica write F.<group>.r<i>; ORBBENCH_RU_LOG=debug (or info) shows
// the replicas' logs.
//
// It needs the omniORB toolchain (./scripts/install-test-deps.sh).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

// performanceTest implements `interface PerformanceTest { attribute string value; }`.
type performanceTest struct {
	mu    sync.Mutex
	value string
	// relay, if set, gets each set_value's argument before it is applied
	// (the relaying floors, floor.go).
	relay valueRelay
}

// valueRelay is a relaying floor's way to pass a set_value's argument on
// (floor.go, floor_acked.go); the servant's lock serialises calls.
type valueRelay interface {
	relayValue(b []byte) error
}

func (p *performanceTest) Update(op string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch op {
	case "_set_value":
		v := req.ReadString()
		if req.Err() != nil {
			iiop.NewSystemException(iiop.ExcMarshal, 0, iiop.CompletedNo).Encode(reply)
			return iiop.SystemExceptionReply
		}
		if p.relay != nil {
			if err := p.relay.relayValue([]byte(v)); err != nil {
				// The floor failed to measure what it stands for: the
				// client sees it rather than a faster call.
				iiop.NewSystemException(iiop.ExcTransient, 0, iiop.CompletedNo).Encode(reply)
				return iiop.SystemExceptionReply
			}
		}
		p.value = v
		return iiop.NoException
	case "_get_value":
		reply.WriteString(p.value)
		return iiop.NoException
	}
	iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}

type config struct {
	n, reps     int
	clients     int
	sizes       []int
	giop        string
	only        string
	pins        []string
	readMode    string
	maxBlocking int
	cpuProfile  string
	traceFile   string

	// The Replicated Updates ORB (-ru).
	ru         bool
	replicas   []int
	aggClients int
	entry      int // the replica the first client calls first (0: the sequencer)
	aggN       int
	aggReps    int
	progress   []bool   // ProgressInPrimaryOnly of each mode measured
	serveEnv   []string // the RU replicas' environment (nil: this process's)
	floors     bool     // with -ru: also measure the floors (floor.go)
	relay      string   // with -serve: the readers the servant relays to
	relayAsync bool     // with -relay: from a goroutine of its own, not before the reply
	relayAcked bool     // with -relay: before the reply, waiting for a reader's acknowledgement
}

func main() {
	var cfg config
	var sizes, pins string
	flag.IntVar(&cfg.n, "n", 5000, "synchronous set_value calls per run")
	flag.IntVar(&cfg.reps, "reps", 15, "repetitions per size and server (median and best reported)")
	flag.StringVar(&sizes, "sizes", "4,64,1024", "string argument sizes in bytes")
	flag.StringVar(&cfg.giop, "giop", "1.2", "IIOP version of the Go server's reference")
	flag.StringVar(&cfg.only, "server", "both", "servers to measure: both, go or omni (one alone is handy under perf)")
	flag.StringVar(&pins, "pin", "same,split,free", "placements to measure, in order: same (all on CPU 0), split (servers on CPU 0, client on CPU 1), free (no pinning)")
	flag.IntVar(&cfg.clients, "clients", 1, "client processes calling at once (aggregate rate: clients × the slowest client's rate)")
	flag.StringVar(&cfg.readMode, "readmode", "default", "iiop.ServerOptions.ReadMode of the Go server: default, poll or blocking")
	flag.IntVar(&cfg.maxBlocking, "maxblocking", 0, "iiop.ServerOptions.MaxBlockingReaders of the Go server (0: default)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the Go server process to this file")
	flag.StringVar(&cfg.traceFile, "trace", "", "write a runtime execution trace of the Go server process to this file")
	flag.BoolVar(&cfg.ru, "ru", false, "measure the Replicated Updates ORB (groups of -replicas replicas, each a process) against the omniORB server, instead of the Simple ORB")
	replicas := flag.String("replicas", "1,3,5", "with -ru: the group sizes to measure")
	flag.IntVar(&cfg.aggClients, "aggclients", 8, "with -ru: concurrent clients of the aggregate measurement, spread over the replicas (0 or 1: none)")
	flag.IntVar(&cfg.aggN, "aggn", 0, "with -ru: calls per client in the aggregate measurement (0: half of -n)")
	flag.IntVar(&cfg.aggReps, "aggreps", 0, "with -ru: repetitions of the aggregate measurement (0: half of -reps, rounded up)")
	flag.IntVar(&cfg.entry, "entry", 0, "with -ru: the replica the single client calls first, by its place in the published compound IOR (0: the view's rank 0, the sequencer; any other is not, so in \"all\" mode every call waits for the sequencer's order); client i of the aggregate calls replica (i+entry) mod the group size first")
	progress := flag.String("progress", "all,primary", "with -ru: the modes measured: all (progress in all partitions: Total order, §3.6's configuration), primary (ProgressInPrimaryOnly: Primary+Safe)")
	flag.BoolVar(&cfg.floors, "floors", true, "with -ru: also measure the floors of a replicated call here: the Simple ORB alone, and the Simple ORB relaying every request by UDP to 2 reader processes, before it replies, from a goroutine of its own, or before it replies and waiting for one reader's acknowledgement")
	serveDir := flag.String("serve", "", "internal: run the Go server, publishing its IOR in this directory, until SIGTERM")
	flag.StringVar(&cfg.relay, "relay", "", "internal: with -serve, the servant sends each set_value's argument to these UDP readers (host:port,...) before it replies")
	flag.BoolVar(&cfg.relayAsync, "relay-async", false, "internal: with -relay, the servant queues each argument for a goroutine that sends what has queued up, and replies at once")
	flag.BoolVar(&cfg.relayAcked, "relay-acked", false, "internal: with -relay, the servant numbers each argument it sends and waits until a reader acknowledges it before it replies")
	reader := flag.Bool("udp-reader", false, "internal: read and drop UDP datagrams, printing the address, until SIGTERM")
	readerAck := flag.Bool("udp-reader-ack", false, "internal: with -udp-reader, acknowledge each batch read to its senders (-relay-acked)")
	var sc ruServeConfig
	flag.StringVar(&sc.etc, "serve-ru", "", "internal: run one RU replica, publishing the compound IOR in this directory, until SIGTERM")
	flag.StringVar(&sc.group, "ru-group", "", "internal: with -serve-ru, the group's name")
	flag.StringVar(&sc.key, "ru-key", "", "internal: with -serve-ru, the object's key (the same at every replica)")
	flag.IntVar(&sc.replicas, "ru-replicas", 0, "internal: with -serve-ru, the group's size")
	flag.IntVar(&sc.portBase, "ru-portbase", 0, "internal: with -serve-ru, the group's discovery port range")
	flag.StringVar(&sc.stateDir, "ru-statedir", "", "internal: with -serve-ru, the replica's state directory")
	flag.BoolVar(&sc.primary, "ru-primary", true, "internal: with -serve-ru, ProgressInPrimaryOnly")
	flag.Parse()
	var err error
	switch {
	case *reader:
		err = udpReaderMain(*readerAck)
	case *serveDir != "":
		err = serve(*serveDir, cfg)
	case sc.etc != "":
		err = serveRU(sc, cfg)
	default:
		if cfg.ru {
			set := map[string]bool{}
			flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if !set["n"] {
				cfg.n = ruDefaultN
			}
			if !set["reps"] {
				cfg.reps = ruDefaultReps
			}
		}
		if err = cfg.parse(sizes, pins, *replicas, *progress); err == nil {
			if cfg.ru {
				err = runRU(&cfg)
			} else {
				err = run(&cfg)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orbbench:", err)
		os.Exit(1)
	}
}

func (cfg *config) parse(sizes, pins, replicas, progress string) error {
	for _, s := range strings.Split(progress, ",") {
		switch strings.TrimSpace(s) {
		case "all":
			cfg.progress = append(cfg.progress, false)
		case "primary":
			cfg.progress = append(cfg.progress, true)
		default:
			return fmt.Errorf("-progress: bad mode %q (all or primary)", s)
		}
	}
	for _, s := range strings.Split(replicas, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 1 || v > ruPortCount {
			return fmt.Errorf("-replicas: bad group size %q (1 to %d)", s, ruPortCount)
		}
		cfg.replicas = append(cfg.replicas, v)
	}
	if cfg.n < 1 || cfg.reps < 1 {
		return errors.New("-n and -reps must be at least 1")
	}
	if cfg.entry < 0 {
		return errors.New("-entry must be at least 0")
	}
	if cfg.aggN <= 0 {
		cfg.aggN = max(1, cfg.n/2)
	}
	if cfg.aggReps <= 0 {
		cfg.aggReps = (cfg.reps + 1) / 2
	}
	for _, s := range strings.Split(sizes, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 0 {
			return fmt.Errorf("bad size %q", s)
		}
		cfg.sizes = append(cfg.sizes, v)
	}
	if _, err := iiop.ParseVersion(cfg.giop); err != nil {
		return err
	}
	if _, err := parseReadMode(cfg.readMode); err != nil {
		return err
	}
	if cfg.only != "both" && cfg.only != "go" && cfg.only != "omni" {
		return fmt.Errorf("-server must be both, go or omni, not %q", cfg.only)
	}
	if cfg.clients < 1 {
		return errors.New("-clients must be at least 1")
	}
	for _, p := range strings.Split(pins, ",") {
		p = strings.TrimSpace(p)
		pl, ok := placements[p]
		if !ok {
			return fmt.Errorf("-pin: unknown placement %q (same, split, free)", p)
		}
		for _, c := range append(pl.servers, pl.client...) {
			if c >= runtime.NumCPU() {
				return fmt.Errorf("-pin %s needs CPU %d", p, c)
			}
		}
		cfg.pins = append(cfg.pins, p)
	}
	return nil
}

func parseReadMode(s string) (iiop.ReadMode, error) {
	switch s {
	case "default":
		return iiop.ReadDefault, nil
	case "poll":
		return iiop.ReadPoll, nil
	case "blocking":
		return iiop.ReadBlocking, nil
	}
	return 0, fmt.Errorf("-readmode must be default, poll or blocking, not %q", s)
}

// serverSetup reads what a server process of this program needs from
// cfg — the IIOP version, the read mode — and starts its CPU profile if
// asked; the caller defers stopProfile.
func serverSetup(cfg config) (version iiop.Version, mode iiop.ReadMode, stopProfile func(), err error) {
	stopProfile = func() {}
	if version, err = iiop.ParseVersion(cfg.giop); err != nil {
		return
	}
	if mode, err = parseReadMode(cfg.readMode); err != nil {
		return
	}
	if cfg.cpuProfile != "" {
		f, ferr := os.Create(cfg.cpuProfile)
		if ferr != nil {
			return version, mode, stopProfile, ferr
		}
		pprof.StartCPUProfile(f)
		stopProfile = func() {
			pprof.StopCPUProfile()
			f.Close()
		}
	}
	if cfg.traceFile != "" {
		f, ferr := os.Create(cfg.traceFile)
		if ferr != nil {
			return version, mode, stopProfile, ferr
		}
		trace.Start(f)
		stopCPU := stopProfile
		stopProfile = func() {
			trace.Stop()
			f.Close()
			stopCPU()
		}
	}
	return
}

// serve runs the Go Simple ORB server until SIGTERM or SIGINT.
func serve(dir string, cfg config) (err error) {
	if os.Getenv("GOMAXPROCS") == "" {
		// Fix GOMAXPROCS at this machine's CPU count: the driver pins this
		// process only to steer wake-ups, and the runtime would otherwise
		// follow the affinity mask.
		runtime.GOMAXPROCS(runtime.NumCPU())
	}
	version, mode, stopProfile, err := serverSetup(cfg)
	if err != nil {
		return err
	}
	defer stopProfile()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	d, err := orb.NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0", ReadMode: mode, MaxBlockingReaders: cfg.maxBlocking})
	if err != nil {
		return err
	}
	defer d.Close()
	o, err := orb.NewSimpleORB(orb.SimpleORBOptions{Dispatcher: d, Etc: &orb.Etc{Dir: dir}, IIOPVersion: version})
	if err != nil {
		return err
	}
	servant := &performanceTest{}
	switch {
	case cfg.relay != "" && cfg.relayAcked:
		if servant.relay, err = newAckedRelay(cfg.relay); err != nil {
			return err
		}
	case cfg.relay != "":
		if servant.relay, err = newRelay(cfg.relay, cfg.relayAsync); err != nil {
			return err
		}
	}
	key, _ := orb.NewKey("PerformanceTest")
	if err := o.Bind(key, "IDL:PerformanceTest:1.0", servant); err != nil {
		return err
	}
	if err := o.Activate(context.Background()); err != nil {
		return err
	}
	<-stop
	return nil
}

// placement says on which CPUs the servers and the client run; nil means
// anywhere.
type placement struct {
	servers, client []int
	what            string
}

var placements = map[string]placement{
	"same":  {[]int{0}, []int{0}, "both servers and the client on CPU 0"},
	"split": {[]int{0}, []int{1}, "servers on CPU 0, client on CPU 1"},
	"free":  {nil, nil, "no pinning"},
}

func run(cfg *config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bins, err := omnibuild.Cached(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "orbbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The Go Simple ORB server: this program with -serve.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	goSrv := exec.Command(self, "-serve", dir, "-giop", cfg.giop, "-readmode", cfg.readMode,
		"-maxblocking", strconv.Itoa(cfg.maxBlocking), "-cpuprofile", cfg.cpuProfile, "-trace", cfg.traceFile)
	goSrv.Stdout, goSrv.Stderr = os.Stdout, os.Stderr
	if err := goSrv.Start(); err != nil {
		return err
	}
	defer func() {
		if goSrv.Process.Signal(syscall.SIGTERM) != nil { // SIGTERM lets it write its profile
			goSrv.Process.Kill()
		}
		goSrv.Wait()
	}()
	goIOR := filepath.Join(dir, "PerformanceTest.ior")
	if _, err := omnibuild.WaitForFile(ctx, goIOR); err != nil {
		return fmt.Errorf("Go server: %w", err)
	}

	// The omniORB C++ server of the same IDL.
	omniIOR := filepath.Join(dir, "omni.ior")
	srv, err := bins.StartServer(ctx, "perf", omniIOR)
	if err != nil {
		return err
	}
	defer srv.Stop()

	fmt.Printf("omniORB C++ client, %d client(s) each making %d synchronous set_value calls per run, %d runs per cell alternating servers, 127.0.0.1\n",
		cfg.clients, cfg.n, cfg.reps)
	fmt.Printf("Go server: read mode %s, GOMAXPROCS %s\n", cfg.readMode, goMaxProcs())
	for _, name := range cfg.pins {
		p := placements[name]
		for _, pid := range []int{goSrv.Process.Pid, srv.Cmd.Process.Pid} {
			if err := place(pid, p.servers); err != nil {
				return err
			}
		}
		// measure runs cfg.clients clients at once and returns their
		// aggregate rate, counted as clients × the slowest client's rate: as
		// if all started together and the batch ended with the slowest, so
		// a server that serves one client at the expense of another does not
		// look faster.
		measure := func(ior string, size int, cpu *cpuMeter) (float64, error) {
			args := []string{"perf", ior, strconv.Itoa(size), strconv.Itoa(cfg.n)}
			rates := make([]float64, cfg.clients)
			errs := make([]error, cfg.clients)
			var wg sync.WaitGroup
			cpu.start()
			for i := range cfg.clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rates[i], errs[i] = runClient(ctx, bins.Client, p.client, args)
				}()
			}
			wg.Wait()
			cpu.stop()
			slowest := rates[0]
			for i := range rates {
				if errs[i] != nil {
					return 0, errs[i]
				}
				slowest = min(slowest, rates[i])
			}
			return slowest * float64(cfg.clients), nil
		}
		fmt.Printf("\nplacement %s (%s), load average before: %s\n", name, p.what, loadAverage())
		fmt.Printf("%6s | %12s %12s %6s | %12s %12s %6s | %13s\n", "size", "Go median", "omni median", "ratio", "Go best", "omni best", "ratio", "server CPU")
		fmt.Printf("%6s | %12s %12s %6s | %12s %12s %6s | %6s %6s\n", "", "calls/s", "calls/s", "", "calls/s", "calls/s", "", "Go µs", "omni")
		for _, size := range cfg.sizes {
			var goRates, omniRates []float64
			goCPU, omniCPU := &cpuMeter{pid: goSrv.Process.Pid}, &cpuMeter{pid: srv.Cmd.Process.Pid}
			for r := 0; r < cfg.reps; r++ {
				// Alternate the servers so drift in machine load hits both.
				var g, om float64
				if cfg.only != "omni" {
					if g, err = measure(goIOR, size, goCPU); err != nil {
						return err
					}
				}
				if cfg.only != "go" {
					if om, err = measure(omniIOR, size, omniCPU); err != nil {
						return err
					}
				}
				goRates, omniRates = append(goRates, g), append(omniRates, om)
			}
			gm, om := median(goRates), median(omniRates)
			gb, ob := best(goRates), best(omniRates)
			calls := float64(cfg.reps * cfg.clients * (cfg.n + warmup))
			gc, oc := goCPU.total.Seconds()*1e6/calls, omniCPU.total.Seconds()*1e6/calls
			fmt.Printf("%5dB | %12.0f %12.0f %6.2f | %12.0f %12.0f %6.2f | %6.2f %6.2f\n", size, gm, om, gm/om, gb, ob, gb/ob, gc, oc)
		}
		fmt.Printf("load average after: %s\n", loadAverage())
	}
	return nil
}

func goMaxProcs() string {
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		return v + " (from the environment)"
	}
	return strconv.Itoa(runtime.NumCPU())
}

// runClient runs one perf client, pinned to cpus unless nil, and returns
// the calls per second it reports.
func runClient(ctx context.Context, client string, cpus []int, args []string) (float64, error) {
	var cmd *exec.Cmd
	if cpus != nil {
		cmd = exec.CommandContext(ctx, "taskset", append([]string{"-c", cpuList(cpus), client}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, client, args...)
	}
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		return 0, fmt.Errorf("client: %v: %s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "calls_per_sec "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("client printed no rate: %s", out)
}

// place pins every thread of process pid (threads created later inherit)
// to cpus, or to all CPUs if cpus is nil.
func place(pid int, cpus []int) error {
	if cpus == nil && runtime.GOOS != "linux" {
		return nil
	}
	all := cpus
	if all == nil {
		for i := range runtime.NumCPU() {
			all = append(all, i)
		}
	}
	return setAffinity(pid, all)
}

// warmup is the number of calls the client makes before timing.
const warmup = 200

// cpuMeter sums the CPU time (user+system, all threads) a server process
// spends while clients run.
type cpuMeter struct {
	pid   int
	t0    cpuSample
	total time.Duration
}

func (m *cpuMeter) start() { m.t0 = sampleCPU(m.pid) }
func (m *cpuMeter) stop()  { m.total += cpuBetween(m.t0, sampleCPU(m.pid)) }

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

func best(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// loadAverage reports /proc/loadavg so a reader can judge how quiet the
// machine was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
