// Command ior inspects and builds interoperable object references, so users
// can see what Maestro publishes (like omniORB's catior).
//
//	ior IOR:...            describe a stringified reference
//	ior FILE               describe the reference stored in FILE (e.g. $MAESTRO_ETC/Grid.ior)
//	ior corbaloc:iiop:...  describe the reference a corbaloc URL denotes
//	ior make -type IDL:Grid:1.0 -key MAE:...:Grid -addr h1:p1,h2:p2 [-giop 1.2]
//	                       print a (compound) reference to an object served at those addresses
//
// It is also "maestro ior".
package main

import (
	"io"
	"os"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/internal/refcmd"
)

func run(args []string, stdout, stderr io.Writer) int {
	name := "ior"
	if len(args) > 0 && args[0] == "make" {
		name = "ior make"
	}
	return cli.Status(name, refcmd.IOR("ior", args, stdout), stderr)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
