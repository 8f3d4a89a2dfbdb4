package idl

// tokenKind classifies a token.
type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tInt
	tFloat
	tFixed
	tChar
	tWChar
	tString
	tWString
	tPunct
	// tPrefix carries a #pragma prefix (text is the prefix); tPushFile and
	// tPopFile bracket the tokens of an included file, whose prefix is its
	// own.
	tPrefix
	tPushFile
	tPopFile
)

// token is one lexical token. For literals text holds the decoded value
// (strings and chars unescaped, numbers as written).
type token struct {
	kind tokenKind
	text string
	pos  Pos
}

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tIdent:
		return "'" + t.text + "'"
	case tInt, tFloat, tFixed:
		return "number " + t.text
	case tChar, tWChar:
		return "character literal"
	case tString, tWString:
		return "string literal"
	case tPunct:
		return "'" + t.text + "'"
	}
	return "preprocessor directive"
}

// keywords of IDL (CORBA 3.0 §3.2.4); none may be used as an identifier.
var keywords = map[string]bool{
	"abstract": true, "any": true, "attribute": true, "boolean": true, "case": true, "char": true,
	"component": true, "const": true, "consumes": true, "context": true, "custom": true, "default": true,
	"double": true, "emits": true, "enum": true, "eventtype": true, "exception": true, "factory": true,
	"FALSE": true, "finder": true, "fixed": true, "float": true, "getraises": true, "getname": false,
	"home": true, "import": true, "in": true, "inout": true, "interface": true, "local": true,
	"long": true, "module": true, "multiple": true, "native": true, "Object": true, "octet": true,
	"oneway": true, "out": true, "primarykey": true, "private": true, "provides": true, "public": true,
	"publishes": true, "raises": true, "readonly": true, "setraises": true, "sequence": true,
	"short": true, "string": true, "struct": true, "supports": true, "switch": true, "TRUE": true,
	"truncatable": true, "typedef": true, "typeid": true, "typeprefix": true, "unsigned": true,
	"union": true, "uses": true, "ValueBase": true, "valuetype": true, "void": true, "wchar": true,
	"wstring": true,
}
