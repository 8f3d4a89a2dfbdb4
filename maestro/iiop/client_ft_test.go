package iiop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

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

// refusingHandler answers the first refusals requests (all of them if
// negative) with the system exception exc, COMPLETED_NO (TRANSIENT: a
// replica outside the primary partition), and echoes the later ones; it
// notes every request's FT_REQUEST, and tells seen of each request.
type refusingHandler struct {
	NopHandler
	s        *Server
	exc      string
	refusals int
	seen     chan struct{}
	mu       sync.Mutex
	requests int
	fts      []FTRequest
}

func (h *refusingHandler) Request(r *Request) {
	h.mu.Lock()
	h.requests++
	n := h.requests
	for _, sc := range r.ServiceContexts {
		if sc.ID == ServiceFTRequest {
			if ft, err := ParseFTRequest(sc, r.Args.Syntax); err == nil {
				h.fts = append(h.fts, ft)
			}
		}
	}
	h.mu.Unlock()
	select {
	case h.seen <- struct{}{}:
	default:
	}
	if h.refusals >= 0 && n > h.refusals {
		e := r.Args.ReplyEncoder()
		e.WriteString(r.Args.Decoder().ReadString())
		_ = h.s.RequestReply(r.Ref, NoException, e.Bytes())
		return
	}
	_ = h.s.ReplySystemException(r.Ref, NewSystemException(h.exc, OMGMinorBase|1, CompletedNo))
}

// seenFT returns how many requests h received and their FT_REQUESTs.
func (h *refusingHandler) seenFT() (int, []FTRequest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests, slices.Clone(h.fts)
}

// TestFTRetryOutcomes: an FT-aware client whose call lost its connection
// sends it again, with the same FT_REQUEST, to the reference's next
// address. Answered there, the call succeeds. Refused there (TRANSIENT,
// COMPLETED_NO) until the client gives up, the call still reports
// COMPLETED_MAYBE: the refusals say that the resends did not run, not that
// the first attempt did not.
func TestFTRetryOutcomes(t *testing.T) {
	ctx := testCtx(t)
	answering, _ := startServer(t, ReadPoll, ServerOptions{})
	ref := CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(answering.Addr())}, GIOP12)
	c := NewClient(ClientOptions{FTClientID: "ft-client", FTRetryFor: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	got, err := echo(ctx, c, ref, "hello")
	require.NoError(t, err)
	require.Equal(t, "hello", got)

	refusing, h := startRefusing(t, ExcTransient, -1)
	ref = CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(refusing.Addr())}, GIOP12)
	_, err = echo(ctx, c, ref, "again")
	var exc *SystemException
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, CompletedMaybe, exc.Completed, "%v", err)
	require.Equal(t, ExcCommFailure, exc.Name())
	require.ErrorContains(t, err, ExcTransient, "the resend's refusal is part of the error")
	n, fts := h.seenFT()
	require.NotZero(t, n)
	require.Len(t, fts, n)
	for _, ft := range fts {
		require.Equal(t, "ft-client", ft.ClientID)
		require.EqualValues(t, 2, ft.RetentionID, "every resend carries the first attempt's retention id")
	}

	// Without FT the client never resends: the lost call is COMPLETED_MAYBE.
	plain := newClient(t)
	unseen, h := startRefusing(t, ExcTransient, -1)
	ref = CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(unseen.Addr())}, GIOP12)
	_, err = echo(ctx, plain, ref, "once")
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, CompletedMaybe, exc.Completed)
	n, _ = h.seenFT()
	require.Zero(t, n, "a client that is not FT-aware resent the call")

	// Any other system exception is the request's answer (recorded, or
	// given again alike): it is the call's outcome.
	rejecting, _ := startRefusing(t, ExcBadParam, -1)
	ref = CompoundIOR("IDL:Echo:1.0", []byte("key"), []Addr{crashAfterRequest(t), addrOf(rejecting.Addr())}, GIOP12)
	_, err = echo(ctx, c, ref, "bad")
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, ExcBadParam, exc.Name(), "%v", err)
	require.Equal(t, CompletedNo, exc.Completed)
}

