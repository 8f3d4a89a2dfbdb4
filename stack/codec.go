package stack

import "github.com/maestro-go/maestro/stack/wire"

// Limits applied when decoding identities from the network.
const (
	MaxAddrLen = maxAddrLen
	MaxMembers = maxRanks
)

// PutEndpoint appends e to w.
func PutEndpoint(w *wire.Writer, e Endpoint) {
	w.String(e.Addr)
	w.Uint64(e.Inc)
}

// GetEndpoint decodes an endpoint.
func GetEndpoint(r *wire.Reader) Endpoint {
	return Endpoint{Addr: r.String(maxAddrLen), Inc: r.Uint64()}
}

// PutEndpoints appends a list of endpoints.
func PutEndpoints(w *wire.Writer, es []Endpoint) {
	w.Uvarint(uint64(len(es)))
	for _, e := range es {
		PutEndpoint(w, e)
	}
}

// GetEndpoints decodes a list of endpoints.
func GetEndpoints(r *wire.Reader) []Endpoint {
	n := r.Count(maxRanks, 9)
	if r.Err() != nil {
		return nil
	}
	es := make([]Endpoint, n)
	for i := range es {
		es[i] = GetEndpoint(r)
	}
	return es
}

// PutViewID appends a view id.
func PutViewID(w *wire.Writer, id ViewID) {
	w.Uvarint(id.Ltime)
	PutEndpoint(w, id.Coord)
}

// GetViewID decodes a view id.
func GetViewID(r *wire.Reader) ViewID {
	return ViewID{Ltime: r.Uvarint(), Coord: GetEndpoint(r)}
}

// PutRanks appends a list of ranks.
func PutRanks(w *wire.Writer, rs []int) {
	w.Uvarint(uint64(len(rs)))
	for _, r := range rs {
		w.Uvarint(uint64(r))
	}
}

// GetRanks decodes a list of ranks, each below n.
func GetRanks(r *wire.Reader, n int) []int {
	k := r.Count(n, 1)
	if r.Err() != nil {
		return nil
	}
	rs := make([]int, k)
	for i := range rs {
		rs[i] = r.Int(n - 1)
	}
	return rs
}

// PutAnnotations appends annotations in sorted key order.
func PutAnnotations(w *wire.Writer, a Annotations) {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sortStrings(keys)
	w.Uvarint(uint64(len(keys)))
	for _, k := range keys {
		w.String(k)
		w.Bytes(a[k])
	}
}

// maxAnnotations bounds the keys of decoded annotations: a few per member
// of a view (layers report per-member values under MemberKey).
const maxAnnotations = 4 * maxRanks

// GetAnnotations decodes annotations.
func GetAnnotations(r *wire.Reader) Annotations {
	n := r.Count(maxAnnotations, 2)
	if r.Err() != nil {
		return nil
	}
	a := make(Annotations, n)
	for i := 0; i < n; i++ {
		k := r.String(MaxAddrLen + 64)
		a[k] = r.Bytes(r.Remaining())
	}
	return a
}
