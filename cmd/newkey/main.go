// Command newkey prints fresh, globally unique Maestro object keys (§3.3.3):
//
//	$ newkey Grid
//	MAE:074b8d6ea791947c34da7cbd0007d5aeef:Grid
//
// With several names it prints one key per name. It is also
// "maestro newkey".
package main

import (
	"io"
	"os"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/internal/refcmd"
)

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Status("newkey", refcmd.NewKey("newkey", args, stdout), stderr)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
