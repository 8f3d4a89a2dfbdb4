// Command maestro-idl compiles an IDL interface to Go: the types with
// their CDR marshalling, the servant interface, the ORB adaptor, the
// typed client stub and a test, into an existing package — the part of
// maestro-wizard a go:generate line wants:
//
//	//go:generate go run github.com/maestro-go/maestro/cmd/maestro-idl -interface Grid -name Grid Grid.idl
//
// The servant file (<name>.go, yours to fill in) is written only when it
// does not exist yet; the generated files are always rewritten.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/maestro/idl"
	"github.com/maestro-go/maestro/maestro/idl/gogen"
)

func main() { os.Exit(cli.Status("maestro-idl", run(os.Args[1:], os.Stdout), os.Stderr)) }

func run(args []string, stdout io.Writer) error {
	c := cli.New("maestro-idl", "compile an IDL interface to Go: its types and marshalling, the servant interface, the ORB adaptor, a typed client and a test",
		"[-interface NAME] [-name GoName] [-orb simple|replicated-updates] [-readonly op,...] [-state] [-out DIR] [-I DIR]... FILE.idl")
	fs := c.Flags
	iface := fs.String("interface", "", "IDL scoped name of the interface (default: the only one)")
	name := fs.String("name", "", "Go type name of the servant (default: the interface's name)")
	pkg := fs.String("pkg", "", "Go package name (default: $GOPACKAGE, else main)")
	orbName := fs.String("orb", string(gogen.Simple), "ORB of the adaptor: simple or replicated-updates")
	readonly := fs.String("readonly", "", "comma-separated read-only operations (replicated-updates)")
	state := fs.Bool("state", false, "give the servant PushState/GetState (state transfer)")
	out := fs.String("out", ".", "directory to write into")
	var includes multiFlag
	fs.Var(&includes, "I", "directory searched for #include files (repeatable)")
	if err := c.Parse(args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return cli.Usagef("give one IDL file (see maestro-idl -h)")
	}
	spec, err := idl.ParseFile(fs.Arg(0), idl.Options{IncludeDirs: includes})
	if err != nil {
		return err
	}
	if *iface == "" {
		var all []string
		for _, it := range spec.Interfaces() {
			if !it.Included {
				all = append(all, it.ScopedName())
			}
		}
		if len(all) != 1 {
			return fmt.Errorf("-interface: %s has %d interfaces (%s); name one", fs.Arg(0), len(all), strings.Join(all, ", "))
		}
		*iface = all[0]
	}
	if *name == "" {
		*name = gogen.Exported((*iface)[strings.LastIndex(*iface, ":")+1:])
	}
	if *pkg == "" {
		if *pkg = os.Getenv("GOPACKAGE"); *pkg == "" {
			*pkg = "main"
		}
	}
	opts := gogen.Options{Package: *pkg, Interface: *iface, Name: *name, ORB: gogen.ORB(*orbName), StateTransfer: *state}
	for _, op := range strings.Split(*readonly, ",") {
		if op = strings.TrimSpace(op); op != "" {
			opts.ReadOnly = append(opts.ReadOnly, op)
		}
	}
	files, err := gogen.Generate(spec, opts)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(*out, f.Name)
		if f.UserOwned {
			if _, err := os.Stat(p); err == nil {
				continue
			}
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

// String joins the values (flag.Value).
func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set adds a value (flag.Value).
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
