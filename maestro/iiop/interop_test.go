package iiop

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/internal/omnibuild"
)

func omniBinaries(t *testing.T) *omnibuild.Binaries {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := omnibuild.Cached(ctx)
	if err != nil {
		t.Fatalf("building the omniORB test programs: %v", err)
	}
	return b
}

// TestGoClientAgainstOmniORBServer shows the client side of the bridge
// works against a foreign ORB: our client calls an omniORB C++ Grid server
// over GIOP 1.0, 1.1 and 1.2.
func TestGoClientAgainstOmniORBServer(t *testing.T) {
	b := omniBinaries(t)
	c := newClient(t)
	ctx := testCtx(t)
	for _, v := range []Version{GIOP10, GIOP11, GIOP12} {
		t.Run(v.String(), func(t *testing.T) {
			srv, err := b.StartServer(ctx, "grid", filepath.Join(t.TempDir(), "grid.ior"), "-ORBmaxGIOPVersion", v.String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Stop)
			ref, err := ParseIOR(srv.IOR)
			if err != nil {
				t.Fatal(err)
			}
			ps, _ := ref.IIOPProfiles()
			if ps[0].Version != v {
				t.Fatalf("omniORB published IIOP %v, want %v", ps[0].Version, v)
			}
			call := func(op string, args func(*Encoder)) *Decoder {
				t.Helper()
				rep, err := c.Invoke(ctx, ref, op, args)
				if err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				if rep.Status != NoException {
					t.Fatalf("%s: %v", op, rep.Status)
				}
				return rep.Body.Decoder()
			}
			if st, _, err := c.Locate(ctx, ref); err != nil || st != ObjectHere {
				t.Fatalf("locate: %v %v", st, err)
			}
			if call("_get_width", nil).ReadShort() != 10 || call("_get_height", nil).ReadShort() != 10 {
				t.Fatal("width/height")
			}
			call("set", func(e *Encoder) { e.WriteShort(2); e.WriteShort(4); e.WriteLong(123) })
			if got := call("get", func(e *Encoder) { e.WriteShort(2); e.WriteShort(4) }).ReadLong(); got != 123 {
				t.Fatalf("get(2,4) = %d", got)
			}
			if !call("_is_a", func(e *Encoder) { e.WriteString("IDL:Grid:1.0") }).ReadBool() {
				t.Fatal("_is_a Grid false")
			}
			rep, err := c.Invoke(ctx, ref, "get", func(e *Encoder) { e.WriteShort(11); e.WriteShort(-1) })
			if err != nil || rep.Status != UserException {
				t.Fatalf("get(11,-1): %+v %v", rep, err)
			}
			if d := rep.Body.Decoder(); d.ReadString() != "IDL:OutOfRange:1.0" || d.ReadShort() != 11 || d.ReadShort() != -1 {
				t.Fatal("OutOfRange members")
			}
			_, err = c.Invoke(ctx, ref, "frobnicate", nil)
			var exc *SystemException
			if !errors.As(err, &exc) || exc.Name() != ExcBadOperation {
				t.Fatalf("unknown operation: %v", err)
			}
			big := strings.Repeat("0123456789abcdef", 100*1024/16)
			if got := call("echo", func(e *Encoder) { e.WriteString(big) }).ReadString(); got != big {
				t.Fatal("100 KiB echo differs")
			}
			// omniORB's native char code set is ISO-8859-1, so its servant
			// can only hold Latin-1 text (it raises DATA_CONVERSION for Ω);
			// in 1.2 the text still travels as negotiated UTF-8.
			text := "grüße café"
			if got := call("echo", func(e *Encoder) { e.WriteString(text) }).ReadString(); got != text {
				t.Fatalf("non-ASCII echo: %q", got)
			}
			if v == GIOP12 {
				// omniORB 4.2.5 refuses UTF-16 wstrings in GIOP 1.1 and non-BMP characters.
				wide := "wide grüße Ω 日本 €"
				if got := call("wecho", func(e *Encoder) { e.WriteWString(wide) }).ReadWString(); got != wide {
					t.Fatalf("wecho: %q", got)
				}
			}
		})
	}
}
