package iiop

import "github.com/maestro-go/maestro/maestro/iiop/cdr"

// The CDR layer lives in package cdr; these names keep it reachable as
// iiop.Encoder, iiop.Decoder and so on, the same types.
type (
	// Encoder is cdr.Encoder.
	Encoder = cdr.Encoder
	// Decoder is cdr.Decoder.
	Decoder = cdr.Decoder
	// Syntax is cdr.Syntax.
	Syntax = cdr.Syntax
	// ByteOrder is cdr.ByteOrder.
	ByteOrder = cdr.ByteOrder
	// Version is cdr.Version (a GIOP or IIOP version).
	Version = cdr.Version
	// CodeSets is cdr.CodeSets.
	CodeSets = cdr.CodeSets
)

// Byte orders (cdr's).
const (
	BigEndian    = cdr.BigEndian
	LittleEndian = cdr.LittleEndian
)

// Code set ids (cdr's).
const (
	CodeSetISO8859_1 = cdr.CodeSetISO8859_1
	CodeSetUCS2      = cdr.CodeSetUCS2
	CodeSetUTF16     = cdr.CodeSetUTF16
	CodeSetUTF8      = cdr.CodeSetUTF8
)

// DefaultMaxDepth is cdr.DefaultMaxDepth.
const DefaultMaxDepth = cdr.DefaultMaxDepth

// GIOP versions (cdr's).
var (
	GIOP10 = cdr.GIOP10
	GIOP11 = cdr.GIOP11
	GIOP12 = cdr.GIOP12
)

// ErrCodeSet is cdr.ErrCodeSet.
var ErrCodeSet = cdr.ErrCodeSet

// NewEncoder is cdr.NewEncoder.
func NewEncoder(s Syntax, offset int) *Encoder { return cdr.NewEncoder(s, offset) }

// NewReplyEncoder is cdr.NewReplyEncoder.
func NewReplyEncoder(s Syntax) *Encoder { return cdr.NewReplyEncoder(s) }

// Encapsulate is cdr.Encapsulate.
func Encapsulate(s Syntax, fill func(*Encoder)) *Encoder { return cdr.Encapsulate(s, fill) }

// NewDecoder is cdr.NewDecoder.
func NewDecoder(s Syntax, data []byte, offset int) *Decoder { return cdr.NewDecoder(s, data, offset) }

// OpenEncapsulation is cdr.OpenEncapsulation.
func OpenEncapsulation(s Syntax, data []byte) *Decoder { return cdr.OpenEncapsulation(s, data) }

// ParseVersion is cdr.ParseVersion.
func ParseVersion(s string) (Version, error) { return cdr.ParseVersion(s) }

// ReadSequence is cdr.ReadSequence.
func ReadSequence[T any](d *Decoder, minElemSize int, read func(*Decoder) T) []T {
	return cdr.ReadSequence(d, minElemSize, read)
}

// ReadArray is cdr.ReadArray.
func ReadArray[T any](d *Decoder, n int, minElemSize int, read func(*Decoder) T) []T {
	return cdr.ReadArray(d, n, minElemSize, read)
}

// WriteSequence is cdr.WriteSequence.
func WriteSequence[T any](e *Encoder, items []T, write func(*Encoder, T)) {
	cdr.WriteSequence(e, items, write)
}

// WriteArray is cdr.WriteArray.
func WriteArray[T any](e *Encoder, items []T, write func(*Encoder, T)) {
	cdr.WriteArray(e, items, write)
}
