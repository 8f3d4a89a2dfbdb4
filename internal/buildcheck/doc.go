// Package buildcheck holds tests of the repository itself rather than of
// one package: that `make test` refuses an untidy go.mod, and that the
// documentation cites only files the repository has.
package buildcheck
