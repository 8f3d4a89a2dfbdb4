package iiop

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// The pauses between an FT-aware call's attempts after a refusal grow from
// ftFirstPause to ftMaxPause: a view change or a failover takes from tens
// of milliseconds to seconds, and clients refused together should not all
// come back together (each pause is drawn from its upper half).
const (
	ftFirstPause = 10 * time.Millisecond
	ftMaxPause   = 500 * time.Millisecond
)

// timeTEpoch is 1970-01-01 in CORBA TimeBase::TimeT: 100 ns units since
// 1582-10-15 00:00 UTC.
const timeTEpoch = 122192928000000000

// timeT converts t to TimeBase::TimeT, the unit of FT_REQUEST's expiration.
func timeT(t time.Time) uint64 { return uint64(t.UnixNano()/100) + timeTEpoch }

// ftCall is one FT-aware call's resending state: the FT_REQUEST every
// attempt carries unchanged, and what the attempts so far say of whether
// the request ran.
type ftCall struct {
	c        *Client
	op       string
	id       int32 // its retention id
	ctxs     []ServiceContext
	deadline time.Time
	maybe    error // the last attempt that may have run, if any
	lost     int   // attempts whose connection failed
	pause    time.Duration
}

// newFTCall starts an FT-aware call once its retention id fits in the
// client's window (see ftWindow); it fails with ctx's error if ctx ends
// first. The call must end with done.
func (c *Client) newFTCall(ctx context.Context, op string) (*ftCall, error) {
	id, err := c.window.acquire(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(c.opts.FTRetryFor)
	req := FTRequest{ClientID: c.opts.FTClientID, RetentionID: id, Expiration: timeT(deadline)}
	return &ftCall{c: c, op: op, id: id, ctxs: []ServiceContext{req.Context()}, deadline: deadline, pause: ftFirstPause}, nil
}

// done ends the call, making room in the window for newer ones.
func (f *ftCall) done() { f.c.window.release(f.id) }

// contexts are the service contexts every attempt carries; none for a
// call that is not FT-aware (f nil).
func (f *ftCall) contexts() []ServiceContext {
	if f == nil {
		return nil
	}
	return f.ctxs
}

// resend reports whether the call is to be sent again after an attempt
// failed with err: at once after its connection failed (COMM_FAILURE,
// whether the request was sent or not), after a pause after a refusal (it
// returns false if ctx ends during the pause).
func (f *ftCall) resend(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch {
	case connectionFailed(err):
		if f.lost >= f.c.opts.FTRetries {
			return false
		}
		f.lost++
		f.c.log.Debug("iiop: connection failed mid-call; resending with the same FT_REQUEST", "op", f.op, "err", err)
	case refused(err):
		wait := f.pause/2 + rand.N(f.pause/2+1)
		if !time.Now().Add(wait).Before(f.deadline) {
			return false
		}
		f.c.log.Debug("iiop: call refused; resending with the same FT_REQUEST", "op", f.op, "after", wait, "err", err)
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
		f.pause = min(2*f.pause, ftMaxPause)
	default:
		return false
	}
	if completion(err) != CompletedNo {
		f.maybe = err
	}
	return true
}

// outcome is the call's error when its last attempt failed with err (err
// itself for a call that is not FT-aware, f nil): if an earlier attempt
// may have run and err does not say what became of the request, the call
// may have run (COMM_FAILURE, COMPLETED_MAYBE, wrapping both).
func (f *ftCall) outcome(err error) error {
	if f != nil && f.maybe != nil && !settles(err) {
		return fmt.Errorf("%w; resent: %w", f.maybe, err)
	}
	return err
}

// settles reports whether a resent call's error says what became of the
// request: a system exception a server answered it with (the recorded
// reply, or the same answer again), not TRANSIENT (the resend did not run
// there) nor a failed connection.
func settles(err error) bool {
	exc := systemException(err)
	return exc != nil && exc.Name() != ExcTransient && exc.Name() != ExcCommFailure
}

// refused reports a TRANSIENT system exception: the server (or every
// address of the reference) did not take the request, which may be sent
// again.
func refused(err error) bool {
	exc := systemException(err)
	return exc != nil && exc.Name() == ExcTransient
}

// connectionFailed reports a COMM_FAILURE: the connection failed before the
// request was sent (COMPLETED_NO) or before its reply came (COMPLETED_MAYBE).
func connectionFailed(err error) bool {
	exc := systemException(err)
	return exc != nil && exc.Name() == ExcCommFailure
}

// completion is what err says of whether the request ran: COMPLETED_NO only
// for a system exception saying so.
func completion(err error) CompletionStatus {
	if exc := systemException(err); exc != nil {
		return exc.Completed
	}
	return CompletedMaybe
}

// systemException returns the system exception err wraps, or nil.
func systemException(err error) *SystemException {
	var exc *SystemException
	if errors.As(err, &exc) {
		return exc
	}
	return nil
}
