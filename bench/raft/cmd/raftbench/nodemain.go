package main

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/maestro-go/maestro/bench/raft/internal/node"
)

// hardExitAfter is how long a node may take to shut down once its driver is
// gone (stdin EOF) or it was signalled, before it exits regardless.
const hardExitAfter = 20 * time.Second

// runNode serves the control protocol on stdin/stdout. Anything else the
// process might print to stdout is redirected to stderr so it cannot corrupt
// the protocol stream.
func runNode(ctx context.Context, id string) error {
	proto := os.Stdout
	os.Stdout = os.Stderr
	var once sync.Once
	arm := func() {
		once.Do(func() {
			time.AfterFunc(hardExitAfter, func() { os.Exit(3) })
		})
	}
	go func() {
		<-ctx.Done()
		arm()
	}()
	return node.Run(ctx, id, eofWatch{r: os.Stdin, onEOF: arm}, proto)
}

// eofWatch calls onEOF when a read from r fails (EOF or error).
type eofWatch struct {
	r     io.Reader
	onEOF func()
}

func (e eofWatch) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.onEOF()
	}
	return n, err
}
