package groupmember

import _ "embed"

// DefaultConfig is a commented YAML file of every option LoadOptions
// reads, with its default: what `maestro config print` writes, for an
// operator to edit.
//
//go:embed options.yaml
var DefaultConfig string
