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
	"context"
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

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
)

// caster is what chat needs of its group member.
type caster interface {
	ID() groupmember.EndpID
	Cast(*message.Message) error
}

// chat is the group member: it prints what it receives.
type chat struct {
	groupmember.Callbacks
	out    io.Writer
	errOut io.Writer
	name   string // this member's name (its id if -name is not given)
	m      caster
	mu     sync.Mutex
	once   sync.Once
	up     chan struct{}
}

func (c *chat) printf(format string, args ...any) {
	c.mu.Lock()
	fmt.Fprintf(c.out, format, args...)
	c.mu.Unlock()
}

// ViewMsg (coordinator only) carries every member's name, which each set
// as its info, to the whole view in the view message.
func (c *chat) ViewMsg(next *groupmember.ViewData) *message.Message {
	msg := message.New().PutInt32(int32(len(next.Members)))
	for _, id := range next.Members {
		name := string(id)
		if info, ok := next.Infos[id]; ok && info != nil {
			if n := info.GetString(); info.Err() == nil && n != "" {
				name = n
			}
		}
		msg.PutString(string(id)).PutString(name)
	}
	return msg
}

// AcceptedView prints "view <n>@<coordinator> (<k> members): <names>",
// naming each member of this view (and only those) by its -name.
func (c *chat) AcceptedView(v *groupmember.ViewData, msg *message.Message) {
	names := map[groupmember.EndpID]string{}
	if msg != nil && msg.Len() > 0 {
		n := msg.GetInt32()
		for i := int32(0); i < n && msg.Err() == nil; i++ {
			id, name := msg.GetString(), msg.GetString()
			names[groupmember.EndpID(id)] = name
		}
	}
	names[v.Me] = c.name
	label := func(id groupmember.EndpID) string {
		if n, ok := names[id]; ok && n != "" {
			return n
		}
		return string(id)
	}
	list := make([]string, len(v.Members))
	for i, id := range v.Members {
		list[i] = label(id)
	}
	seq, _, _ := strings.Cut(v.ID, "@")
	c.printf("view %s@%s (%d members): %s\n", seq, label(v.Coordinator), len(v.Members), strings.Join(list, " "))
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

// AbortCast: a view change (a crash, a leave or a partition) stopped a
// line before every member got it, so none printed it. Only its sender
// does something: it sends the line again, in the new view.
func (c *chat) AbortCast(from groupmember.EndpID, msg *message.Message) {
	if from != c.m.ID() {
		return
	}
	msg.Rewind()
	name, text := msg.GetString(), msg.GetString()
	if msg.Err() != nil {
		return
	}
	fmt.Fprintf(c.errOut, "(a view change interrupted your line %q; sending it again)\n", text)
	go func() {
		if err := c.m.Cast(message.New().PutString(name).PutString(text)); err != nil {
			fmt.Fprintf(c.errOut, "(your line %q was not sent: %v)\n", text, err)
		}
	}()
}

func main() { os.Exit(cli.Status("chat", run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr)) }

func run(args []string, in io.Reader, out, errOut io.Writer) error {
	command := cli.New("chat", "a Maestro group chat: every line typed is sent to every member of the group, in the same order",
		"[-group NAME] [-name NAME] [-listen ADDR] [-seeds ADDR,...] [-multicast GROUP:PORT [-no-multicast-data]] [-suspect D] [-config FILE.yaml] [-v]")
	fs := command.Flags
	group := fs.String("group", "chat", "name of the chat group")
	name := fs.String("name", "", "name shown before your lines and in view lines (default: your member id)")
	listen := fs.String("listen", "", "UDP address to listen on (default: a free port of the group's range on 127.0.0.1)")
	seeds := fs.String("seeds", "", "comma-separated addresses of other members (for other machines)")
	mcast := fs.String("multicast", "", "IP multicast group:port for discovery (e.g. 239.192.0.1:7446)")
	unicastData := fs.Bool("no-multicast-data", false, "keep casts on unicast (with -multicast they go by multicast wherever every member hears it)")
	properties := fs.String("properties", "", "stack properties (default "+`"Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total"`+")")
	portBase := fs.Int("portbase", 0, "first port of the local discovery range (default: derived from -group)")
	suspect := fs.Duration("suspect", 0, "failure-detection timeout (default 2s, minimum 400ms)")
	keyFile := fs.String("key-file", "", "group key file (64 hex digits, mode 0600; `maestro keygen FILE` writes one): turns on Auth, so only holders of the key join and are heard")
	verbose := fs.Bool("v", false, "log protocol events to stderr")
	config := fs.String("config", "", "YAML file of member options (keys as in groupmember.Options: group, listen, seeds, seed_refresh, advertise, stack: {suspect_timeout: 3s}, ...); flags given override it")
	advertise := fs.String("advertise", "", "ip:port other members reach this one at, if not the -listen address (NAT, containers)")
	adminAddr := fs.String("admin", "", "serve this member's status and metrics on host:port (:port = 127.0.0.1; read it with `maestro status ADDR`)")
	if err := command.Parse(args, out); err != nil {
		return err
	}
	if err := command.NoArgs(); err != nil {
		return err
	}
	if err := cli.Multicast("multicast", *mcast); err != nil {
		return err
	}
	if err := cli.NotNegative("suspect", *suspect); err != nil {
		return err
	}
	if *suspect > 0 && *suspect < 400*time.Millisecond {
		return cli.Usagef("-suspect %v is too short (minimum 400ms)", *suspect)
	}
	if *portBase < 0 || *portBase > 65535 {
		return cli.Usagef("-portbase %d: want a port number", *portBase)
	}
	var opts groupmember.Options
	if *config != "" {
		var err error
		if opts, err = groupmember.LoadOptions(*config); err != nil {
			return cli.Usagef("-config: %v", err)
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// A flag overrides the file when given, or when the file is silent.
	overlay := func(flag string, unset bool, set func()) {
		if given[flag] || unset {
			set()
		}
	}
	overlay("group", opts.Group == "", func() { opts.Group = *group })
	overlay("listen", opts.Listen == "", func() { opts.Listen = *listen })
	overlay("advertise", opts.Advertise == "", func() { opts.Advertise = *advertise })
	overlay("multicast", opts.Multicast == "", func() { opts.Multicast = *mcast })
	overlay("no-multicast-data", !opts.NoMulticastData, func() { opts.NoMulticastData = *unicastData })
	overlay("properties", opts.Properties == "", func() { opts.Properties = *properties })
	overlay("portbase", opts.PortBase == 0, func() { opts.PortBase = *portBase })
	overlay("key-file", opts.KeyFile == "", func() { opts.KeyFile = *keyFile })
	overlay("admin", opts.AdminAddr == "", func() { opts.AdminAddr = *adminAddr })
	if *seeds != "" {
		opts.Seeds = strings.Split(*seeds, ",")
	}
	if *suspect > 0 {
		opts.Stack.SuspectTimeout, opts.Stack.Heartbeat = *suspect, *suspect/8
	}
	if opts.NoMulticastData && opts.Multicast == "" {
		return cli.Usagef("-no-multicast-data needs -multicast GROUP:PORT (or multicast: in -config)")
	}
	// Warnings (a group without Auth on a non-loopback address, datagrams
	// refused for want of the group key) are always shown.
	opts.Logger = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c := &chat{out: out, errOut: errOut, up: make(chan struct{}), name: *name}
	m, err := groupmember.New(opts, c)
	if err != nil {
		return err
	}
	c.m = m
	if err := m.Join(context.Background()); err != nil {
		return err
	}
	if c.name == "" {
		c.name = string(m.ID())
	}
	if err := m.SetInfo(message.New().PutString(c.name)); err != nil {
		return err
	}
	<-c.up
	fmt.Fprintf(errOut, "joined group %q as %s (%s); type lines to send them, Ctrl-D to leave\n", *group, c.name, m.ID())

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
			if err := m.Cast(message.New().PutString(c.name).PutString(line)); err != nil {
				return err
			}
		case <-sig:
			return leave(m, errOut)
		}
	}
}

func leave(m *groupmember.Member, errOut io.Writer) error {
	if err := m.Leave(context.Background()); err != nil {
		fmt.Fprintln(errOut, "leave:", err)
	}
	return nil
}
