package iiop

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultCorbalocPort is the IIOP port assumed when a corbaloc address omits it.
const DefaultCorbalocPort = 2809

// CorbalocAddr is one address of a corbaloc URL.
type CorbalocAddr struct {
	Version Version // 1.0 when the URL omits it
	Addr    Addr
}

// Corbaloc is a parsed "corbaloc:iiop:" URL: one or more IIOP addresses and
// an object key.
type Corbaloc struct {
	Addrs []CorbalocAddr
	Key   []byte
}

// maxCorbaloc bounds the URLs ParseCorbaloc accepts.
const maxCorbaloc = 64 << 10

// ParseCorbaloc parses corbaloc:iiop:[ver@]host[:port][,:...]/key (RFC 2396
// escapes in the key). Both "iiop:" and the empty protocol ":" are accepted;
// rir and other protocols are rejected.
func ParseCorbaloc(s string) (*Corbaloc, error) {
	if len(s) > maxCorbaloc {
		return nil, fmt.Errorf("%w: corbaloc of %d bytes", ErrBadIOR, len(s))
	}
	const prefix = "corbaloc:"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return nil, fmt.Errorf("%w: missing corbaloc: prefix", ErrBadIOR)
	}
	rest := s[len(prefix):]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return nil, fmt.Errorf("%w: corbaloc without /key", ErrBadIOR)
	}
	addrList, keyStr := rest[:slash], rest[slash+1:]
	key, err := unescapeKey(keyStr)
	if err != nil {
		return nil, err
	}
	c := &Corbaloc{Key: key}
	for _, a := range strings.Split(addrList, ",") {
		ca, err := parseCorbalocAddr(a)
		if err != nil {
			return nil, err
		}
		c.Addrs = append(c.Addrs, ca)
	}
	return c, nil
}

func parseCorbalocAddr(a string) (CorbalocAddr, error) {
	switch {
	case strings.HasPrefix(strings.ToLower(a), "iiop:"):
		a = a[len("iiop:"):]
	case strings.HasPrefix(a, ":"):
		a = a[1:]
	default:
		return CorbalocAddr{}, fmt.Errorf("%w: unsupported corbaloc protocol in %q", ErrBadIOR, a)
	}
	ca := CorbalocAddr{Version: GIOP10}
	if at := strings.IndexByte(a, '@'); at >= 0 {
		v, err := ParseVersion(a[:at])
		if err != nil {
			return CorbalocAddr{}, fmt.Errorf("%w: %v", ErrBadIOR, err)
		}
		ca.Version, a = v, a[at+1:]
	}
	host, port := a, ""
	bracketed := strings.HasPrefix(a, "[")
	if bracketed {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return CorbalocAddr{}, fmt.Errorf("%w: unterminated IPv6 literal in %q", ErrBadIOR, a)
		}
		host, a = a[1:end], a[end+1:]
		if strings.HasPrefix(a, ":") {
			port = a[1:]
		} else if a != "" {
			return CorbalocAddr{}, fmt.Errorf("%w: junk after IPv6 literal", ErrBadIOR)
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	if !validHost(host, bracketed) {
		return CorbalocAddr{}, fmt.Errorf("%w: bad host %q in corbaloc address", ErrBadIOR, host)
	}
	ca.Addr = Addr{Host: host, Port: DefaultCorbalocPort}
	if port != "" {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return CorbalocAddr{}, fmt.Errorf("%w: port %q", ErrBadIOR, port)
		}
		ca.Addr.Port = uint16(p)
	}
	return ca, nil
}

// validHost accepts DNS names, IPv4 addresses and, inside brackets, IPv6
// literals: letters, digits, '-', '.', '_' (and ':' when bracketed).
func validHost(h string, bracketed bool) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		case c == ':' && bracketed:
		default:
			return false
		}
	}
	return true
}

func unescapeKey(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return nil, fmt.Errorf("%w: truncated %% escape in key", ErrBadIOR)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%w: bad %% escape in key", ErrBadIOR)
		}
		out = append(out, byte(v))
		i += 2
	}
	return out, nil
}

// EscapeKey escapes an object key for a corbaloc URL.
func EscapeKey(key []byte) string {
	var b strings.Builder
	for _, c := range key {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(";/:?@&=+$,-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// IOR converts the URL into a reference with one IIOP profile per address
// (each with its own version).
func (c *Corbaloc) IOR(typeID string) *IOR {
	ior := &IOR{TypeID: typeID}
	for _, a := range c.Addrs {
		p := &IIOPProfile{Version: a.Version, Addr: a.Addr, ObjectKey: c.Key}
		ior.Profiles = append(ior.Profiles, p.Encode())
	}
	return ior
}

// String formats the URL.
func (c *Corbaloc) String() string {
	parts := make([]string, len(c.Addrs))
	for i, a := range c.Addrs {
		parts[i] = fmt.Sprintf("iiop:%s@%s", a.Version, a.Addr)
	}
	return "corbaloc:" + strings.Join(parts, ",") + "/" + EscapeKey(c.Key)
}
