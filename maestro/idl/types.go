package idl

// Type is an IDL type: *BasicType, *StringType, *SequenceType,
// *ArrayType, *FixedType or *NamedType.
type Type interface{ isType() }

// BasicKind names a basic type.
type BasicKind int

// The basic types.
const (
	Short BasicKind = iota
	Long
	LongLong
	UShort
	ULong
	ULongLong
	Float
	Double
	LongDouble
	Char
	WChar
	Boolean
	Octet
	Any
	Object
	ValueBase
)

var basicNames = [...]string{"short", "long", "long long", "unsigned short", "unsigned long",
	"unsigned long long", "float", "double", "long double", "char", "wchar", "boolean", "octet",
	"any", "Object", "ValueBase"}

// String returns the IDL spelling.
func (k BasicKind) String() string { return basicNames[k] }

// IsInteger reports whether k is one of the six integer types.
func (k BasicKind) IsInteger() bool { return k <= ULongLong }

// BasicType is a basic type.
type BasicType struct{ Kind BasicKind }

// StringType is string or wstring, with Bound 0 for unbounded.
type StringType struct {
	Wide  bool
	Bound uint32
}

// SequenceType is sequence<Elem> or sequence<Elem, Bound>; Bound 0 means
// unbounded.
type SequenceType struct {
	Elem  Type
	Bound uint32
}

// ArrayType is an array declarator's type: Elem with dimensions Dims,
// outermost first (x[2][3] has Dims [2 3]).
type ArrayType struct {
	Elem Type
	Dims []uint32
}

// FixedType is fixed<Digits,Scale>.
type FixedType struct{ Digits, Scale uint32 }

// NamedType is a use of a declared type: Decl is the *Struct, *Union,
// *Enum, *Typedef, *Interface or *Native it names.
type NamedType struct {
	Name string // as written
	Decl Decl
}

func (*BasicType) isType()    {}
func (*StringType) isType()   {}
func (*SequenceType) isType() {}
func (*ArrayType) isType()    {}
func (*FixedType) isType()    {}
func (*NamedType) isType()    {}

// Underlying follows typedefs (but not arrays) to the type they name.
func Underlying(t Type) Type {
	for i := 0; i < 64; i++ { // typedef chains are acyclic; bound anyway
		n, ok := t.(*NamedType)
		if !ok {
			return t
		}
		td, ok := n.Decl.(*Typedef)
		if !ok {
			return t
		}
		t = td.Type
	}
	return t
}
