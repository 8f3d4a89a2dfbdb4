package udp

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
)

// squat binds every port of [base, base+n) on 127.0.0.1, as a stranger
// would, and releases them when the test ends.
func squat(t *testing.T, base, n int) {
	t.Helper()
	for p := base; p < base+n; p++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			t.Fatalf("squatting port %d: %v", p, err)
		}
		t.Cleanup(func() { c.Close() })
	}
}

// TestSquattedRangeFallsBackWithAWarning: with every port of the group's
// range taken by a stranger, a member binds the fallback range next to it
// and warns; discovery announces to both ranges. With both taken it binds
// an ephemeral port and says local discovery cannot reach it.
func TestSquattedRangeFallsBackWithAWarning(t *testing.T) {
	base := 40000 + rand.IntN(1000)*16
	squat(t, base, 16)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tr, err := New(Config{Group: "squat", PortBase: base, PortCount: 16, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	port := int(tr.local.Port())
	if port < base+16 || port >= base+32 {
		t.Fatalf("bound %d, want the fallback range %d-%d", port, base+16, base+31)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "fallback range") {
		t.Fatalf("no warning: %s", logs.String())
	}
	if len(tr.rng) != 31 {
		t.Fatalf("announces to %d ports, want both ranges but itself (31)", len(tr.rng))
	}

	squat(t, base+17, 15) // the rest of the fallback
	logs.Reset()
	tr2, err := New(Config{Group: "squat", PortBase: base, PortCount: 16, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if p := int(tr2.local.Port()); p >= base && p < base+32 {
		t.Fatalf("bound %d inside the taken ranges", p)
	}
	if !strings.Contains(logs.String(), "local discovery cannot reach this member") {
		t.Fatalf("no warning: %s", logs.String())
	}
}
