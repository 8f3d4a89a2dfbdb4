package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	cells [gridSize * gridSize]int32
}

// stateSize is the size of the grid's state: 100 big-endian longs.
const stateSize = 4 * gridSize * gridSize

// Update performs one Grid operation.
func (g *RUGrid) Update(operation string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch operation {
	case "_get_height", "_get_width":
		reply.WriteShort(gridSize)
		return iiop.NoException
	case "set":
		n, m, value := req.ReadShort(), req.ReadShort(), req.ReadLong()
		if req.Err() != nil {
			return systemException(reply, iiop.ExcMarshal)
		}
		if !inRange(n, m) {
			return systemException(reply, iiop.ExcBadParam)
		}
		g.cells[gridSize*int(n)+int(m)] = value
		return iiop.NoException
	case "get":
		n, m := req.ReadShort(), req.ReadShort()
		if req.Err() != nil {
			return systemException(reply, iiop.ExcMarshal)
		}
		if !inRange(n, m) {
			return systemException(reply, iiop.ExcBadParam)
		}
		reply.WriteLong(g.cells[gridSize*int(n)+int(m)])
		return iiop.NoException
	}
	return systemException(reply, iiop.ExcBadOperation)
}

// ReadOnly declares get read-only (the attributes, _get_*, are without
// being declared).
func (g *RUGrid) ReadOnly(operation string) bool { return operation == "get" }

// PushState writes the 100 cells, row by row, as big-endian longs.
func (g *RUGrid) PushState(w io.Writer) error {
	g.mu.Lock()
	var b [stateSize]byte
	for i, c := range g.cells {
		binary.BigEndian.PutUint32(b[4*i:], uint32(c))
	}
	g.mu.Unlock()
	_, err := w.Write(b[:])
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
	for i := range g.cells {
		g.cells[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
	return nil
}

// Dump returns the grid on one line: "grid: v0 v1 ... v99", row by row.
func (g *RUGrid) Dump() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b strings.Builder
	b.WriteString("grid:")
	for _, c := range g.cells {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(int(c)))
	}
	return b.String()
}
