package main

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// cells is the 10×10 grid of longs every form of the grid holds, row by
// row. Its methods do not lock: the caller guards it.
type cells [gridSize * gridSize]int32

// stateSize is the size of the encoded grid: 100 big-endian longs.
const stateSize = 4 * gridSize * gridSize

func inRange(n, m int16) bool { return n >= 0 && n < gridSize && m >= 0 && m < gridSize }

// update performs the four operations of the dissertation's Grid
// interface (§3.5.1) — _get_height, _get_width, set, get — and reports
// whether operation was one of them. Undecodable arguments are MARSHAL and
// a set outside the grid BAD_PARAM; a get outside it is answered by
// getOutOfRange, since the two IDLs in use differ there.
func (c *cells) update(operation string, req *iiop.Decoder, reply *iiop.Encoder, getOutOfRange func(n, m int16) iiop.ReplyStatus) (iiop.ReplyStatus, bool) {
	switch operation {
	case "_get_height", "_get_width":
		reply.WriteShort(gridSize)
		return iiop.NoException, true
	case "set":
		n, m, value := req.ReadShort(), req.ReadShort(), req.ReadLong()
		if req.Err() != nil {
			return systemException(reply, iiop.ExcMarshal), true
		}
		if !inRange(n, m) {
			return systemException(reply, iiop.ExcBadParam), true
		}
		c[gridSize*int(n)+int(m)] = value
		return iiop.NoException, true
	case "get":
		n, m := req.ReadShort(), req.ReadShort()
		if req.Err() != nil {
			return systemException(reply, iiop.ExcMarshal), true
		}
		if !inRange(n, m) {
			return getOutOfRange(n, m), true
		}
		reply.WriteLong(c[gridSize*int(n)+int(m)])
		return iiop.NoException, true
	}
	return 0, false
}

// encode writes the cells as 100 big-endian longs.
func (c *cells) encode() []byte {
	b := make([]byte, stateSize)
	for i, v := range c {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

// decode reads what encode wrote; b must be stateSize bytes long.
func (c *cells) decode(b []byte) {
	for i := range c {
		c[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
}

// dump is the grid on one line: "grid: v0 v1 ... v99".
func (c *cells) dump() string {
	var b strings.Builder
	b.WriteString("grid:")
	for _, v := range c {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(int(v)))
	}
	return b.String()
}
