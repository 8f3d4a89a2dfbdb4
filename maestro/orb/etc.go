package orb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// EnvEtc names the environment variable holding the etc directory where IOR
// files are published (§3.5.3).
const EnvEtc = "MAESTRO_ETC"

// Etc publishes object references as files: the IOR of an object
// implementing interface Foo is written to <Dir>/Foo.ior (§3.5.3). The zero
// value uses $MAESTRO_ETC, or the current directory if that is unset.
type Etc struct {
	Dir string
}

func (e Etc) dir() string {
	if e.Dir != "" {
		return e.Dir
	}
	if d := os.Getenv(EnvEtc); d != "" {
		return d
	}
	return "."
}

// Path is the file that holds the IOR of interface iface.
func (e Etc) Path(iface string) string { return filepath.Join(e.dir(), iface+".ior") }

// Publish writes ior (stringified, newline-terminated) to Path(iface)
// atomically: readers see the old file or the new one, never a partial one.
// It creates the directory (and its parents) if it does not exist.
func (e Etc) Publish(iface string, ior *iiop.IOR) error {
	if iface == "" || strings.ContainsAny(iface, `/\`) {
		return fmt.Errorf("orb: bad interface name %q for an IOR file", iface)
	}
	dir := e.dir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("orb: publishing %s: %w", iface, err)
	}
	f, err := os.CreateTemp(dir, "."+iface+".ior.*")
	if err != nil {
		return fmt.Errorf("orb: publishing %s: %w", iface, err)
	}
	tmp := f.Name()
	_, werr := f.WriteString(ior.String() + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, e.Path(iface))
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("orb: publishing %s: %w", iface, werr)
	}
	return nil
}

// PublishCompound builds the compound reference of an object served at
// every address in addrs (iiop.CompoundIOR) and publishes it.
func (e Etc) PublishCompound(iface, typeID string, key ObjectKey, addrs []iiop.Addr, version iiop.Version) (*iiop.IOR, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("orb: publishing %s: no addresses", iface)
	}
	ior := iiop.CompoundIOR(typeID, key.Octets(), addrs, version)
	return ior, e.Publish(iface, ior)
}

// Lookup reads the IOR published for iface.
func (e Etc) Lookup(iface string) (*iiop.IOR, error) {
	b, err := os.ReadFile(e.Path(iface))
	if err != nil {
		return nil, fmt.Errorf("orb: %w", err)
	}
	return iiop.ParseIOR(string(b))
}

// Remove deletes the IOR file of iface, if any.
func (e Etc) Remove(iface string) error {
	if err := os.Remove(e.Path(iface)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("orb: %w", err)
	}
	return nil
}

// InterfaceName derives the IOR file name from a repository id:
// "IDL:Grid:1.0" → "Grid", "IDL:mod/Foo:1.0" → "Foo".
func InterfaceName(typeID string) string {
	s := strings.TrimPrefix(typeID, "IDL:")
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
