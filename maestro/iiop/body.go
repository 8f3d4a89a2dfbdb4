package iiop

// Body is the marshalled arguments of a request or results of a reply,
// together with what is needed to decode them: the syntax (byte order, GIOP
// version, code sets) and the logical offset of Data[0] from the alignment
// origin. A Body can be copied, stored or relayed to another process and
// decoded there.
type Body struct {
	Syntax Syntax
	Data   []byte
	Offset int
}

// Decoder returns a fresh decoder over the body.
func (b Body) Decoder() *Decoder { return NewDecoder(b.Syntax, b.Data, b.Offset) }

// ReplyEncoder returns an encoder for a reply to a request with this body:
// same syntax, 8-aligned origin.
func (b Body) ReplyEncoder() *Encoder { return NewReplyEncoder(b.Syntax) }
