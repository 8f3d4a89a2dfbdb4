package stack

// Packet is a datagram received by a Transport.
type Packet struct {
	From string // sender's address
	Data []byte // owned by the receiver
}

// Transport moves datagrams for a Stack. Implementations are the I/O edge
// of the stack: Stack calls the send methods from its goroutine only, and
// reads Recv from it.
type Transport interface {
	// LocalAddr is the address other members use to reach this one.
	LocalAddr() string
	// SendTo sends one datagram.
	SendTo(addr string, pkt []byte) error
	// Multicast sends one datagram to every address (IP multicast where
	// configured and possible, otherwise one datagram each).
	Multicast(addrs []string, pkt []byte) error
	// Broadcast sends a datagram to the discovery addresses.
	Broadcast(pkt []byte) error
	// Recv delivers received datagrams until the transport is closed.
	Recv() <-chan Packet
	// MaxPacket is the largest datagram worth sending.
	MaxPacket() int
	// Close releases the transport.
	Close() error
}
