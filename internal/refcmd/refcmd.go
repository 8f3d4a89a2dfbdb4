// Package refcmd holds the commands that handle object references and
// keys — describing and making IORs, minting object keys — shared by the
// stand-alone ior and newkey commands and the maestro command's ior and
// newkey subcommands.
package refcmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/maestro/iiop"
	"github.com/maestro-go/maestro/maestro/orb"
)

// IOR runs "NAME IOR:...|FILE|corbaloc:..." (describe a reference) or
// "NAME make ..." (print a compound reference); name is the command as
// the user typed it ("ior", "maestro ior"). It returns what cli.Status
// turns into the exit status.
func IOR(name string, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "make" {
		return makeRef(name, args[1:], stdout)
	}
	return describe(name, args, stdout)
}

// describe prints the reference an argument denotes.
func describe(name string, args []string, stdout io.Writer) error {
	c := cli.New(name, "describe an interoperable object reference (like omniORB's catior), or make one with \"ior make\"",
		"IOR:...              describe a stringified reference",
		"FILE                 describe the reference stored in FILE (e.g. $MAESTRO_ETC/Grid.ior)",
		"corbaloc:iiop:...    describe the reference a corbaloc URL denotes",
		"make -type ID -key KEY -addr H:P[,H:P...] [-giop V]   print a (compound) reference (see ior make -h)")
	if err := c.Parse(args, stdout); err != nil {
		return err
	}
	switch c.Flags.NArg() {
	case 0:
		return cli.Usagef("usage: %[1]s IOR:...|FILE|corbaloc:...   or   %[1]s make -type ID -key KEY -addr H:P[,H:P...] [-giop V] (see %[1]s -h)", name)
	case 1:
	default:
		return cli.Usagef("unexpected argument %q: %s describes one reference at a time", c.Flags.Arg(1), name)
	}
	ref, err := load(c.Flags.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, ref.Describe())
	return nil
}

func load(arg string) (*iiop.IOR, error) {
	switch {
	case strings.HasPrefix(strings.ToUpper(arg), "IOR:"):
		return iiop.ParseIOR(arg)
	case strings.HasPrefix(strings.ToLower(arg), "corbaloc:"):
		c, err := iiop.ParseCorbaloc(arg)
		if err != nil {
			return nil, err
		}
		return c.IOR(""), nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, err
	}
	return iiop.ParseIOR(string(b))
}

func makeRef(name string, args []string, stdout io.Writer) error {
	c := cli.New(name+" make", "print a compound reference to an object served at the given addresses",
		"-type IDL:Grid:1.0 -key MAE:...:Grid -addr h1:p1,h2:p2 [-giop 1.2]")
	typeID := c.Flags.String("type", "", "repository id, e.g. IDL:Grid:1.0 (required)")
	key := c.Flags.String("key", "", "object key (its octets are the string given; required)")
	addrs := c.Flags.String("addr", "", "comma-separated host:port list, main replica first (required)")
	giop := c.Flags.String("giop", "1.2", "IIOP profile version: 1.0, 1.1 or 1.2")
	if err := c.Parse(args, stdout); err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	switch {
	case *typeID == "":
		return cli.Usagef("-type is required (a repository id such as IDL:Grid:1.0)")
	case *key == "":
		return cli.Usagef("-key is required")
	case *addrs == "":
		return cli.Usagef("-addr is required (host:port[,host:port...])")
	}
	v, err := iiop.ParseVersion(*giop)
	if err != nil {
		return cli.Usagef("-giop: %v", err)
	}
	var list []iiop.Addr
	for _, s := range strings.Split(*addrs, ",") {
		a, err := iiop.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return cli.Usagef("-addr: %v", err)
		}
		list = append(list, a)
	}
	fmt.Fprintln(stdout, iiop.CompoundIOR(*typeID, []byte(*key), list, v))
	return nil
}

// NewKey runs "NAME NAME...": it prints a fresh, globally unique object
// key (MAE:<hex>:NAME) per name.
func NewKey(name string, args []string, stdout io.Writer) error {
	c := cli.New(name, "print fresh, globally unique Maestro object keys (MAE:<hex>:NAME), one per name", "NAME...")
	if err := c.Parse(args, stdout); err != nil {
		return err
	}
	if c.Flags.NArg() == 0 {
		return cli.Usagef("usage: %s NAME... (see %s -h)", name, name)
	}
	for _, n := range c.Flags.Args() {
		k, err := orb.NewKey(n)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, k)
	}
	return nil
}
