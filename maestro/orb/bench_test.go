package orb

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// valueObject implements `attribute string value` like bench/orbbench.
type valueObject struct {
	mu    sync.Mutex
	value string
}

func (p *valueObject) Update(op string, req *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch op {
	case "_set_value":
		p.value = req.ReadString()
		return iiop.NoException
	case "_get_value":
		reply.WriteString(p.value)
		return iiop.NoException
	}
	iiop.NewSystemException(iiop.ExcBadOperation, 0, iiop.CompletedNo).Encode(reply)
	return iiop.SystemExceptionReply
}

// BenchmarkSimpleORBSetValue measures the server side of a synchronous
// _set_value call on the Simple ORB: a raw TCP client sends a pre-encoded
// GIOP 1.2 request (as omniORB would) and reads the reply, so the client's
// own cost is small and allocation counts are the server's. The client is
// a goroutine of this process but not an iiop.Client, so ReadDefault moves
// its busy connection to blocking reads and each call then pays two thread
// switches (cross-CPU wake-ups on a VM): the poll variant is the one to
// read for time per call, bench/orbbench for an external client.
func BenchmarkSimpleORBSetValue(b *testing.B) {
	for _, mode := range []iiop.ReadMode{iiop.ReadDefault, iiop.ReadPoll, iiop.ReadBlocking} {
		for _, size := range []int{4, 1024} {
			b.Run(mode.String()+"/"+itoa(size)+"B", func(b *testing.B) {
				benchSetValue(b, iiop.ServerOptions{Addr: "127.0.0.1:0", ReadMode: mode}, size)
			})
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func benchSetValue(b *testing.B, opts iiop.ServerOptions, size int) {
	d, err := NewDispatcher(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	o, _ := NewSimpleORB(SimpleORBOptions{Dispatcher: d})
	key, _ := NewKey("PerformanceTest")
	if err := o.Bind(key, "IDL:PerformanceTest:1.0", &valueObject{}); err != nil {
		b.Fatal(err)
	}
	o.Activate(context.Background())
	loopSetValue(b, d.Server().Addr().String(), key, size)
}

// loopSetValue calls _set_value with a size-byte string on the object key
// at addr, b.N times, as a raw TCP client sending a pre-encoded GIOP 1.2
// request (as omniORB would) and reading the reply.
func loopSetValue(b *testing.B, addr string, key ObjectKey, size int) {
	syn := iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12, CodeSets: iiop.CodeSets{Char: iiop.CodeSetUTF8, WChar: iiop.CodeSetUTF16}}
	arg := strings.Repeat("v", size)
	// Like omniORB: the first request on the connection carries the
	// CodeSets service context (UTF-8, UTF-16), later ones none.
	rh := &iiop.RequestHeader{RequestID: 1, ResponseFlags: iiop.ResponseExpected, Operation: "_set_value",
		Target: iiop.TargetAddress{ObjectKey: key.Octets()}, ServiceContexts: []iiop.ServiceContext{iiop.CodeSetsContext(syn.CodeSets)}}
	first, err := iiop.EncodeRequest(syn, rh, func(e *iiop.Encoder) { e.WriteString(arg) })
	if err != nil {
		b.Fatal(err)
	}
	rh.ServiceContexts = nil
	msg, err := iiop.EncodeRequest(syn, rh, func(e *iiop.Encoder) { e.WriteString(arg) })
	if err != nil {
		b.Fatal(err)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	buf := make([]byte, 4096)
	call := func(msg []byte, id uint32) {
		binary.LittleEndian.PutUint32(msg[iiop.HeaderSize:], id)
		if _, err := nc.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, buf[:iiop.HeaderSize]); err != nil {
			b.Fatal(err)
		}
		h, err := iiop.ParseHeader(buf[:iiop.HeaderSize])
		if err != nil || h.Type != iiop.MsgReply {
			b.Fatal(h, err)
		}
		if _, err := io.ReadFull(nc, buf[:h.Size]); err != nil {
			b.Fatal(err)
		}
		if st := binary.LittleEndian.Uint32(buf[4:]); st != 0 {
			b.Fatalf("reply status %d", st)
		}
	}
	call(first, 0)
	for i := range 100 {
		call(msg, uint32(i+1))
	}
	b.ReportAllocs()
	id := uint32(1000)
	for b.Loop() {
		id++
		call(msg, id)
	}
}

// ruValueObject is valueObject served by the Replicated Updates ORB.
type ruValueObject struct {
	valueObject
	NoState
}

// BenchmarkRUSetValue measures the server side of a synchronous
// _set_value call through a one-replica Replicated Updates ORB, with the
// raw client of BenchmarkSimpleORBSetValue: the difference between the
// two is what relaying a request through the group costs when the group
// is this process alone (orbbench -ru's RU 1 against its Simple ORB
// floor). all: Total order; primary: ProgressInPrimaryOnly (Primary+Safe).
func BenchmarkRUSetValue(b *testing.B) {
	for _, primary := range []bool{false, true} {
		name := "all"
		if primary {
			name = "primary"
		}
		b.Run(name+"/64B", func(b *testing.B) {
			g := newRUGroup(b, ReplicatedUpdatesOptions{ProgressInPrimaryOnly: primary, Replicas: 1})
			d, err := NewDispatcher(iiop.ServerOptions{Addr: "127.0.0.1:0", ReadMode: iiop.ReadPoll})
			if err != nil {
				b.Fatal(err)
			}
			opts := g.opts
			opts.Dispatcher = d
			if primary {
				opts.Group.StateDir = b.TempDir()
			}
			o, err := NewReplicatedUpdates(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			key, _ := NewKey("PerformanceTest")
			if err := o.Bind(key, "IDL:PerformanceTest:1.0", &ruValueObject{}); err != nil {
				b.Fatal(err)
			}
			if err := o.Activate(context.Background()); err != nil {
				b.Fatal(err)
			}
			g.waitServing(&ruReplica{orb: o})
			loopSetValue(b, d.Server().Addr().String(), key, 64)
		})
	}
}