// TestFTResendsRefusedCalls: an FT-aware client sends a call refused with
// TRANSIENT again, with the same FT_REQUEST (whose expiration is the end
// of FTRetryFor), until it is answered; a plain client gives the refusal
// back at once. Refused until the client gives up, or until its context
// ends, the call reports the refusal: COMPLETED_NO, for no attempt ran.
func TestFTResendsRefusedCalls(t *testing.T) {
	ctx := testCtx(t)
	s, h := startRefusing(t, ExcTransient, 3)
	ref := NewIOR("IDL:Echo:1.0", []byte("key"), s.IIOPAddr(), GIOP12)
	c := NewClient(ClientOptions{FTClientID: "ft-client"})
	t.Cleanup(func() { c.Close() })
	before := time.Now()
	got, err := echo(ctx, c, ref, "hello")
	after := time.Now()
	require.NoError(t, err)
	require.Equal(t, "hello", got)
	n, fts := h.seenFT()
	require.Equal(t, 4, n, "three refusals, then the answer")
	require.Len(t, fts, 4)
	for _, ft := range fts {
		require.Equal(t, fts[0], ft, "every attempt carries the same FT_REQUEST")
	}
	require.Equal(t, "ft-client", fts[0].ClientID)
	require.GreaterOrEqual(t, fts[0].Expiration, timeT(before.Add(15*time.Second)), "expiration: the call's start plus FTRetryFor's default")
	require.LessOrEqual(t, fts[0].Expiration, timeT(after.Add(15*time.Second)))

	s, h = startRefusing(t, ExcTransient, 3)
	ref = NewIOR("IDL:Echo:1.0", []byte("key"), s.IIOPAddr(), GIOP12)
	_, err = echo(ctx, newClient(t), ref, "plain")
	requireRefused(t, err)
	n, fts = h.seenFT()
	require.Equal(t, 1, n, "a client that is not FT-aware resent a refused call")
	require.Empty(t, fts)

	s, h = startRefusing(t, ExcTransient, -1)
	ref = NewIOR("IDL:Echo:1.0", []byte("key"), s.IIOPAddr(), GIOP12)
	brief := NewClient(ClientOptions{FTClientID: "brief", FTRetryFor: 100 * time.Millisecond})
	t.Cleanup(func() { brief.Close() })
	_, err = echo(ctx, brief, ref, "refused")
	requireRefused(t, err)
	n, _ = h.seenFT()
	require.NotZero(t, n)

	// A call whose context ends stops there: refused, if it ended during a
	// pause; with the context's error, if during an attempt.
	s, h = startRefusing(t, ExcTransient, -1)
	ref = NewIOR("IDL:Echo:1.0", []byte("key"), s.IIOPAddr(), GIOP12)
	patient := NewClient(ClientOptions{FTClientID: "patient", FTRetryFor: time.Hour})
	t.Cleanup(func() { patient.Close() })
	short, cancel := context.WithCancel(ctx)
	go func() {
		<-h.seen
		<-h.seen
		cancel()
	}()
	_, err = echo(short, patient, ref, "cancelled")
	if !errors.Is(err, context.Canceled) {
		requireRefused(t, err)
	}
}

// requireRefused checks that err is TRANSIENT, COMPLETED_NO.
func requireRefused(t *testing.T, err error) {
	t.Helper()
	var exc *SystemException
	require.True(t, errors.As(err, &exc), "%v", err)
	require.Equal(t, ExcTransient, exc.Name(), "%v", err)
	require.Equal(t, CompletedNo, exc.Completed, "%v", err)
}

func startRefusing(t *testing.T, exc string, refusals int) (*Server, *refusingHandler) {
	h := &refusingHandler{exc: exc, refusals: refusals, seen: make(chan struct{})}
	s, err := NewServer(ServerOptions{Addr: "127.0.0.1:0"}, h)
	require.NoError(t, err)
	h.s = s
	t.Cleanup(func() { s.Close() })
	return s, h
}

