package main

import (
	"fmt"
	"io"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/stack/auth"
)

func init() {
	commands["keygen"] = command{summary: "write a fresh 256-bit group key to a file (mode 0600)", run: keygen}
}

// keygen writes a fresh group key: maestro keygen FILE.
func keygen(args []string, out, _ io.Writer) error {
	c := cli.New("maestro keygen", "write a fresh random 256-bit group key to FILE as one line of 64 hex digits, "+
		"readable by its owner only (mode 0600); it refuses to overwrite an existing file. Give the same file to every "+
		"member of the group (-key-file FILE, key_file in the options, or MAESTRO_GROUP_KEY) to turn on Auth: "+
		"datagrams of anyone without the key are dropped", "FILE")
	if err := c.Parse(args, out); err != nil {
		return err
	}
	if c.Flags.NArg() != 1 {
		return cli.Usagef("usage: maestro keygen FILE (see maestro keygen -h)")
	}
	fs := c.Flags
	path := fs.Arg(0)
	k, err := auth.WriteKeyFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote a new group key (%s) to %s\n", k, path)
	return nil
}
