package udp

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/dnstest"
)

func TestSeedsResolveNamesAgainAndKeepLiterals(t *testing.T) {
	dns, err := dnstest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	dns.Set("peers.grid.test", a, b)
	s, err := newSeedSet(t.Context(), []string{"peers.grid.test:7400", "192.0.2.9:7401", "later.grid.test:7402"}, dns.Resolver(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	want := func(aps ...string) {
		t.Helper()
		var got []string
		for _, ap := range s.addrs() {
			got = append(got, ap.String())
		}
		if len(got) != len(aps) {
			t.Fatalf("seeds %v, want %v", got, aps)
		}
		for i := range aps {
			if got[i] != aps[i] {
				t.Fatalf("seeds %v, want %v", got, aps)
			}
		}
	}
	// A name that does not resolve yet is no error: it is tried again.
	want("192.0.2.9:7401", "10.0.0.1:7400", "10.0.0.2:7400")

	dns.Set("peers.grid.test", b, c) // a peer moved
	dns.Set("later.grid.test", a)    // a service got its first endpoint
	done := make(chan struct{})
	go s.refreshEvery(10*time.Millisecond, done)
	deadline := time.Now().Add(10 * time.Second)
	for len(s.addrs()) != 4 || s.addrs()[1].Addr() != b {
		if time.Now().After(deadline) {
			t.Fatalf("seeds not refreshed: %v", s.addrs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(done)
	want("192.0.2.9:7401", "10.0.0.2:7400", "10.0.0.3:7400", "10.0.0.1:7402")

	// A name that stops resolving keeps its last addresses.
	dns.Set("peers.grid.test")
	s.refresh(t.Context())
	want("192.0.2.9:7401", "10.0.0.2:7400", "10.0.0.3:7400", "10.0.0.1:7402")
}

func TestSeedsRejectMalformedEntries(t *testing.T) {
	for _, seed := range []string{"nohost", "host:", "host:0", "host:99999", ":7400"} {
		if _, err := newSeedSet(t.Context(), []string{seed}, nil, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("seed %q accepted", seed)
		}
	}
}

func TestAdvertisedAddressIsTheMembersAddress(t *testing.T) {
	tr, err := New(Config{Group: "adv", Listen: "127.0.0.1:0", Advertise: "203.0.113.7:7400", NoLocalDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.LocalAddr() != "203.0.113.7:7400" {
		t.Fatalf("LocalAddr %s", tr.LocalAddr())
	}
	if _, err := New(Config{Group: "adv", Listen: "127.0.0.1:0", Advertise: "somewhere"}); err == nil {
		t.Fatal("bad advertised address accepted")
	}
}
