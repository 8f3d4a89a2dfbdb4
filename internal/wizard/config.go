package wizard

import (
	_ "embed"
	"path/filepath"

	"github.com/maestro-go/maestro/maestro/idl"
)

// gridIDL is the Grid of §3.5.1, the IDL used when none is given.
//
//go:embed grid.idl
var gridIDL []byte

// Config is a checked set of answers: everything the project generator
// needs.
type Config struct {
	Wizard string
	ORB    string // simple or replicated-updates
	Name   string
	// Replicated Updates answers (zero for the Simple wizard).
	Partitions    string
	Replicas      int
	StateTransfer bool
	Ordering      string
	ReinstallIOR  bool
	// IDLPath is the IDL file read, or empty for the built-in Grid.
	IDLPath   string
	Interface string
	ReadOnly  []string
	Module    string
	Key       string
	// Answers are the normalised answers, by key.
	Answers Answers

	spec  *idl.Spec
	iface *idl.Interface
}

func newConfig(t *Template, a Answers, s *session) (*Config, error) {
	str := func(k string) string { v, _ := a[k].(string); return v }
	c := &Config{
		Wizard: t.Name, ORB: t.ORB, Name: str("name"), Partitions: str("partitions"), Ordering: str("ordering"),
		IDLPath: s.idlPath, Interface: str("interface"), Module: str("module"), Key: str("key"), Answers: a,
		spec: s.spec, iface: s.iface,
	}
	c.Replicas, _ = a["replicas"].(int)
	c.StateTransfer = str("state_transfer") == "transfer"
	c.ReinstallIOR, _ = a["reinstall_ior"].(bool)
	c.ReadOnly, _ = a["readonly"].([]string)
	if c.spec == nil { // a template without an idl question: the Grid
		spec, err := idl.Parse("Grid.idl", gridIDL, idl.Options{})
		if err != nil {
			return nil, err
		}
		c.spec = spec
	}
	if c.iface == nil {
		it, ok := c.spec.Lookup(c.Interface).(*idl.Interface)
		if !ok {
			return nil, questionError(&Question{Key: "interface", Prompt: "Interface to serve"}, errNotInterface(c.Interface))
		}
		c.iface = it
	}
	return c, nil
}

// errNotInterface names an interface the IDL lacks.
type errNotInterface string

// Error says so.
func (e errNotInterface) Error() string { return string(e) + " is not an interface of the IDL" }

// idlFileName is the name of the IDL file in the generated project.
func (c *Config) idlFileName() string {
	if c.IDLPath == "" {
		return "Grid.idl"
	}
	return filepath.Base(c.IDLPath)
}

// progressInPrimaryOnly is the ORB option the partitions answer sets.
func (c *Config) progressInPrimaryOnly() bool { return c.Partitions == "majority" }

// requestsCommute is the ORB option the ordering answer sets.
func (c *Config) requestsCommute() bool { return c.Ordering == "commute" }
