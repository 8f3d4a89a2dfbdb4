// Command maestro is the operator's command. Each subcommand lives in a
// file of its own and registers itself in commands:
//
//	maestro keygen FILE        write a fresh group key to FILE (mode 0600)
//	maestro status ADDR        print a running member's view, role and metrics
//	maestro config print       write a commented file of every member option
//	maestro ior IOR|FILE|...   describe an object reference (or ior make ...)
//	maestro newkey NAME...     print fresh object keys
//
// "maestro -h" (or "maestro help") prints the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/maestro-go/maestro/internal/cli"
)

// command is one subcommand.
type command struct {
	summary string // one line for the usage
	run     func(args []string, out, errOut io.Writer) error
}

// commands maps a subcommand's name to it.
var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to the subcommand and returns the exit status.
func run(args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		usage(errOut)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(out)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(errOut, "maestro: unknown command %q\n", args[0])
		usage(errOut)
		return 2
	}
	err := c.run(args[1:], out, errOut)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(cli.UsageError)):
		fmt.Fprintf(errOut, "maestro %s: %v\n", args[0], err)
		return 2
	}
	fmt.Fprintf(errOut, "maestro %s: %v\n", args[0], err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "maestro: the operator's command for Maestro groups: keys, a member's status, configuration files, object references")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage:")
	fmt.Fprintln(w, "  maestro COMMAND [ARGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `"maestro COMMAND -h" explains a command.`)
}
