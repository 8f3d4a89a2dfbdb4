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

	"github.com/maestro-go/maestro/maestro/orb"
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: newkey NAME...")
		return 2
	}
	for _, name := range args {
		k, err := orb.NewKey(name)
		if err != nil {
			fmt.Fprintln(stderr, "newkey:", err)
			return 1
		}
		fmt.Fprintln(stdout, k)
	}
	return 0
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
