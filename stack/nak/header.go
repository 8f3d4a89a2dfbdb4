package nak

// Message kinds, the first byte of the layer's header.
const (
	kindCast       = 1       // cast from its sender: seq
	kindSend       = 2       // point-to-point from its sender: seq
	kindPass       = 3       // another layer's control message
	kindStatus     = 4       // what the sender has sent and received
	kindNak        = 5       // request for missing messages: stream, origin, runs (count, then first and last of each, ascending)
	kindRetransC   = 6       // retransmitted cast: origin rank, seq
	kindRetransS   = 7       // retransmitted point-to-point: seq
	streamCast     = 0       // NAK for a cast stream (origin given)
	streamSend     = 1       // NAK for the point-to-point stream from the recipient
	maxNakRange    = 256     // seqs one NAK's runs may span, first to last
	maxNakRuns     = 32      // runs in one NAK
	maxRetransmit  = 128     // messages answered per NAK
	maxRetransByte = 1 << 20 // bytes answered per NAK
)
