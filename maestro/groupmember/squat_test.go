package groupmember

import (
	"net"
	"testing"
)

// TestMembersMeetWhenTheirRangeIsSquatted: a stranger holding every port
// of the group's discovery range does not keep the members apart: they
// bind the fallback range, which discovery covers too.
func TestMembersMeetWhenTheirRangeIsSquatted(t *testing.T) {
	opts := testOptions(t)
	for p := opts.PortBase; p < opts.PortBase+opts.PortCount; p++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			t.Fatalf("squatting port %d: %v", p, err)
		}
		t.Cleanup(func() { c.Close() })
	}
	ms, _ := join(t, opts, 3)
	waitView(t, ms, 3)
}
