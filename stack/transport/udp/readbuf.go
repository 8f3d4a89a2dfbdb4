package udp

// readBufSize is the size of each read buffer: the largest UDP datagram,
// or a run of segments GRO coalesced, fits.
const readBufSize = 65536

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
func received(buf *[]byte, n int) []byte {
	if n < handOverMin {
		return append([]byte(nil), (*buf)[:n]...)
	}
	data := (*buf)[:n:n]
	*buf = make([]byte, readBufSize)
	return data
}
