package orb

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/maestro-go/maestro/maestro/iiop"
)

func TestEtcPublishAndLookup(t *testing.T) {
	dir := t.TempDir()
	etc := Etc{Dir: dir}
	key, _ := NewKey("Grid")
	ior := iiop.NewIOR("IDL:Grid:1.0", key.Octets(), iiop.Addr{Host: "127.0.0.1", Port: 1234}, iiop.GIOP12)
	if err := etc.Publish("Grid", ior); err != nil {
		t.Fatal(err)
	}
	got, err := etc.Lookup("Grid")
	if err != nil || got.String() != ior.String() {
		t.Fatalf("lookup: %v", err)
	}
	// Republishing replaces the file atomically and leaves no temp files.
	addrs := []iiop.Addr{{Host: "127.0.0.1", Port: 1}, {Host: "127.0.0.1", Port: 2}}
	if _, err := etc.PublishCompound("Grid", "IDL:Grid:1.0", key, addrs, iiop.GIOP12); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "Grid.ior" {
		t.Fatalf("etc holds %v", entries)
	}
	got, _ = etc.Lookup("Grid")
	if ps, _ := got.IIOPProfiles(); len(ps) != 3 || len(ps[0].Addrs()) != 2 {
		t.Fatalf("compound reference has %d profiles", len(ps))
	}
	if err := etc.Publish("../evil", ior); err == nil {
		t.Fatal("path in interface name accepted")
	}
	if err := etc.Remove("Grid"); err != nil {
		t.Fatal(err)
	}
}

func TestEtcFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvEtc, dir)
	if p := (Etc{}).Path("Grid"); p != filepath.Join(dir, "Grid.ior") {
		t.Fatalf("path %q", p)
	}
}

func TestInterfaceName(t *testing.T) {
	for id, want := range map[string]string{"IDL:Grid:1.0": "Grid", "IDL:omg.org/CosNaming/NamingContext:1.0": "NamingContext", "Grid": "Grid"} {
		if got := InterfaceName(id); got != want {
			t.Errorf("%q -> %q, want %q", id, got, want)
		}
	}
}
