package main

import (
	"sync"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// GridTypeID is the repository id of the Grid interface (§3.5.1).
const GridTypeID = "IDL:Grid:1.0"

// OutOfRangeID is the repository id of the OutOfRange user exception that
// the interop IDL adds to get (internal/omnibuild/src/Grid.idl).
const OutOfRangeID = "IDL:OutOfRange:1.0"

// gridSize is the side of the dissertation's 10×10 grid.
const gridSize = 10

// Grid is the object of §3.5.1: a 10×10 grid of longs with the operations
// _get_height, _get_width, set and get, written like the dissertation's
// update() — dispatch on the operation name, unmarshal, act, marshal. It
// also implements the test-only operations of the interop IDL: echo, wecho,
// and an OutOfRange user exception from get.
type Grid struct {
	mu    sync.Mutex // the Simple ORB serialises calls; later ORBs may not
	cells cells
}

// Update performs one Grid operation.
func (g *Grid) Update(operation string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	if st, ok := g.cells.update(operation, req, reply, func(n, m int16) iiop.ReplyStatus {
		reply.WriteString(OutOfRangeID)
		reply.WriteShort(n)
		reply.WriteShort(m)
		return iiop.UserException
	}); ok {
		return st
	}
	switch operation {
	case "echo":
		s := req.ReadString()
		if req.Err() != nil {
			return systemException(reply, iiop.ExcMarshal)
		}
		reply.WriteString(s)
		return iiop.NoException
	case "wecho":
		s := req.ReadWString()
		if req.Err() != nil {
			return systemException(reply, iiop.ExcMarshal)
		}
		reply.WriteWString(s)
		return iiop.NoException
	}
	return systemException(reply, iiop.ExcBadOperation)
}

func systemException(reply *iiop.Encoder, name string) iiop.ReplyStatus {
	iiop.NewSystemException(name, iiop.OMGMinorBase|1, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}
