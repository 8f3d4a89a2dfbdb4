package idl

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ValueKind classifies a constant value.
type ValueKind int

// Kinds of constant values.
const (
	IntValue ValueKind = iota
	FloatValue
	StringValue
	CharValue
	BoolValue
	EnumValue
)

// Value is the value of a constant expression.
type Value struct {
	Kind  ValueKind
	Int   *big.Int    // IntValue
	Float float64     // FloatValue
	Str   string      // StringValue, CharValue (UTF-8)
	Bool  bool        // BoolValue
	Enum  *Enumerator // EnumValue
}

// String formats the value as IDL would write it.
func (v Value) String() string {
	switch v.Kind {
	case IntValue:
		return v.Int.String()
	case FloatValue:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case StringValue:
		return strconv.Quote(v.Str)
	case CharValue:
		return "'" + strings.Trim(strconv.Quote(v.Str), `"`) + "'"
	case BoolValue:
		if v.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return v.Enum.ScopedName()
}

// String names the kind for error messages.
func (k ValueKind) String() string {
	return [...]string{"integer", "floating-point", "string", "character", "boolean", "enumerator"}[k]
}

// constExpr reads and evaluates a constant expression.
func (p *parser) constExpr() Value { return p.binary(0) }

// binary operator levels, loosest first.
var levels = [][]string{{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}}

func (p *parser) binary(level int) Value {
	if level == len(levels) {
		return p.unary()
	}
	t := p.peek()
	defer p.nest(t.pos)()
	v := p.binary(level + 1)
	for {
		op := p.peek()
		found := false
		for _, s := range levels[level] {
			if op.kind == tPunct && op.text == s {
				found = true
			}
		}
		if !found {
			return v
		}
		p.next()
		w := p.binary(level + 1)
		v = p.apply(op, v, w)
	}
}

func (p *parser) unary() Value {
	t := p.peek()
	defer p.nest(t.pos)()
	if t.kind == tPunct && (t.text == "-" || t.text == "+" || t.text == "~") {
		p.next()
		v := p.unary()
		switch {
		case t.text == "+" && (v.Kind == IntValue || v.Kind == FloatValue):
			return v
		case t.text == "-" && v.Kind == IntValue:
			return p.checkInt(t.pos, Value{Kind: IntValue, Int: new(big.Int).Neg(v.Int)})
		case t.text == "-" && v.Kind == FloatValue:
			return Value{Kind: FloatValue, Float: -v.Float}
		case t.text == "~" && v.Kind == IntValue:
			return p.checkInt(t.pos, Value{Kind: IntValue, Int: new(big.Int).Not(v.Int)})
		}
		p.fail(t.pos, "operator %s cannot apply to a %s value", t.text, v.Kind)
	}
	return p.primary()
}

func (p *parser) primary() Value {
	t := p.peek()
	switch t.kind {
	case tInt:
		p.next()
		n, ok := new(big.Int).SetString(t.text, 0)
		if !ok {
			p.fail(t.pos, "malformed integer %s", t.text)
		}
		return p.checkInt(t.pos, Value{Kind: IntValue, Int: n})
	case tFloat, tFixed:
		p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) {
			p.fail(t.pos, "floating-point literal %s out of range", t.text)
		}
		return Value{Kind: FloatValue, Float: f}
	case tString, tWString:
		p.next()
		s := t.text
		for p.peek().kind == t.kind { // adjacent literals concatenate
			s += p.next().text
		}
		return Value{Kind: StringValue, Str: s}
	case tChar, tWChar:
		p.next()
		return Value{Kind: CharValue, Str: t.text}
	case tPunct:
		if t.text == "(" {
			p.next()
			v := p.constExpr()
			p.expect(")", "closing a parenthesised expression")
			return v
		}
		if t.text != "::" {
			p.fail(t.pos, "expected a constant expression, found %s", t.describe())
		}
	case tIdent:
		switch t.text {
		case "TRUE", "FALSE":
			p.next()
			return Value{Kind: BoolValue, Bool: t.text == "TRUE"}
		}
	default:
		p.fail(t.pos, "expected a constant expression, found %s", t.describe())
	}
	d := p.scopedName()
	switch d := d.(type) {
	case *Const:
		return d.Value
	case *Enumerator:
		return Value{Kind: EnumValue, Enum: d}
	}
	p.fail(t.pos, "%s is not a constant", d.Info().ScopedName())
	return Value{}
}

// checkInt bounds intermediate integers to what IDL's widest types hold.
func (p *parser) checkInt(pos Pos, v Value) Value {
	if v.Int.BitLen() > 64 {
		p.fail(pos, "integer constant %s out of range", v.Int)
	}
	return v
}

