package stack

import (
	"fmt"
	"strconv"
	"strings"
)

// EndpID names one incarnation of a group member: its transport address and
// a random incarnation number, written "<addr>/<incarnation in hex>". A
// process that restarts on the same address gets a new EndpID, so the group
// never confuses it with its previous life.
type EndpID string

// Endpoint is a member's identity and the address its packets reach.
type Endpoint struct {
	Addr string // transport address, e.g. "127.0.0.1:7400"
	Inc  uint64 // incarnation number, random per member instance
}

// ID returns the endpoint's identifier.
func (e Endpoint) ID() EndpID {
	return EndpID(e.Addr + "/" + strconv.FormatUint(e.Inc, 16))
}

// String returns the identifier as a string.
func (e Endpoint) String() string { return string(e.ID()) }

// ParseEndpID splits an identifier back into an Endpoint.
func ParseEndpID(id EndpID) (Endpoint, error) {
	s := string(id)
	i := strings.LastIndexByte(s, '/')
	if i <= 0 {
		return Endpoint{}, fmt.Errorf("endpoint id %q: missing /incarnation", s)
	}
	inc, err := strconv.ParseUint(s[i+1:], 16, 64)
	if err != nil {
		return Endpoint{}, fmt.Errorf("endpoint id %q: bad incarnation: %w", s, err)
	}
	return Endpoint{Addr: s[:i], Inc: inc}, nil
}

// less orders endpoints by identifier; it breaks ties between view ids.
func (e Endpoint) less(o Endpoint) bool {
	if e.Addr != o.Addr {
		return e.Addr < o.Addr
	}
	return e.Inc < o.Inc
}
