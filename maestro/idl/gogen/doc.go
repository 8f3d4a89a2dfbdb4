// Package gogen maps a parsed IDL interface to Go with jennifer: the IDL
// types as Go types with their CDR marshalling, a Go interface of typed
// methods (the servant), an adaptor that serves it through the Simple or
// the Replicated Updates ORB (Update unmarshals the arguments, calls the
// servant and marshals the results or the exception), a typed client stub
// over iiop.Client, and the servant file the user fills in.
//
// The mapping: IDL names become exported CamelCase Go names; in
// parameters are arguments, the return value then out/inout values are
// results, error last, and inout values are arguments too; short, long
// and long long are int16, int32 and int64, unsigned ones uint16, uint32
// and uint64, float and double float32 and float64, boolean bool, char
// and octet byte, wchar rune, string and wstring string, sequence<T> []T,
// arrays Go arrays, structs structs, enums a named uint32 type with one
// constant <Enum><Enumerator> per value, unions a struct holding the
// discriminator (Disc) and one field per member, typedefs Go aliases,
// exceptions struct types whose pointer implements error. Constants
// become Go constants.
//
// One interface is generated per Go package (the helpers are shared by
// name).
package gogen
