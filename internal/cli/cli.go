// Package cli gives every command of this repository one way to read its
// command line: -h (or -help) prints a one-line description, the usage and
// the flags to standard output and exits 0; a bad flag, a bad flag value
// or an argument the command does not take is an error that names it,
// printed after the command's name, with exit status 2; a failure while
// running exits 1.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Command is a command's flags and the text its -h prints.
type Command struct {
	// Name is the command as typed ("chat", "ior make").
	Name string
	// Summary is the one-line description -h prints first.
	Summary string
	// Usage lists the command's forms, one per line, without the name.
	Usage []string
	// Flags holds the command's flags; New makes it.
	Flags *flag.FlagSet
}

// New makes a Command with an empty flag set that reports errors instead
// of printing them or exiting.
func New(name, summary string, usage ...string) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Command{Name: name, Summary: summary, Usage: usage, Flags: fs}
}

// UsageError is a mistake on the command line (exit status 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message; name the flag or
// argument in it.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// Parse parses args. For -h or -help it writes the help to stdout and
// returns flag.ErrHelp. A bad flag or value is a UsageError naming it.
func (c *Command) Parse(args []string, stdout io.Writer) error {
	err := c.Flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.Help(stdout)
		return flag.ErrHelp
	case err != nil:
		return UsageError{err}
	}
	return nil
}

// NoArgs reports the first positional argument left after the flags, for
// a command that takes none.
func (c *Command) NoArgs() error {
	if c.Flags.NArg() > 0 {
		return Usagef("unexpected argument %q (%s takes flags only; see %s -h)", c.Flags.Arg(0), c.Name, c.Name)
	}
	return nil
}

// Help writes the description, the usage and the flags.
func (c *Command) Help(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n\nusage:\n", c.Name, c.Summary)
	for _, u := range c.Usage {
		fmt.Fprintf(w, "  %s %s\n", c.Name, u)
	}
	var flags strings.Builder
	c.Flags.SetOutput(&flags)
	c.Flags.PrintDefaults()
	c.Flags.SetOutput(io.Discard)
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nflags:\n%s", flags.String())
	}
}

// Status is the exit status for what running command name returned: 0
// for nil or a help request, 2 for a UsageError, 1 otherwise. It prints
// the error, after the command's name, to stderr.
func Status(name string, err error, stderr io.Writer) int {
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(UsageError)):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
