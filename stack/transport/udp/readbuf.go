package udp

// readBufSize is the size of each read buffer: the largest UDP datagram,
// or a run of segments GRO coalesced, fits.
const readBufSize = 65536

// readRoom is the capacity of a read buffer beyond readBufSize, never read
// into: a datagram handed over in its buffer carries the free space behind
// it to the stack (stack.Core.Receive), whose fragmenter appends a
// message's following fragments there instead of copying the message into
// a buffer of its own. 8 KiB holds the rest of a message of up to 72 KiB
// behind a loopback datagram of 60,000 bytes — a 64 KiB cast, which was
// otherwise copied whole at every receiver (a fifth of its CPU).
const readRoom = 8 << 10

// newReadBuf returns a read buffer: readBufSize long, with readRoom behind.
func newReadBuf() []byte { return make([]byte, readBufSize, readBufSize+readRoom) }

// handOverMin is the datagram size from which the read buffer itself is
// handed to the stack (and replaced by a fresh one for the next read)
// instead of being copied out. Above it, a fresh buffer's zeroing costs
// less than the copy — a 64 KiB cast was copied twice on its way up, and
// this copy was a tenth of a receiver's CPU — and the stack, which keeps
// a datagram for retransmission until it is stable, holds at most twice
// the bytes a copy would.
const handOverMin = readBufSize / 2

// received returns the n bytes read into *buf as memory the stack may
// keep: the buffer itself for a large datagram, which *buf then no longer
// points to, or a copy of a small one, for which *buf is read into again.
// Either way the capacity behind the n bytes is free, and the stack's too.
func received(buf *[]byte, n int) []byte {
	if n < handOverMin {
		return append([]byte(nil), (*buf)[:n]...)
	}
	data := (*buf)[:n]
	*buf = newReadBuf()
	return data
}
