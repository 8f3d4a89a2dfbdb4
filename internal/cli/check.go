package cli

import (
	"net/netip"
	"time"
)

// Multicast checks an IP multicast group:port flag (empty is allowed: no
// multicast).
func Multicast(flagName, value string) error {
	if value == "" {
		return nil
	}
	ap, err := netip.ParseAddrPort(value)
	if err != nil {
		return Usagef("-%s %q: want an IP multicast group:port such as 239.192.0.1:7446", flagName, value)
	}
	if !ap.Addr().IsMulticast() {
		return Usagef("-%s %s: %s is not an IP multicast address (224.0.0.0/4 or ff00::/8)", flagName, value, ap.Addr())
	}
	if ap.Port() == 0 {
		return Usagef("-%s %s: want a port other than 0", flagName, value)
	}
	return nil
}

// NotNegative checks a duration flag whose zero means "the default".
func NotNegative(flagName string, d time.Duration) error {
	if d < 0 {
		return Usagef("-%s %v: must not be negative (0 means the default)", flagName, d)
	}
	return nil
}