// apply evaluates a binary operation.
func (p *parser) apply(op token, a, b Value) Value {
	if a.Kind == IntValue && b.Kind == IntValue {
		r := new(big.Int)
		switch op.text {
		case "|":
			r.Or(a.Int, b.Int)
		case "^":
			r.Xor(a.Int, b.Int)
		case "&":
			r.And(a.Int, b.Int)
		case "<<", ">>":
			if b.Int.Sign() < 0 || b.Int.Cmp(big.NewInt(64)) >= 0 {
				p.fail(op.pos, "shift count %s out of range 0..63", b.Int)
			}
			if op.text == "<<" {
				r.Lsh(a.Int, uint(b.Int.Uint64()))
			} else {
				r.Rsh(a.Int, uint(b.Int.Uint64()))
			}
		case "+":
			r.Add(a.Int, b.Int)
		case "-":
			r.Sub(a.Int, b.Int)
		case "*":
			r.Mul(a.Int, b.Int)
		case "/", "%":
			if b.Int.Sign() == 0 {
				p.fail(op.pos, "division by zero")
			}
			if op.text == "/" {
				r.Quo(a.Int, b.Int)
			} else {
				r.Rem(a.Int, b.Int)
			}
		}
		return p.checkInt(op.pos, Value{Kind: IntValue, Int: r})
	}
	fa, aok := asFloat(a)
	fb, bok := asFloat(b)
	if !aok || !bok {
		p.fail(op.pos, "operator %s cannot combine a %s and a %s value", op.text, a.Kind, b.Kind)
	}
	var r float64
	switch op.text {
	case "+":
		r = fa + fb
	case "-":
		r = fa - fb
	case "*":
		r = fa * fb
	case "/":
		if fb == 0 {
			p.fail(op.pos, "division by zero")
		}
		r = fa / fb
	default:
		p.fail(op.pos, "operator %s needs integer operands", op.text)
	}
	if math.IsInf(r, 0) || math.IsNaN(r) {
		p.fail(op.pos, "floating-point constant out of range")
	}
	return Value{Kind: FloatValue, Float: r}
}

func asFloat(v Value) (float64, bool) {
	switch v.Kind {
	case IntValue:
		f, _ := new(big.Float).SetInt(v.Int).Float64()
		return f, true
	case FloatValue:
		return v.Float, true
	}
	return 0, false
}

// intRanges are the ranges of the integer types.
var intRanges = map[BasicKind][2]*big.Int{
	Short:     {big.NewInt(math.MinInt16), big.NewInt(math.MaxInt16)},
	Long:      {big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32)},
	LongLong:  {big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)},
	UShort:    {big.NewInt(0), big.NewInt(math.MaxUint16)},
	ULong:     {big.NewInt(0), big.NewInt(math.MaxUint32)},
	ULongLong: {big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)},
	Octet:     {big.NewInt(0), big.NewInt(255)},
}

// coerce checks that v fits type t and converts it (an integer given to
// a floating-point type becomes a float).
func (p *parser) coerce(v Value, t Type, pos Pos) Value {
	mismatch := func(want string) {
		p.fail(pos, "a %s value cannot be a %s", v.Kind, want)
	}
	switch u := Underlying(t).(type) {
	case *BasicType:
		switch {
		case u.Kind.IsInteger() || u.Kind == Octet:
			if v.Kind != IntValue {
				mismatch(u.Kind.String())
			}
			r := intRanges[u.Kind]
			if v.Int.Cmp(r[0]) < 0 || v.Int.Cmp(r[1]) > 0 {
				p.fail(pos, "%s is out of range for %s (%s..%s)", v.Int, u.Kind, r[0], r[1])
			}
		case u.Kind == Float || u.Kind == Double || u.Kind == LongDouble:
			f, ok := asFloat(v)
			if !ok {
				mismatch(u.Kind.String())
			}
			if u.Kind == Float && math.Abs(f) > math.MaxFloat32 {
				p.fail(pos, "%g is out of range for float", f)
			}
			return Value{Kind: FloatValue, Float: f}
		case u.Kind == Char || u.Kind == WChar:
			if v.Kind != CharValue {
				mismatch(u.Kind.String())
			}
			if u.Kind == Char && len(v.Str) != 1 {
				p.fail(pos, "char constant %s is not one byte", v)
			}
		case u.Kind == Boolean:
			if v.Kind != BoolValue {
				mismatch("boolean")
			}
		default:
			p.fail(pos, "no constant can have type %s", u.Kind)
		}
	case *StringType:
		if v.Kind != StringValue {
			mismatch("string")
		}
		if u.Bound > 0 && uint64(len([]rune(v.Str))) > uint64(u.Bound) {
			p.fail(pos, "string constant longer than its bound %d", u.Bound)
		}
	case *FixedType:
		f, ok := asFloat(v)
		if !ok {
			mismatch("fixed")
		}
		return Value{Kind: FloatValue, Float: f}
	case *NamedType:
		e, ok := u.Decl.(*Enum)
		if !ok || v.Kind != EnumValue {
			mismatch(u.Decl.Info().ScopedName())
		}
		if v.Enum.Enum != e {
			p.fail(pos, "%s is not an enumerator of %s", v.Enum.ScopedName(), e.ScopedName())
		}
	default:
		p.fail(pos, "a constant cannot have this type")
	}
	return v
}

// positive reads a constant expression that must be a positive integer
// no larger than an unsigned long (a bound or array size).
func (p *parser) positive(what string) uint32 {
	t := p.peek()
	v := p.constExpr()
	if v.Kind != IntValue || v.Int.Sign() <= 0 || v.Int.Cmp(big.NewInt(math.MaxUint32)) > 0 {
		p.fail(t.pos, "%s must be a positive integer constant below 2^32, not %s", what, v)
	}
	return uint32(v.Int.Uint64())
}

// nonNegative is positive that also accepts 0.
func (p *parser) nonNegative(what string) uint32 {
	t := p.peek()
	v := p.constExpr()
	if v.Kind != IntValue || v.Int.Sign() < 0 || v.Int.Cmp(big.NewInt(math.MaxUint32)) > 0 {
		p.fail(t.pos, "%s must be a non-negative integer constant, not %s", what, v)
	}
	return uint32(v.Int.Uint64())
}
