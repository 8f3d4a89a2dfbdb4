// Package idl parses the CORBA IDL a user writes — modules, interfaces
// with inheritance, attributes, operations (in/out/inout parameters,
// oneway, raises), the basic types, string/wstring, sequences, arrays,
// structs, unions, enums, typedefs, constants, exceptions, #include and
// #pragma prefix — into a resolved syntax tree: every scoped name points to
// its definition, every constant expression has its value, and every
// definition has its OMG repository id (IDL:prefix/Module/Name:1.0).
//
// Errors carry the file, line and column they were found at, formatted
// "file:line:col: message". Parsing never panics, whatever the input.
//
// The Go mapping (typed servants, Update adaptors, client stubs) is in the
// subpackage gogen.
package idl
