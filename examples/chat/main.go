// Command chat is the Maestro chat program (§2.2.5): every line typed on
// standard input is cast to the group and printed by every member as
// "<sender>: <text>"; view changes are printed as they happen.
//
// Start several in different terminals with nothing but a group name:
//
//	go run ./examples/chat -group demo
//
// They find each other over loopback. Across machines, give each member
// -listen 0.0.0.0:PORT and -seeds with the addresses of some others (or
// -multicast GROUP:PORT where IP multicast works).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// chat is the group member: it prints what it receives.
type chat struct {
	groupmember.Callbacks
	out  io.Writer
	mu   sync.Mutex
	once sync.Once
	up   chan struct{}
}

func (c *chat) printf(format string, args ...any) {
	c.mu.Lock()
	fmt.Fprintf(c.out, format, args...)
	c.mu.Unlock()
}

func (c *chat) AcceptedView(v *groupmember.ViewData, _ *message.Message) {
	ids := make([]string, len(v.Members))
	for i, m := range v.Members {
		ids[i] = string(m)
	}
	c.printf("view %s (%d members): %s\n", v.ID, len(v.Members), strings.Join(ids, " "))
	c.once.Do(func() { close(c.up) })
}

func (c *chat) ReceiveCast(from groupmember.EndpID, msg *message.Message) {
	name, text := msg.GetString(), msg.GetString()
	if err := msg.Err(); err != nil {
		c.printf("(unreadable message from %s: %v)\n", from, err)
		return
	}
	c.printf("%s: %s\n", name, text)
}

func (c *chat) AbortCast(from groupmember.EndpID, msg *message.Message) {
	name, text := msg.GetString(), msg.GetString()
	c.printf("(not delivered, the group split: %s: %s)\n", name, text)
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(errOut)
	group := fs.String("group", "chat", "name of the chat group")
	name := fs.String("name", "", "name shown before your lines (default: your member id)")
	listen := fs.String("listen", "", "UDP address to listen on (default: a free port of the group's range on 127.0.0.1)")
	seeds := fs.String("seeds", "", "comma-separated addresses of other members (for other machines)")
	mcast := fs.String("multicast", "", "IP multicast group:port for discovery (e.g. 239.192.0.1:7446)")
	mcastData := fs.Bool("multicast-data", false, "also send casts by IP multicast (needs -multicast)")
	properties := fs.String("properties", "", "stack properties (default "+`"Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total"`+")")
	portBase := fs.Int("portbase", 0, "first port of the local discovery range (default: derived from -group)")
	suspect := fs.Duration("suspect", 0, "failure-detection timeout (default 2s)")
	keyFile := fs.String("key-file", "", "group key file (64 hex digits, mode 0600; `maestro keygen FILE` writes one): turns on Auth, so only holders of the key join and are heard")
	verbose := fs.Bool("v", false, "log protocol events to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := groupmember.Options{
		Group: *group, Listen: *listen, Multicast: *mcast, MulticastData: *mcastData, Properties: *properties, PortBase: *portBase,
		Stack: stack.Config{SuspectTimeout: *suspect}, KeyFile: *keyFile,
	}
	if *seeds != "" {
		opts.Seeds = strings.Split(*seeds, ",")
	}
	if *suspect > 0 && *suspect <= 400*time.Millisecond {
		return fmt.Errorf("-suspect %v is too short (minimum 400ms)", *suspect)
	}
	if *suspect > 0 {
		opts.Stack.Heartbeat = *suspect / 8
	}
	// Warnings (a group without Auth on a non-loopback address, datagrams
	// refused for want of the group key) are always shown.
	opts.Logger = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c := &chat{out: out, up: make(chan struct{})}
	m, err := groupmember.New(opts, c)
	if err != nil {
		return err
	}
	if err := m.Join(); err != nil {
		return err
	}
	<-c.up
	if *name == "" {
		*name = string(m.ID())
	}
	fmt.Fprintf(errOut, "joined group %q as %s; type lines to send them, Ctrl-D to leave\n", *group, m.ID())

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return leave(m, errOut)
			}
			if err := m.Cast(message.New().PutString(*name).PutString(line)); err != nil {
				return err
			}
		case <-sig:
			return leave(m, errOut)
		}
	}
}

func leave(m *groupmember.Member, errOut io.Writer) error {
	if err := m.Leave(); err != nil {
		fmt.Fprintln(errOut, "leave:", err)
	}
	return nil
}
