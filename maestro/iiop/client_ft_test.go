package iiop

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// crashAfterRequest listens on 127.0.0.1, reads one whole GIOP message on
// the first connection, and closes it and the listener: a server that
// crashed while running a request, whose client sees COMM_FAILURE,
// COMPLETED_MAYBE, and whose address then refuses connections.
func crashAfterRequest(t *testing.T) Addr {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var hb [HeaderSize]byte
		if _, err := io.ReadFull(c, hb[:]); err != nil {
			return
		}
		if h, err := ParseHeader(hb[:]); err == nil {
			_, _ = io.CopyN(io.Discard, c, int64(h.Size))
		}
	}()
	return addrOf(l.Addr())
}

func addrOf(a net.Addr) Addr {
	return Addr{Host: "127.0.0.1", Port: uint16(a.(*net.TCPAddr).Port)}
}

// refusingHandler answers every request with the system exception exc,
// COMPLETED_NO (TRANSIENT: a replica outside the primary partition), after
// noting its FT_REQUEST.
type refusingHandler struct {
	NopHandler
	s   *Server
	exc string
	fts chan FTRequest
}

func (h *refusingHandler) Request(r *Request) {
	for _, sc := range r.ServiceContexts {
		if sc.ID == ServiceFTRequest {
			if ft, err := ParseFTRequest(sc, r.Args.Syntax); err == nil {
				h.fts <- ft
			}
		}
	}
	_ = h.s.ReplySystemException(r.Ref, NewSystemException(h.exc, OMGMinorBase|1, CompletedNo))
}

// TestFTRetryOutcomes: an FT-aware client whose call lost its connection
// sends it again, with the same FT_REQUEST, to the reference's next
// address. Answered there, the call succeeds. Refused there (TRANSIENT,
// COMPLETED_NO), the call still reports COMPLETED_MAYBE: the refusal says
// that the retry did not run, not that the first attempt did not.
func TestFTRetryOutcomes(t *testing.T) {
	ctx := testCtx(t)
	answering, _ := startServer(t, ReadPoll, ServerOptions{})
	ref := CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(answering.Addr())}, GIOP12)
	c := NewClient(ClientOptions{FTClientID: "ft-client"})
	t.Cleanup(func() { c.Close() })
	got, err := echo(ctx, c, ref, "hello")
	require.NoError(t, err)
	require.Equal(t, "hello", got)

	refusing, h := startRefusing(t, ExcTransient)
	ref = CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(refusing.Addr())}, GIOP12)
	_, err = echo(ctx, c, ref, "again")
	var exc *SystemException
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, CompletedMaybe, exc.Completed, "%v", err)
	require.Equal(t, ExcCommFailure, exc.Name())
	require.ErrorContains(t, err, ExcTransient, "the retry's refusal is part of the error")
	ft := <-h.fts
	require.Equal(t, "ft-client", ft.ClientID)
	require.EqualValues(t, 2, ft.RetentionID, "the retry carries the first attempt's retention id")

	// Without FT the client never resends: the lost call is COMPLETED_MAYBE.
	plain := newClient(t)
	ref = CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(refusing.Addr())}, GIOP12)
	_, err = echo(ctx, plain, ref, "once")
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, CompletedMaybe, exc.Completed)
	require.Empty(t, h.fts, "a client that is not FT-aware resent the call")

	// Any other system exception is the request's answer (recorded, or
	// given again alike): it is the call's outcome.
	rejecting, _ := startRefusing(t, ExcBadParam)
	ref = CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(rejecting.Addr())}, GIOP12)
	_, err = echo(ctx, c, ref, "bad")
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, ExcBadParam, exc.Name(), "%v", err)
	require.Equal(t, CompletedNo, exc.Completed)
}

func startRefusing(t *testing.T, exc string) (*Server, *refusingHandler) {
	h := &refusingHandler{exc: exc, fts: make(chan FTRequest, 4)}
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0"}, h)
	require.NoError(t, err)
	h.s = s
	t.Cleanup(func() { s.Close() })
	return s, h
}
