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
	cells [gridSize * gridSize]int32
}

func inRange(n, m int16) bool { return n >= 0 && n < gridSize && m >= 0 && m < gridSize }

// Update performs one Grid operation.
func (g *Grid) Update(operation string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
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
			reply.WriteString(OutOfRangeID)
			reply.WriteShort(n)
			reply.WriteShort(m)
			return iiop.UserException
		}
		reply.WriteLong(g.cells[gridSize*int(n)+int(m)])
		return iiop.NoException
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
