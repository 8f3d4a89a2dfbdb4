// Command newkey prints fresh, globally unique Maestro object keys (§3.3.3):
//
//	$ newkey Grid
//	MAE:074b8d6ea791947c34da7cbd0007d5aeef:Grid
//
// With several names it prints one key per name.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/maestro/orb"
)

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Status("newkey", newKeys(args, stdout), stderr)
}

func newKeys(args []string, stdout io.Writer) error {
	c := cli.New("newkey", "print fresh, globally unique Maestro object keys (MAE:<hex>:NAME), one per name", "NAME...")
	if err := c.Parse(args, stdout); err != nil {
		return err
	}
	if c.Flags.NArg() == 0 {
		return cli.Usagef("usage: newkey NAME... (see newkey -h)")
	}
	for _, name := range c.Flags.Args() {
		k, err := orb.NewKey(name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, k)
	}
	return nil
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
