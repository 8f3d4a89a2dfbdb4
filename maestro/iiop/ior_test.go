package iiop

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// omniORBIOR was written by omniORB 4.2.5's server (internal/omnibuild):
// little-endian, IIOP 1.2, TAG_ORB_TYPE and TAG_CODE_SETS components.
const omniORBIOR = "IOR:010000000d00000049444c3a477269643a312e3000000000010000000000000060000000010102000a0000003132372e302e302e31006fb20e000000fe2fe0026b00003106000000000000000200000000000000080000000100000000545441010000001c00000001000000010001000100000001000105090101000100000009010100"

func TestParseOmniORBIOR(t *testing.T) {
	ior, err := ParseIOR(omniORBIOR)
	if err != nil {
		t.Fatal(err)
	}
	if ior.TypeID != "IDL:Grid:1.0" || len(ior.Profiles) != 1 {
		t.Fatalf("%+v", ior)
	}
	ps, err := ior.IIOPProfiles()
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	if p.Version != GIOP12 || p.Addr != (Addr{"127.0.0.1", 45679}) || len(p.ObjectKey) != 14 {
		t.Fatalf("%+v", p)
	}
	c, ok := p.Component(TagCodeSets)
	if !ok {
		t.Fatal("no TAG_CODE_SETS")
	}
	cs, err := ParseCodeSetComponent(c.Data)
	if err != nil || cs.CharNative != CodeSetISO8859_1 || cs.CharConversion[0] != CodeSetUTF8 || cs.WCharNative != CodeSetUTF16 {
		t.Fatalf("%+v %v", cs, err)
	}
	// A client of ours picks UTF-8 from the conversion list.
	latinOnly := CodeSetComponent{CharNative: CodeSetISO8859_1, WCharNative: CodeSetUCS2}
	if neg := latinOnly.Negotiate(); neg != (CodeSets{Char: CodeSetISO8859_1, WChar: CodeSetUCS2}) {
		t.Fatalf("latin-1 server: negotiated %+v", neg)
	}
	if neg := cs.Negotiate(); neg != (CodeSets{Char: CodeSetUTF8, WChar: CodeSetUTF16}) {
		t.Fatalf("negotiated %+v", neg)
	}
	if !strings.Contains(ior.Describe(), "TAG_ORB_TYPE") {
		t.Error("Describe misses TAG_ORB_TYPE")
	}
	// Re-stringifying (big-endian) and parsing again gives the same reference.
	again, err := ParseIOR(ior.String())
	if err != nil || again.String() != ior.String() {
		t.Fatalf("round trip: %v", err)
	}
}

func TestIIOPProfileVersions(t *testing.T) {
	key := []byte{0, 1, 2, 0xff}
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		p := &IIOPProfile{Version: v, Addr: Addr{"host.example", 9876}, ObjectKey: key,
			Components: []TaggedComponent{DefaultCodeSets.Component(), AlternateAddressComponent(Addr{"alt", 1})}}
		got, err := ParseIIOPProfile(p.Encode().Data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != v || got.Addr != p.Addr || !bytes.Equal(got.ObjectKey, key) {
			t.Fatalf("%+v", got)
		}
		wantComponents := 2
		if v == GIOP10 {
			wantComponents = 0
		}
		if len(got.Components) != wantComponents {
			t.Fatalf("%v: %d components", v, len(got.Components))
		}
	}
}

