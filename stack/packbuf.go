package stack

import "sync"

// packBufs holds datagram buffers the Stack has sent (the kernel copied
// them), for new datagrams to fill: a datagram packed with many messages
// grows to MaxPacket, and without reuse every datagram would grow (and
// copy) its buffer again from the size of its first message.
var packBufs sync.Pool // of *[]byte

// minReuse is the smallest buffer worth keeping.
const minReuse = 4 << 10

// reusePackBuf returns an empty sent buffer of at least need bytes, or nil.
func reusePackBuf(need int) []byte {
	bp, _ := packBufs.Get().(*[]byte)
	if bp == nil {
		return nil
	}
	if cap(*bp) < need {
		return nil
	}
	return (*bp)[:0]
}

// recyclePackBuf offers a sent datagram's buffer for reuse; the caller
// must hold the only reference to it.
func recyclePackBuf(b []byte) {
	if cap(b) < minReuse {
		return
	}
	packBufs.Put(&b)
}
