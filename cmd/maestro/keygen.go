package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/maestro-go/maestro/stack/auth"
)

func init() {
	commands["keygen"] = command{summary: "write a fresh 256-bit group key to a file (mode 0600)", run: keygen}
}

// keygen writes a fresh group key: maestro keygen FILE.
func keygen(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: maestro keygen FILE")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Writes a fresh random 256-bit group key to FILE as one line of 64 hex")
		fmt.Fprintln(fs.Output(), "digits, readable by its owner only (mode 0600); it refuses to overwrite")
		fmt.Fprintln(fs.Output(), "an existing file. Give the same file to every member of the group")
		fmt.Fprintln(fs.Output(), "(-key-file FILE, key_file in the options, or MAESTRO_GROUP_KEY) to turn")
		fmt.Fprintln(fs.Output(), "on Auth: datagrams of anyone without the key are dropped.")
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(out)
			fs.Usage()
		}
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	path := fs.Arg(0)
	k, err := auth.WriteKeyFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote a new group key (%s) to %s\n", k, path)
	return nil
}
