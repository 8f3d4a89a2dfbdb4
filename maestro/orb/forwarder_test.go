package orb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// TestOmniORBFollowsForwards: the omniORB client, given a reference to a
// Forwarder, reaches the real object through OBJECT_FORWARD (LocateReply)
// and through LOCATION_FORWARD (Reply), for GIOP 1.0, 1.1 and 1.2 — the
// encodings a replicated ORB will use to redirect clients.
func TestOmniORBFollowsForwards(t *testing.T) {
	b := omniBinaries(t)
	real := newDispatcher(t)
	o, _ := NewSimpleORB(SimpleORBOptions{Dispatcher: real})
	realKey, _ := NewKey("Grid")
	if err := o.Bind(realKey, "IDL:Grid:1.0", replica{7}); err != nil {
		t.Fatal(err)
	}
	o.Activate(context.Background())
	target, _ := o.IOR(realKey)

	fwd := newDispatcher(t)
	for _, locateHere := range []bool{false, true} {
		for _, v := range []iiop.Version{iiop.GIOP10, iiop.GIOP11, iiop.GIOP12} {
			f := NewForwarder(fwd, target)
			f.LocateHere = locateHere
			key, _ := NewKey("Grid")
			if err := fwd.Bind(key, f); err != nil {
				t.Fatal(err)
			}
			ref := iiop.NewIOR("IDL:Grid:1.0", key.Octets(), fwd.Addr(), v)
			path := filepath.Join(t.TempDir(), "fwd.ior")
			os.WriteFile(path, []byte(ref.String()+"\n"), 0o644)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			out, err := runCalls(ctx, b.Client, path, 2)
			cancel()
			if err != nil || strings.Count(out, "OK 7") != 2 {
				t.Fatalf("GIOP %v locateHere=%v: %v\n%s", v, locateHere, err, out)
			}
			// Our own client follows the same forwards.
			c, cctx := testClient(t)
			rep, err := c.Invoke(cctx, ref, "_get_width", nil)
			if err != nil || rep.Body.Decoder().ReadShort() != 7 {
				t.Fatalf("Go client through forwarder: %v", err)
			}
			if st, fref, err := c.Locate(cctx, ref); err != nil || (st != iiop.ObjectForward && !locateHere) || (!locateHere && fref.String() != target.String()) {
				t.Fatalf("locate through forwarder: %v %v", st, err)
			}
			fwd.Unbind(key)
		}
	}
}
