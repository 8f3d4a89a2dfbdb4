package main

import (
	"fmt"
	"io"

	"github.com/maestro-go/maestro/internal/cli"
	"github.com/maestro-go/maestro/internal/refcmd"
	"github.com/maestro-go/maestro/maestro/admin"
	"github.com/maestro-go/maestro/maestro/groupmember"
)

func init() {
	commands["status"] = command{summary: "print a running member's view, role and metrics (its -admin address)",
		run: func(args []string, out, _ io.Writer) error { return admin.StatusCommand(args, out) }}
	commands["config"] = command{summary: "config print: write a commented file of every member option and its default",
		run: config}
	commands["ior"] = command{summary: "describe an object reference, or make one (ior make)",
		run: func(args []string, out, _ io.Writer) error { return refcmd.IOR("maestro ior", args, out) }}
	commands["newkey"] = command{summary: "print fresh, globally unique object keys",
		run: func(args []string, out, _ io.Writer) error { return refcmd.NewKey("maestro newkey", args, out) }}
}

// config runs "maestro config print".
func config(args []string, out, _ io.Writer) error {
	c := cli.New("maestro config", "write a commented YAML file of every member option (groupmember.Options) and its default, for -config",
		"print > member.yaml")
	if err := c.Parse(args, out); err != nil {
		return err
	}
	if c.Flags.NArg() != 1 || c.Flags.Arg(0) != "print" {
		return cli.Usagef("usage: maestro config print (see maestro config -h)")
	}
	_, err := fmt.Fprint(out, groupmember.DefaultConfig)
	return err
}
