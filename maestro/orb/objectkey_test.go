package orb

import (
	"regexp"
	"testing"
)

func TestNewKey(t *testing.T) {
	k1, err := NewKey("Grid")
	if err != nil {
		t.Fatal(err)
	}
	var k2 ObjectKey
	if err := k2.Init("Grid"); err != nil {
		t.Fatal(err)
	}
	if k1 == k2 {
		t.Fatal("two fresh keys are equal")
	}
	if !regexp.MustCompile(`^MAE:[0-9a-f]{34}:Grid$`).MatchString(k1.String()) {
		t.Fatalf("key %q", k1)
	}
	if k1.Name() != "Grid" || string(k1.Octets()) != k1.String() {
		t.Fatalf("name %q octets %q", k1.Name(), k1.Octets())
	}
	if _, err := NewKey("bad:name"); err == nil {
		t.Fatal("name with ':' accepted")
	}
}

func TestKeyHash(t *testing.T) {
	k := KeyFromString("MAE:3f809d92a791947c346778da00069523b3:Grid")
	if k.Hash() != 0x3f809d92 {
		t.Fatalf("hash %#x", k.Hash())
	}
	plain := KeyFromString("my key")
	if plain.Hash() != KeyFromOctets([]byte("my key")).Hash() || plain.Name() != "" {
		t.Fatal("hash of a plain key is not a function of its octets")
	}
	// Fresh keys get different (random) hashes almost always.
	seen := map[uint32]bool{}
	for i := 0; i < 50; i++ {
		k, _ := NewKey("X")
		seen[k.Hash()] = true
	}
	if len(seen) < 45 {
		t.Fatalf("only %d distinct hashes in 50 keys", len(seen))
	}
}

func TestParseKey(t *testing.T) {
	if k, err := ParseKey("MAE:074b8d6ea791947c34da7cbd0007d5aeef:Grid"); err != nil || k.Name() != "Grid" {
		t.Fatalf("%v %v", k, err)
	}
	for _, bad := range []string{"", "my key", "MAE:", "MAE:zz:Grid", "MAE:0102:Grid", "MAE:0102030405"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if s := KeyFromOctets([]byte{0, 1, 0xff}).String(); s != "0x0001ff" {
		t.Fatalf("binary key prints as %q", s)
	}
}
