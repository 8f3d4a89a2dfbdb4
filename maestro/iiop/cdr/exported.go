package cdr

// Uint32 reads a 32-bit value from b in this byte order.
func (o ByteOrder) Uint32(b []byte) uint32 { return o.uint32(b) }

// PutUint32 writes v into b in this byte order.
func (o ByteOrder) PutUint32(b []byte, v uint32) { o.putUint32(b, v) }

// AppendUint32 appends v to b in this byte order.
func (o ByteOrder) AppendUint32(b []byte, v uint32) []byte { return o.appendUint32(b, v) }

// EffectiveVersion is the GIOP version the syntax encodes with: Version,
// or 1.2 when it is zero.
func (s Syntax) EffectiveVersion() Version { return s.version() }

// Supported reports whether v is a GIOP version this module speaks (1.0,
// 1.1 or 1.2).
func (v Version) Supported() bool { return v.supported() }

// ResetAfter makes e write in syntax s after the bytes already in buf
// (which e then owns), alignment counted from buf[0]: a GIOP message
// continues after its header this way.
func (e *Encoder) ResetAfter(s Syntax, buf []byte) {
	*e = Encoder{syntax: s, buf: buf}
}

// Truncate drops what was written after the first n bytes.
func (e *Encoder) Truncate(n int) {
	if n >= 0 && n <= len(e.buf) {
		e.buf = e.buf[:n]
	}
}

// SetAliasOctets makes ReadOctets return slices of the input rather than
// copies (for a caller that keeps the input alive).
func (d *Decoder) SetAliasOctets(alias bool) { d.aliasOctets = alias }

// ReadRawString reads a string's octets without the terminating NUL,
// whatever the char code set, aliasing the input (for names known to be
// ASCII, such as GIOP operation names); nil, with the error recorded, if
// malformed.
func (d *Decoder) ReadRawString() []byte { return d.readRawString() }
