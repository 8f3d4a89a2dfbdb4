package csx

import (
	"fmt"
	"strconv"
	"strings"
)

// XferID identifies one state-transfer transaction: the view it started
// in, the member receiving the state, and a counter. It is comparable; its
// zero value names no transaction.
type XferID struct {
	view   string
	member EndpID
	n      uint64
	req    uint64 // on the source side: which request of the transaction
}

// String renders the id ("<view>|<member>|<n>").
func (x XferID) String() string {
	return x.view + "|" + string(x.member) + "|" + strconv.FormatUint(x.n, 10)
}

// transaction returns the id without the request number.
func (x XferID) transaction() XferID { x.req = 0; return x }

func parseXferID(s string) (XferID, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 {
		return XferID{}, fmt.Errorf("csx: bad transfer id %q", s)
	}
	n, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return XferID{}, fmt.Errorf("csx: bad transfer id %q: %w", s, err)
	}
	return XferID{view: parts[0], member: EndpID(parts[1]), n: n}, nil
}
