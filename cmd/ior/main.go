// Command ior inspects and builds interoperable object references, so users
// can see what Maestro publishes (like omniORB's catior).
//
//	ior IOR:...            describe a stringified reference
//	ior FILE               describe the reference stored in FILE (e.g. $MAESTRO_ETC/Grid.ior)
//	ior corbaloc:iiop:...  describe the reference a corbaloc URL denotes
//	ior make -type IDL:Grid:1.0 -key MAE:...:Grid -addr h1:p1,h2:p2 [-giop 1.2]
//	                       print a (compound) reference to an object served at those addresses
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/maestro-go/maestro/maestro/iiop"
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ior IOR:...|FILE|corbaloc:...   or   ior make -type ID -key KEY -addr H:P[,H:P...] [-giop V]")
		return 2
	}
	if args[0] == "make" {
		return runMake(args[1:], stdout, stderr)
	}
	ref, err := load(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "ior:", err)
		return 1
	}
	fmt.Fprint(stdout, ref.Describe())
	return 0
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

func runMake(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ior make", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typeID := fs.String("type", "", "repository id, e.g. IDL:Grid:1.0")
	key := fs.String("key", "", "object key (its octets are the string given)")
	addrs := fs.String("addr", "", "comma-separated host:port list, main replica first")
	giop := fs.String("giop", "1.2", "IIOP profile version")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	err := func() error {
		if *typeID == "" || *key == "" || *addrs == "" {
			return errors.New("-type, -key and -addr are required")
		}
		v, err := iiop.ParseVersion(*giop)
		if err != nil {
			return err
		}
		var list []iiop.Addr
		for _, s := range strings.Split(*addrs, ",") {
			a, err := iiop.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			list = append(list, a)
		}
		fmt.Fprintln(stdout, iiop.CompoundIOR(*typeID, []byte(*key), list, v))
		return nil
	}()
	if err != nil {
		fmt.Fprintln(stderr, "ior make:", err)
		return 1
	}
	return 0
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
