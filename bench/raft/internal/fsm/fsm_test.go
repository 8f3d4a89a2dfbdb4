package fsm

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/raft"
)

type memSink struct {
	bytes.Buffer
}

func (*memSink) ID() string    { return "mem" }
func (*memSink) Cancel() error { return nil }
func (*memSink) Close() error  { return nil }

func TestCounterOrderSensitiveAndRestorable(t *testing.T) {
	a, b := New(), New()
	a.Apply(&raft.Log{Index: 1, Data: []byte("x")})
	a.Apply(&raft.Log{Index: 2, Data: []byte("yy")})
	b.Apply(&raft.Log{Index: 1, Data: []byte("yy")})
	b.Apply(&raft.Log{Index: 2, Data: []byte("x")})

	sa, sb := a.State(), b.State()
	if sa.Entries != 2 || sa.Bytes != 3 || sa.LastIndex != 2 {
		t.Fatalf("unexpected state %+v", sa)
	}
	if sa.Checksum == sb.Checksum {
		t.Fatalf("checksum should depend on order: %x", sa.Checksum)
	}

	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	c := New()
	if err := c.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	if c.State() != sa {
		t.Fatalf("restored %+v, want %+v", c.State(), sa)
	}
}