func TestCompoundIOR(t *testing.T) {
	addrs := []Addr{{"127.0.0.1", 1000}, {"127.0.0.1", 2000}, {"10.0.0.3", 3000}}
	ior := CompoundIOR("IDL:Grid:1.0", []byte("MAE:01020304:Grid"), addrs, GIOP12)
	ps, err := ior.IIOPProfiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		t.Fatalf("%d profiles, want 1 + one per replica", len(ps))
	}
	if got := ps[0].Addrs(); len(got) != 3 || got[0] != addrs[0] || got[1] != addrs[1] || got[2] != addrs[2] {
		t.Fatalf("first profile addresses %v", got)
	}
	for i, p := range ps[1:] {
		if p.Addr != addrs[i] || len(p.Addrs()) != 1 || string(p.ObjectKey) != "MAE:01020304:Grid" {
			t.Fatalf("replica profile %d: %+v", i, p)
		}
	}
	ts, _ := targets(ior)
	if len(ts) != 6 || ts[0].addr != addrs[0] || ts[1].addr != addrs[1] || ts[3].addr != addrs[0] {
		t.Fatalf("client try order %+v", ts)
	}
	// IIOP 1.0 cannot carry alternates: one profile per replica.
	if ps, _ := CompoundIOR("IDL:Grid:1.0", []byte("k"), addrs, GIOP10).IIOPProfiles(); len(ps) != 3 {
		t.Fatalf("1.0 compound: %d profiles", len(ps))
	}
	if ps, _ := CompoundIOR("IDL:Grid:1.0", []byte("k"), addrs[:1], GIOP12).IIOPProfiles(); len(ps) != 1 {
		t.Fatalf("single replica: %d profiles", len(ps))
	}
}

func TestFTComponents(t *testing.T) {
	g := FTGroup{Version: Version{Major: 1, Minor: 0}, FTDomainID: "maestro", ObjectGroupID: 1 << 40, ObjectGroupRefVersion: 3}
	got, err := ParseFTGroup(g.Component().Data)
	if err != nil || got != g {
		t.Fatalf("%+v %v", got, err)
	}
	if p, err := ParseFTPrimary(FTPrimaryComponent(true).Data); err != nil || !p {
		t.Fatalf("%v %v", p, err)
	}
}

func TestBadIORs(t *testing.T) {
	for _, s := range []string{
		"", "IOR", "ior:zz", "IOR:0", "IOR:00000000", "IOR:00ffffffff",
		"IOR:" + strings.Repeat("0", 64), "foo:0000",
	} {
		if _, err := ParseIOR(s); !errors.Is(err, ErrBadIOR) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := (&IOR{TypeID: "x"}).IIOPProfiles(); !errors.Is(err, ErrNoProfile) {
		t.Errorf("nil reference: %v", err)
	}
}

func TestCorbaloc(t *testing.T) {
	c, err := ParseCorbaloc("corbaloc:iiop:1.2@host1:9000,:host2,iiop:[::1]:7/MAE%3Aab%2F%00key")
	if err != nil {
		t.Fatal(err)
	}
	want := []CorbalocAddr{{GIOP12, Addr{"host1", 9000}}, {GIOP10, Addr{"host2", DefaultCorbalocPort}}, {GIOP10, Addr{"::1", 7}}}
	if len(c.Addrs) != 3 {
		t.Fatalf("%+v", c.Addrs)
	}
	for i := range want {
		if c.Addrs[i] != want[i] {
			t.Errorf("addr %d = %+v, want %+v", i, c.Addrs[i], want[i])
		}
	}
	if string(c.Key) != "MAE:ab/\x00key" {
		t.Fatalf("key %q", c.Key)
	}
	again, err := ParseCorbaloc(c.String())
	if err != nil || string(again.Key) != string(c.Key) || len(again.Addrs) != 3 {
		t.Fatalf("round trip %q: %v", c.String(), err)
	}
	if ps, _ := c.IOR("IDL:Grid:1.0").IIOPProfiles(); len(ps) != 3 || ps[0].Version != GIOP12 {
		t.Fatalf("IOR from corbaloc: %+v", ps)
	}
	for _, bad := range []string{"corbaloc:iiop:host", "corbaloc:rir:/NameService", "corbaloc:iiop:1.7@h/k", "corbaloc:iiop:h:99999/k", "corbaloc:iiop:h/%zz", "corbaloc:iiop:h/%4", "corbaloc:iiop:[::1/k", "corbaloc:iiop::1/k", "IOR:00", "CorBAloC:::]:/0", "corbaloc:iiop:a:b:1/k", "corbaloc:iiop:h@x/k"} {
		if _, err := ParseCorbaloc(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
