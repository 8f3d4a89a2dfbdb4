package orb

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// counter is a tiny ObjectAdaptor: "inc" adds its long argument and returns
// the total; "panic" panics.
type counter struct{ n int32 }

func (c *counter) Update(op string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	switch op {
	case "inc":
		v := req.ReadLong()
		if req.Err() != nil {
			return iiop.NoException // the ORB turns the decoding error into MARSHAL
		}
		c.n += v
		reply.WriteLong(c.n)
		return iiop.NoException
	case "panic":
		var m map[string]int
		m["x"] = 1
	}
	iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}

func (c *counter) IsA(repoID string) bool { return repoID == "IDL:Base:1.0" }

func newDispatcher(t *testing.T) *Dispatcher {
	t.Helper()
	d, err := NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func testClient(t *testing.T) (*iiop.Client, context.Context) {
	c := iiop.NewClient(iiop.ClientOptions{})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c, ctx
}

func wantException(t *testing.T, err error, name string) {
	t.Helper()
	var exc *iiop.SystemException
	if !errors.As(err, &exc) || exc.Name() != name {
		t.Fatalf("want %s, got %v", name, err)
	}
}

func TestSimpleORBLifecycle(t *testing.T) {
	d := newDispatcher(t)
	etcDir := t.TempDir()
	o, err := NewSimpleORB(SimpleORBOptions{Dispatcher: d, Etc: &Etc{Dir: etcDir}})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := NewKey("Counter")
	if err := o.Bind(key, "IDL:Counter:1.0", &counter{}); err != nil {
		t.Fatal(err)
	}
	if err := o.Bind(key, "IDL:Counter:1.0", &counter{}); !errors.Is(err, ErrAlreadyBound) {
		t.Fatalf("double bind: %v", err)
	}
	c, ctx := testClient(t)
	ref, _ := o.IOR(key)
	inc := func(v int32) (int32, error) {
		rep, err := c.Invoke(ctx, ref, "inc", func(e *iiop.Encoder) { e.WriteLong(v) })
		if err != nil {
			return 0, err
		}
		return rep.Body.Decoder().ReadLong(), nil
	}
	// Bound but not active: INV_OBJREF, as in §3.3.4.
	_, err = inc(1)
	wantException(t, err, iiop.ExcInvObjref)
	if st, _, _ := c.Locate(ctx, ref); st != iiop.UnknownObject {
		t.Fatalf("locate while inactive: %v", st)
	}
	if err := o.Activate(context.Background()); err != nil {
		t.Fatal(err)
	}
	published, err := (&Etc{Dir: etcDir}).Lookup("Counter")
	if err != nil || published.String() != ref.String() {
		t.Fatalf("Counter.ior: %v", err)
	}
	for i, want := range []int32{5, 12} {
		if got, err := inc(int32(5 + 2*i)); err != nil || got != want {
			t.Fatalf("inc: %d %v", got, err)
		}
	}
	if st, _, err := c.Locate(ctx, ref); err != nil || st != iiop.ObjectHere {
		t.Fatalf("locate: %v %v", st, err)
	}
	_, err = c.Invoke(ctx, ref, "inc", nil) // missing argument
	wantException(t, err, iiop.ExcMarshal)
	_, err = c.Invoke(ctx, ref, "panic", nil)
	wantException(t, err, iiop.ExcUnknown)
	_, err = c.Invoke(ctx, ref, "frobnicate", nil)
	wantException(t, err, iiop.ExcBadOperation)

	isA := func(r *iiop.IOR, id string) bool {
		rep, err := c.Invoke(ctx, r, "_is_a", func(e *iiop.Encoder) { e.WriteString(id) })
		if err != nil {
			t.Fatal(err)
		}
		return rep.Body.Decoder().ReadBool()
	}
	if !isA(ref, "IDL:Counter:1.0") || !isA(ref, "IDL:Base:1.0") || !isA(ref, "IDL:omg.org/CORBA/Object:1.0") || isA(ref, "IDL:Grid:1.0") {
		t.Fatal("_is_a answers wrong")
	}
	nonExistent := func(r *iiop.IOR) bool {
		rep, err := c.Invoke(ctx, r, "_non_existent", nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Body.Decoder().ReadBool()
	}
	unknown := iiop.NewIOR("IDL:Counter:1.0", []byte("no such key"), d.Addr(), iiop.GIOP12)
	if nonExistent(ref) || !nonExistent(unknown) {
		t.Fatal("_non_existent answers wrong")
	}
	_, err = c.Invoke(ctx, unknown, "inc", func(e *iiop.Encoder) { e.WriteLong(1) })
	wantException(t, err, iiop.ExcObjectNotExist)
	if st, _, _ := c.Locate(ctx, unknown); st != iiop.UnknownObject {
		t.Fatalf("locate unknown key: %v", st)
	}

	o.Deactivate(context.Background())
	_, err = inc(1)
	wantException(t, err, iiop.ExcInvObjref)
	if err := o.Unbind(key); err != nil {
		t.Fatal(err)
	}
	_, err = inc(1)
	wantException(t, err, iiop.ExcObjectNotExist)
	if err := o.Unbind(key); !errors.Is(err, ErrNotBound) {
		t.Fatalf("double unbind: %v", err)
	}
}

// laterORB answers every request from another goroutine, in reverse order
// of arrival once it holds n of them — the shape of the replicated ORB,
// which replies after a totally ordered cast.
type laterORB struct {
	d       *Dispatcher
	n       int
	mu      sync.Mutex
	held    []*Request
	cancels chan RequestID
}

func (o *laterORB) Request(r *Request) {
	o.mu.Lock()
	o.held = append(o.held, r)
	if len(o.held) < o.n {
		o.mu.Unlock()
		return
	}
	batch := o.held
	o.held = nil
	o.mu.Unlock()
	go func() {
		for i := len(batch) - 1; i >= 0; i-- {
			r := batch[i]
			e := r.Args.ReplyEncoder()
			e.WriteString(r.Key.String() + ":" + r.Args.Decoder().ReadString())
			o.d.RequestReply(r.ID, iiop.NoException, e.Bytes())
		}
	}()
}
func (o *laterORB) LocateRequest(r *LocateRequest) { o.d.LocateReply(r.ID, iiop.ObjectHere, nil) }
func (o *laterORB) CancelRequest(id RequestID)     { o.cancels <- id }
func (o *laterORB) IsA(ObjectKey, string) bool     { return false }

func TestCustomORBRepliesLaterInAnyOrder(t *testing.T) {
	d := newDispatcher(t)
	const n = 6
	o := &laterORB{d: d, n: n, cancels: make(chan RequestID, 1)}
	keys := []ObjectKey{KeyFromString("a"), KeyFromString("b")}
	for _, k := range keys {
		if err := d.Bind(k, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Bind(keys[0], o); !errors.Is(err, ErrAlreadyBound) {
		t.Fatalf("double bind: %v", err)
	}
	c, ctx := testClient(t)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			k := keys[i%2]
			ref := iiop.NewIOR("IDL:X:1.0", k.Octets(), d.Addr(), iiop.GIOP12)
			arg := string(rune('p' + i))
			rep, err := c.Invoke(ctx, ref, "op", func(e *iiop.Encoder) { e.WriteString(arg) })
			if err == nil {
				if got := rep.Body.Decoder().ReadString(); got != k.String()+":"+arg {
					err = errors.New("wrong reply " + got)
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// A cancelled call reaches the ORB's CancelRequest.
	o.n = 1000
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := c.Invoke(cctx, iiop.NewIOR("IDL:X:1.0", keys[0].Octets(), d.Addr(), iiop.GIOP12), "op", func(e *iiop.Encoder) { e.WriteString("x") })
		done <- err
	}()
	for {
		o.mu.Lock()
		held := len(o.held)
		o.mu.Unlock()
		if held == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	select {
	case <-o.cancels:
	case <-time.After(10 * time.Second):
		t.Fatal("ORB not told of the cancellation")
	}
}

// A request that reaches the server while NewDispatcher is still setting
// it up — a client that connected to a restarted replica's fixed port
// before it listened — is answered, not a nil server's panic: the
// dispatcher's handler waits for its server.
func TestDispatcherAnswersRequestsThatArriveAtOnce(t *testing.T) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c := iiop.NewClient(iiop.ClientOptions{})
		addr := ln.Addr().(*net.TCPAddr)
		ref := iiop.CompoundIOR("IDL:Nobody:1.0", []byte("nobody"), []iiop.Addr{{Host: "127.0.0.1", Port: uint16(addr.Port)}}, iiop.GIOP12)
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.Invoke(ctx, ref, "op", nil)
			done <- err
		}()
		d, err := NewDispatcher(iiop.ServerOptions{Listener: ln})
		if err != nil {
			t.Fatal(err)
		}
		var se *iiop.SystemException
		if err := <-done; !errors.As(err, &se) || se.Name() != iiop.ExcObjectNotExist {
			t.Fatalf("a request for an unbound key got %v, want OBJECT_NOT_EXIST", err)
		}
		c.Close()
		d.Close()
	}
}