// TestFTResendRules: which attempt failures an FT-aware call is sent again
// after, how many failed connections it tolerates, and what the call
// reports when it stops.
func TestFTResendRules(t *testing.T) {
	ctx := testCtx(t)
	exc := func(name string, c CompletionStatus) error {
		return fmt.Errorf("attempt: %w", NewSystemException(name, OMGMinorBase|1, c))
	}
	c := NewClient(ClientOptions{FTClientID: "rules", FTRetries: 2, FTRetryFor: time.Hour})
	t.Cleanup(func() { c.Close() })

	call := func(c *Client) *ftCall {
		f, err := c.newFTCall(ctx, "op")
		require.NoError(t, err)
		t.Cleanup(f.done)
		return f
	}
	f := call(c)
	notSent := exc(ExcCommFailure, CompletedNo) // a write to a dead connection
	require.True(t, f.resend(ctx, notSent))
	require.True(t, f.resend(ctx, exc(ExcTransient, CompletedNo)))
	lost := exc(ExcCommFailure, CompletedMaybe)
	require.True(t, f.resend(ctx, lost))
	require.False(t, f.resend(ctx, notSent), "FTRetries failed connections, then no more")
	require.ErrorIs(t, f.outcome(notSent), lost, "an attempt may have run: the call may have")
	require.ErrorIs(t, f.outcome(notSent), notSent)
	answered := exc(ExcBadParam, CompletedNo)
	require.Equal(t, answered, f.outcome(answered), "the recorded answer settles it")

	f = call(c)
	for _, err := range []error{exc(ExcBadParam, CompletedNo), exc(ExcInternal, CompletedYes), errors.New("not a system exception")} {
		require.False(t, f.resend(ctx, err), "%v", err)
		require.Equal(t, err, f.outcome(err))
	}
	refusal := exc(ExcTransient, CompletedNo)
	require.True(t, f.resend(ctx, refusal))
	require.Equal(t, refusal, f.outcome(refusal), "nothing ran: the refusal is the outcome")

	done, cancel := context.WithCancel(ctx)
	cancel()
	require.False(t, call(c).resend(done, refusal), "the call's context has ended")
	expired := NewClient(ClientOptions{FTClientID: "expired", FTRetryFor: time.Nanosecond})
	t.Cleanup(func() { expired.Close() })
	require.False(t, call(expired).resend(ctx, refusal), "FTRetryFor has passed")
}

// TestForwardLoop: a server that forwards every request to one of two
// others, which forward every request to each other. A plain client stops
// after MaxForwards and reports TRANSIENT, COMPLETED_NO: no server ran the
// request. An FT-aware client sends it again from the reference it was
// given, so once the loop is broken (the group has a primary partition
// again) the call is answered.
func TestForwardLoop(t *testing.T) {
	ctx := testCtx(t)
	a, ha := startServer(t, ReadPoll, ServerOptions{})
	b, hb := startServer(t, ReadPoll, ServerOptions{})
	c, hc := startServer(t, ReadPoll, ServerOptions{})
	ref := func(s *Server) *IOR { return NewIOR("IDL:Echo:1.0", []byte("key"), s.IIOPAddr(), GIOP12) }
	forward := func(h *echoHandler, to *IOR) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.fwd = to
	}
	forward(ha, ref(b))
	forward(hb, ref(c))
	forward(hc, ref(b))
	requests := func(hs ...*echoHandler) int {
		n := 0
		for _, h := range hs {
			h.mu.Lock()
			n += h.requests
			h.mu.Unlock()
		}
		return n
	}

	plain := NewClient(ClientOptions{MaxForwards: 3})
	t.Cleanup(func() { plain.Close() })
	_, err := echo(ctx, plain, ref(a), "loop")
	requireRefused(t, err)
	require.ErrorContains(t, err, "more than 3 LOCATION_FORWARD replies")
	require.Equal(t, 4, requests(ha, hb, hc), "the request, then three forwards followed: A, B, C, B")

	ft := NewClient(ClientOptions{FTClientID: "ft", MaxForwards: 3})
	t.Cleanup(func() { ft.Close() })
	go func() {
		for requests(ha, hb, hc) < 4+8 && ctx.Err() == nil { // two whole attempts
			time.Sleep(time.Millisecond)
		}
		forward(hc, nil)
	}()
	got, err := echo(ctx, ft, ref(a), "broken")
	require.NoError(t, err)
	require.Equal(t, "broken", got)
	require.GreaterOrEqual(t, requests(ha), 1+2, "every resend started again at the reference given, A's")
}
