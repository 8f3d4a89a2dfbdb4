package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// RUGrid is the Grid object of §3.5 as the Replicated Updates ORB serves
// it. It implements exactly the dissertation's IDL (§3.5.1):
//
//	interface Grid {
//	  readonly attribute short height;
//	  readonly attribute short width;
//	  void set(in short n, in short m, in long value);
//	  long get(in short n, in short m);
//	};
//
// Having no raises clause, it reports a cell outside the 10×10 grid with
// BAD_PARAM, arguments that do not decode with MARSHAL and any other
// operation with BAD_OPERATION, all COMPLETED_NO. Every replica applies
// every set in the same order, so Update depends on nothing but the grid,
// the operation and its arguments. get and the attributes change nothing:
// the ORB answers them at the replica that receives them.
type RUGrid struct {
	mu    sync.Mutex // the ORB serialises Update; Dump comes from elsewhere
	cells cells
}

// Update performs one Grid operation.
func (g *RUGrid) Update(operation string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	if st, ok := g.cells.update(operation, req, reply, func(int16, int16) iiop.ReplyStatus {
		return systemException(reply, iiop.ExcBadParam)
	}); ok {
		return st
	}
	return systemException(reply, iiop.ExcBadOperation)
}

// ReadOnly declares get read-only (the attributes, _get_*, are without
// being declared).
func (g *RUGrid) ReadOnly(operation string) bool { return operation == "get" }

// PushState writes the 100 cells, row by row, as big-endian longs.
func (g *RUGrid) PushState(w io.Writer) error {
	g.mu.Lock()
	b := g.cells.encode()
	g.mu.Unlock()
	_, err := w.Write(b)
	return err
}

// GetState replaces the cells with the ones PushState wrote.
func (g *RUGrid) GetState(r io.Reader) error {
	var b [stateSize + 1]byte // one more, to notice a longer state
	if n, _ := io.ReadFull(r, b[:]); n != stateSize {
		return fmt.Errorf("grid: the state is not %d bytes (read %d)", stateSize, n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cells.decode(b[:stateSize])
	return nil
}

// Dump returns the grid on one line: "grid: v0 v1 ... v99", row by row.
func (g *RUGrid) Dump() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cells.dump()
}
