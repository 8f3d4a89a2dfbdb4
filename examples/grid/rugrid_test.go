package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// call runs one operation on g with the arguments args writes and returns
// the reply status and a decoder of the reply body.
func call(g *RUGrid, op string, args func(*iiop.Encoder)) (iiop.ReplyStatus, *iiop.Decoder) {
	syn := iiop.Syntax{Order: iiop.LittleEndian, Version: iiop.GIOP12}
	e := iiop.NewEncoder(syn, 0)
	if args != nil {
		args(e)
	}
	reply := iiop.NewEncoder(syn, 0)
	status := g.Update(op, iiop.NewDecoder(syn, e.Bytes(), 0), reply)
	return status, iiop.NewDecoder(syn, reply.Bytes(), 0)
}

// requireSystemException checks a system exception reply.
func requireSystemException(t *testing.T, status iiop.ReplyStatus, d *iiop.Decoder, name string) {
	t.Helper()
	require.Equal(t, iiop.SystemExceptionReply, status)
	exc, err := iiop.DecodeSystemException(d)
	require.NoError(t, err)
	require.Equal(t, "IDL:omg.org/CORBA/"+name+":1.0", exc.RepoID)
	require.Equal(t, iiop.CompletedNo, exc.Completed)
}

// TestRUGridIDL: the Grid served by the RU ORB has exactly the
// operations of §3.5.1, reports errors with system exceptions (there is no
// raises clause), declares get read-only and transfers its 100 cells.
func TestRUGridIDL(t *testing.T) {
	g := &RUGrid{}
	set := func(n, m int16, v int32) func(*iiop.Encoder) {
		return func(e *iiop.Encoder) { e.WriteShort(n); e.WriteShort(m); e.WriteLong(v) }
	}
	cell := func(n, m int16) func(*iiop.Encoder) {
		return func(e *iiop.Encoder) { e.WriteShort(n); e.WriteShort(m) }
	}
	for _, op := range []string{"_get_height", "_get_width"} {
		status, d := call(g, op, nil)
		require.Equal(t, iiop.NoException, status)
		require.EqualValues(t, 10, d.ReadShort())
	}
	status, _ := call(g, "set", set(2, 4, 123))
	require.Equal(t, iiop.NoException, status)
	status, d := call(g, "get", cell(2, 4))
	require.Equal(t, iiop.NoException, status)
	require.EqualValues(t, 123, d.ReadLong())

	for _, bad := range []func(*iiop.Encoder){set(10, 0, 1), set(0, -1, 1)} {
		status, d := call(g, "set", bad)
		requireSystemException(t, status, d, iiop.ExcBadParam)
	}
	status, d = call(g, "get", cell(3, 10))
	requireSystemException(t, status, d, iiop.ExcBadParam)
	status, d = call(g, "set", func(e *iiop.Encoder) { e.WriteShort(1); e.WriteShort(1) })
	requireSystemException(t, status, d, iiop.ExcMarshal)
	status, d = call(g, "get", func(e *iiop.Encoder) { e.WriteShort(1) })
	requireSystemException(t, status, d, iiop.ExcMarshal)
	for _, op := range []string{"echo", "_set_width", "Set"} {
		status, d := call(g, op, nil)
		requireSystemException(t, status, d, iiop.ExcBadOperation)
	}
	require.True(t, g.ReadOnly("get"))
	require.False(t, g.ReadOnly("set"))

	// State transfer carries the 100 cells, and only a whole state is
	// accepted.
	call(g, "set", set(9, 9, -7))
	var st bytes.Buffer
	require.NoError(t, g.PushState(&st))
	require.Equal(t, 400, st.Len())
	other := &RUGrid{}
	require.NoError(t, other.GetState(bytes.NewReader(st.Bytes())))
	require.Equal(t, g.Dump(), other.Dump())
	require.Error(t, other.GetState(bytes.NewReader(st.Bytes()[:399])))
	require.Error(t, other.GetState(bytes.NewReader(append(st.Bytes(), 0))))
	require.Equal(t, g.Dump(), other.Dump(), "a rejected state changes nothing")

	f := strings.Fields(g.Dump())
	require.Equal(t, "grid:", f[0])
	require.Len(t, f, 101)
	require.Equal(t, "123", f[1+24])
	require.Equal(t, "-7", f[100])
}

func TestRUConfig(t *testing.T) {
	// -replicas without -statedir is accepted by -mode ru only, and every
	// replica of a group derives the same key.
	_, _, err := parseConfig([]string{"-mode", "csx", "-group", "g", "-replicas", "3"}, io.Discard)
	require.Error(t, err)
	mode, a, err := parseConfig([]string{"-mode", "ru", "-group", "g", "-replicas", "3", "-etc", "x"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "ru", mode)
	_, b, err := parseConfig([]string{"-mode", "ru", "-group", "g", "-etc", "x"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, a.Key, b.Key)
	require.Equal(t, "Grid", a.Key.Name())
	_, c, err := parseConfig([]string{"-mode", "ru", "-group", "h", "-etc", "x"}, io.Discard)
	require.NoError(t, err)
	require.NotEqual(t, a.Key, c.Key)
	_, _, err = parseConfig([]string{"-mode", "ru", "-etc", "x"}, io.Discard)
	require.Error(t, err, "-mode ru needs -group")
}
