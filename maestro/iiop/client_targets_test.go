package iiop

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTargetCacheParsesEachReferenceOnce: a reference called again, or
// another reference with the same profiles, reuses what was parsed.
func TestTargetCacheParsesEachReferenceOnce(t *testing.T) {
	tc := newTargetCache()
	addrs := []Addr{{"127.0.0.1", 7001}, {"127.0.0.1", 7002}}
	ref := CompoundIOR("IDL:Grid:1.0", []byte("key"), addrs, GIOP12)
	first, err := tc.targets(ref)
	require.NoError(t, err)
	want, err := targets(ref)
	require.NoError(t, err)
	require.Equal(t, want, first)

	again, err := tc.targets(ref)
	require.NoError(t, err)
	require.Same(t, &first[0], &again[0], "parsed once")
	twin, err := tc.targets(CompoundIOR("IDL:Grid:1.0", []byte("key"), addrs, GIOP12))
	require.NoError(t, err)
	require.Same(t, &first[0], &twin[0], "a reference with the same profiles is the same reference")
}

// TestTargetCacheSeesChangesInPlace: writing into a reference's profile
// bytes gives the new addresses, and the targets handed out before keep
// theirs (they never alias the caller's bytes).
func TestTargetCacheSeesChangesInPlace(t *testing.T) {
	tc := newTargetCache()
	ref := NewIOR("IDL:Grid:1.0", []byte("key"), Addr{"127.0.0.1", 7001}, GIOP12)
	before, err := tc.targets(ref)
	require.NoError(t, err)

	moved := NewIOR("IDL:Grid:1.0", []byte("yek"), Addr{"127.0.0.1", 7999}, GIOP12)
	require.Len(t, moved.Profiles[0].Data, len(ref.Profiles[0].Data))
	copy(ref.Profiles[0].Data, moved.Profiles[0].Data) // in place: same slice, new bytes
	after, err := tc.targets(ref)
	require.NoError(t, err)
	require.Equal(t, Addr{"127.0.0.1", 7999}, after[0].addr)
	require.Equal(t, "yek", string(after[0].key))
	require.Equal(t, Addr{"127.0.0.1", 7001}, before[0].addr)
	require.Equal(t, "key", string(before[0].key), "earlier targets keep their own bytes")

	// Profiles of other tags are no part of the key, nor of the targets.
	ref.Profiles = append(ref.Profiles, TaggedProfile{Tag: TagMultipleComponents, Data: []byte{1, 2, 3}})
	withOther, err := tc.targets(ref)
	require.NoError(t, err)
	require.Same(t, &after[0], &withOther[0])
}

// TestTargetCacheCollision: an entry found under a reference's hash is
// used only if its profiles are the reference's.
func TestTargetCacheCollision(t *testing.T) {
	tc := newTargetCache()
	a := NewIOR("IDL:Grid:1.0", []byte("a"), Addr{"127.0.0.1", 7001}, GIOP12)
	b := NewIOR("IDL:Grid:1.0", []byte("b"), Addr{"127.0.0.1", 7002}, GIOP12)
	tb, err := tc.targets(b)
	require.NoError(t, err)
	kb, _ := tc.key(b)
	ka, _ := tc.key(a)
	tc.entries[ka] = tc.entries[kb] // as if a and b hashed alike
	ta, err := tc.targets(a)
	require.NoError(t, err)
	require.Equal(t, Addr{"127.0.0.1", 7001}, ta[0].addr)
	require.NotEqual(t, tb[0].addr, ta[0].addr)
}

// TestTargetCacheErrors: a reference that does not parse gives the error
// targets gives, naming the profile as the reference numbers it, and is
// not remembered.
func TestTargetCacheErrors(t *testing.T) {
	tc := newTargetCache()
	good := NewIOR("IDL:Grid:1.0", []byte("key"), Addr{"127.0.0.1", 7001}, GIOP12)
	bad := &IOR{TypeID: "IDL:Grid:1.0", Profiles: []TaggedProfile{
		{Tag: TagMultipleComponents, Data: []byte{0}},
		{Tag: TagInternetIOP, Data: []byte{0, 1}},
		good.Profiles[0],
	}}
	_, want := targets(bad)
	require.Error(t, want)
	_, err := tc.targets(bad)
	require.EqualError(t, err, want.Error())
	require.Contains(t, err.Error(), "profile 1")
	require.Empty(t, tc.entries)

	_, err = tc.targets(&IOR{TypeID: "IDL:Grid:1.0"})
	require.ErrorIs(t, err, ErrNoProfile)
}

// TestTargetCacheIsBounded: a client that calls ever new references keeps
// at most maxCachedRefs of them.
func TestTargetCacheIsBounded(t *testing.T) {
	tc := newTargetCache()
	for i := range 3 * maxCachedRefs {
		ref := NewIOR("IDL:Grid:1.0", fmt.Appendf(nil, "key-%d", i), Addr{"127.0.0.1", 7001}, GIOP12)
		ts, err := tc.targets(ref)
		require.NoError(t, err)
		require.True(t, bytes.Equal(ts[0].key, fmt.Appendf(nil, "key-%d", i)))
		require.LessOrEqual(t, len(tc.entries), maxCachedRefs)
	}
}
