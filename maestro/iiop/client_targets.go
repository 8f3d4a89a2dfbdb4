package iiop

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// maxCachedRefs bounds the references a Client remembers the parsed
// profiles of; beyond it the cache starts over.
const maxCachedRefs = 256

// targetCache remembers the addresses parsed from the references a client
// called, by their profiles' bytes: a program calls the same few
// references over and over, and parsing a compound IOR (a profile per
// replica, each with its alternate addresses and code sets) cost more
// than the rest of building a request. An entry is used only for a
// reference whose IIOP profiles are byte for byte the ones it was parsed
// from, so changing a reference, even in place, is never missed.
type targetCache struct {
	seed    maphash.Seed
	mu      sync.Mutex
	entries map[uint64]*targetEntry
}

// targetEntry is one reference's IIOP profiles (a copy, to compare the
// next reference with) and the targets parsed from them.
type targetEntry struct {
	profiles [][]byte
	targets  []target
}

func newTargetCache() *targetCache {
	return &targetCache{seed: maphash.MakeSeed(), entries: map[uint64]*targetEntry{}}
}

// targets returns ref's targets in the order a call tries them. The slice
// is shared: callers only read it.
func (tc *targetCache) targets(ref *IOR) ([]target, error) {
	key, n := tc.key(ref)
	tc.mu.Lock()
	e := tc.entries[key]
	tc.mu.Unlock()
	if e != nil && e.matches(ref, n) {
		return e.targets, nil
	}
	e = &targetEntry{}
	for _, p := range ref.Profiles {
		if p.Tag == TagInternetIOP {
			e.profiles = append(e.profiles, bytes.Clone(p.Data))
		}
	}
	ts, err := targets(ref) // the targets copy what they keep of ref
	if err != nil {
		return nil, err
	}
	e.targets = ts
	tc.mu.Lock()
	if len(tc.entries) >= maxCachedRefs {
		clear(tc.entries)
	}
	tc.entries[key] = e
	tc.mu.Unlock()
	return ts, nil
}

// key hashes ref's IIOP profiles, and counts them.
func (tc *targetCache) key(ref *IOR) (uint64, int) {
	var h maphash.Hash
	h.SetSeed(tc.seed)
	n := 0
	for _, p := range ref.Profiles {
		if p.Tag == TagInternetIOP {
			h.Write(p.Data)
			h.WriteByte(0) // so that a profile's end is part of the key
			n++
		}
	}
	return h.Sum64(), n
}

// matches reports whether ref's n IIOP profiles are the entry's.
func (e *targetEntry) matches(ref *IOR, n int) bool {
	if n != len(e.profiles) {
		return false
	}
	i := 0
	for _, p := range ref.Profiles {
		if p.Tag != TagInternetIOP {
			continue
		}
		if !bytes.Equal(p.Data, e.profiles[i]) {
			return false
		}
		i++
	}
	return true
}
