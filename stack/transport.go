package stack

// Packet is a datagram received by a Transport.
type Packet struct {
	From string // sender's address
	// Data is owned by the receiver, and so is the free space behind it
	// up to cap(Data) (Core.Receive): a transport that cannot give that
	// away passes Data[:len(Data):len(Data)].
	Data []byte
}

// Transport moves datagrams for a Stack: it is the stack's I/O edge.
type Transport interface {
	// LocalAddr is the address other members use to reach this one.
	LocalAddr() string
	// SendTo sends one datagram. Like Multicast and Broadcast, it must not
	// keep pkt after it returns: the Stack reuses the buffer.
	SendTo(addr string, pkt []byte) error
	// Multicast sends one datagram to every address (IP multicast where
	// configured and possible, otherwise one datagram each).
	Multicast(addrs []string, pkt []byte) error
	// Broadcast sends a datagram to the discovery addresses.
	Broadcast(pkt []byte) error
	// Serve starts delivering received datagrams to recv, in batches of
	// whatever has arrived, from the transport's own goroutine(s), until
	// Close. recv owns the packets and must not block for long.
	Serve(recv func([]Packet))
	// MaxPacket is the largest datagram worth sending.
	MaxPacket() int
	// Close releases the transport; recv is not called after it returns.
	Close() error
}

// Datagram is one datagram and the addresses it goes to (several for a
// multicast, which a transport may send once by IP multicast).
type Datagram struct {
	To   []string
	Data []byte
}

// ReceiveBuffered is a Transport that knows how many bytes of datagrams it
// holds while its reader is busy (a socket's receive buffer, as granted by
// the system). A Stack whose Config leaves FlowBytes unset takes it for
// its FlowBytes, which it reports to the other members (stack/flow): each
// sender keeps its bytes in flight within the smallest of the group's, as
// past it a receiver that falls behind loses datagrams, and every loss
// costs a retransmission round. Metrics snapshots report it.
type ReceiveBuffered interface {
	// ReceiveBuffer is the buffer in bytes; 0 if unknown.
	ReceiveBuffer() int
}

// ControlGuarded is a Transport with datagrams of its own, which never
// reach the Core (the UDP transport's multicast probes and answers). A
// Stack whose Guard is also a ControlGuard hands it over before Serve;
// the transport then seals those datagrams with it and drops the ones
// that do not open, so that with Auth nobody without the group key can
// forge or answer them.
type ControlGuarded interface {
	GuardControl(g ControlGuard)
}

// GroupSender is a Transport that may send a datagram for several members
// once, by IP multicast; GroupSends counts those datagrams (any
// goroutine). Metrics snapshots report it.
type GroupSender interface {
	GroupSends() uint64
}

// BatchSender is a Transport that sends many datagrams in few system calls
// (sendmmsg on Linux). The Stack sends through it when the transport has
// it, one goroutine at a time; otherwise through SendTo and Multicast.
type BatchSender interface {
	// SendBatch sends every datagram, going on past one that fails, and
	// returns the first error.
	SendBatch(ds []Datagram) error
}
