// Command orbbench measures synchronous calls per second from the omniORB
// C++ client to the Go Simple ORB and, side by side in the same run, to an
// omniORB C++ server of the same IDL (the PerformanceTest interface of
// dissertation §3.6: `attribute string value`), for several string sizes.
// It prints the median of several repetitions and the Go/omniORB ratio.
//
//	go run ./bench/orbbench [-n 5000] [-reps 5] [-sizes 4,64,1024] [-giop 1.2]
//
// It needs the omniORB toolchain (./scripts/install-test-deps.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

// performanceTest implements `interface PerformanceTest { attribute string value; }`.
type performanceTest struct {
	mu    sync.Mutex
	value string
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
		p.value = v
		return iiop.NoException
	case "_get_value":
		reply.WriteString(p.value)
		return iiop.NoException
	}
	iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}

var exitCode int

func main() {
	defer func() { os.Exit(exitCode) }()
	n := flag.Int("n", 5000, "synchronous set_value calls per run")
	reps := flag.Int("reps", 15, "repetitions per size and server (median and best reported)")
	sizesFlag := flag.String("sizes", "4,64,1024", "string argument sizes in bytes")
	giop := flag.String("giop", "1.2", "IIOP version of the Go server's reference")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the Go server side to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "orbbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if err := run(*n, *reps, *sizesFlag, *giop); err != nil {
		fmt.Fprintln(os.Stderr, "orbbench:", err)
		exitCode = 1
	}
}

func run(n, reps int, sizesFlag, giop string) error {
	var sizes []int
	for _, s := range strings.Split(sizesFlag, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 0 {
			return fmt.Errorf("bad size %q", s)
		}
		sizes = append(sizes, v)
	}
	version, err := iiop.ParseVersion(giop)
	if err != nil {
		return err
	}
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

	// The Go Simple ORB server, in this process.
	d, err := orb.NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer d.Close()
	o, err := orb.NewSimpleORB(orb.SimpleORBOptions{Dispatcher: d, Etc: &orb.Etc{Dir: dir}, IIOPVersion: version})
	if err != nil {
		return err
	}
	key, _ := orb.NewKey("PerformanceTest")
	if err := o.Bind(key, "IDL:PerformanceTest:1.0", &performanceTest{}); err != nil {
		return err
	}
	if err := o.Activate(); err != nil {
		return err
	}
	goIOR := filepath.Join(dir, "PerformanceTest.ior")

	// The omniORB C++ server of the same IDL.
	omniIOR := filepath.Join(dir, "omni.ior")
	srv, err := bins.StartServer(ctx, "perf", omniIOR)
	if err != nil {
		return err
	}
	defer srv.Stop()

	measure := func(ior string, size int) (float64, error) {
		out, err := bins.RunClient(ctx, "perf", ior, strconv.Itoa(size), strconv.Itoa(n))
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
	fmt.Printf("omniORB C++ client, %d synchronous set_value calls per run, %d runs per cell alternating servers, 127.0.0.1\n", n, reps)
	fmt.Printf("load average before: %s\n", loadAverage())
	fmt.Printf("%6s | %12s %12s %6s | %12s %12s %6s\n", "size", "Go median", "omni median", "ratio", "Go best", "omni best", "ratio")
	for _, size := range sizes {
		var goRates, omniRates []float64
		for r := 0; r < reps; r++ {
			// Alternate the servers so drift in machine load hits both.
			g, err := measure(goIOR, size)
			if err != nil {
				return err
			}
			om, err := measure(omniIOR, size)
			if err != nil {
				return err
			}
			goRates, omniRates = append(goRates, g), append(omniRates, om)
		}
		gm, om := median(goRates), median(omniRates)
		gb, ob := best(goRates), best(omniRates)
		fmt.Printf("%5dB | %12.0f %12.0f %6.2f | %12.0f %12.0f %6.2f\n", size, gm, om, gm/om, gb, ob, gb/ob)
	}
	fmt.Printf("load average after: %s\n", loadAverage())
	return nil
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
