package workload

import "encoding/binary"

// poolSize is how many distinct payloads a run cycles through.
const poolSize = 256

// payloads returns poolSize distinct read-only payloads of the given size.
// Raft keeps a reference to an applied buffer in its in-memory log (and
// replicates from it later), so payloads are never mutated after creation;
// sharing them avoids one allocation per operation in the load generator.
func payloads(size int) [][]byte {
	out := make([][]byte, poolSize)
	for i := range out {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(i + j)
		}
		if size >= 8 {
			binary.LittleEndian.PutUint64(b, uint64(i))
		}
		out[i] = b
	}
	return out
}
