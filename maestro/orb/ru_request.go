package orb

import (
	"errors"
	"log/slog"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// Request handles a client request (ORB interface; called by the
// Dispatcher on the connection's reader goroutine). Read-only operations
// are answered here when this replica may; anything else is relayed to
// the group and answered when this replica delivers it.
func (o *ReplicatedUpdates) Request(req *Request) {
	o.mu.Lock()
	b, m, me, v, active := o.objects[req.Key], o.m, o.me, o.view, o.active
	o.mu.Unlock()
	if !active || b == nil || m == nil || me == "" {
		o.replyException(req.ID, req.ResponseExpected, iiop.ExcTransient, iiop.CompletedNo)
		return
	}
	if v == nil || v.MyState == clsv.StateClient {
		// Not a server yet (a replica's first view, before it meets the
		// group or founds its state): its objects hold no state to answer
		// from, and in a view without servers nobody up to date would
		// apply what it relayed.
		o.refuse(req, b)
		return
	}
	if !o.opts.LinearizableReads && isReadOnly(b.obj, req.Operation) && o.readsLocally(v) {
		o.answerLocally(req, b)
		return
	}
	if o.opts.ProgressInPrimaryOnly && !o.inMajority(v) {
		o.refuse(req, b)
		return
	}
	ft, hasFT, err := parseFTRequest(req.ServiceContexts, req.Args.Syntax)
	if err != nil {
		o.log.Debug("orb: request refused", "op", req.Operation, "err", err)
		o.replyException(req.ID, req.ResponseExpected, iiop.ExcBadParam, iiop.CompletedNo)
		return
	}
	o.mu.Lock()
	if req.ResponseExpected && len(o.pending) >= retainedPerOrigin {
		o.mu.Unlock()
		o.log.Debug("orb: request refused: too many awaiting their answer here", "op", req.Operation, "pending", retainedPerOrigin)
		o.replyException(req.ID, true, iiop.ExcTransient, iiop.CompletedNo)
		return
	}
	o.next++
	r := &relayed{n: o.next, responseExpected: req.ResponseExpected, key: req.Key, operation: req.Operation, ft: ft, hasFT: hasFT, args: req.Args}
	if req.ResponseExpected {
		o.pending[r.n] = pendingRequest{id: req.ID, ident: r.ident(string(me))}
	}
	o.mu.Unlock()
	err = m.Cast(encodeRelayed(r), clsv.Generic)
	if err == nil {
		return
	}
	o.mu.Lock()
	_, still := o.pending[r.n]
	delete(o.pending, r.n)
	o.mu.Unlock()
	if !still {
		return // answered already
	}
	if errors.Is(err, clsv.ErrNotPrimary) {
		o.refuse(req, b)
		return
	}
	o.log.Debug("orb: request not relayed", "op", req.Operation, "err", err)
	o.replyException(req.ID, req.ResponseExpected, iiop.ExcTransient, iiop.CompletedNo)
}

// refuse answers a request outside the primary partition: a forward to
// the replicas that may be in it, or TRANSIENT/COMPLETED_NO so that the
// client tries its next address. Nothing was applied.
func (o *ReplicatedUpdates) refuse(req *Request, b *bound[RUObjectAdaptor]) {
	if !req.ResponseExpected {
		return
	}
	if target := o.forwardTarget(req.Key, b.typeID); target != nil {
		e := req.Args.ReplyEncoder()
		target.Encode(e)
		if err := o.answer.RequestReply(req.ID, iiop.LocationForward, e.Bytes()); err != nil {
			o.log.Debug("orb: forward not sent", "op", req.Operation, "err", err)
		}
		return
	}
	o.replyException(req.ID, true, iiop.ExcTransient, iiop.CompletedNo)
}

// answerLocally runs a read-only operation on this replica's objects.
func (o *ReplicatedUpdates) answerLocally(req *Request, b *bound[RUObjectAdaptor]) {
	o.objMu.Lock()
	status, body := execute(b.obj, req.Operation, req.Args, o.log)
	o.objMu.Unlock()
	if req.ResponseExpected {
		if err := o.answer.RequestReply(req.ID, status, body); err != nil {
			o.log.Debug("orb: reply not sent", "op", req.Operation, "err", err)
		}
	}
}

// apply executes a request relayed by from on this replica (the delivery
// goroutine), once: a retry of an FT-aware client's request gets the
// recorded reply instead. Every reply is recorded, for such retries and
// for a receiving replica that gets the request's effect by state
// transfer.
func (o *ReplicatedUpdates) apply(r *relayed, from string) (iiop.ReplyStatus, []byte) {
	o.objMu.Lock()
	defer o.objMu.Unlock()
	id := r.ident(from)
	if rr, ok := o.retained.lookup(id); ok {
		return rr.status, rr.body
	}
	o.mu.Lock()
	b := o.objects[r.key]
	o.mu.Unlock()
	var status iiop.ReplyStatus
	var body []byte
	if b == nil {
		// Every replica binds the same objects; a key one lacks is a
		// deployment error, answered alike everywhere.
		status, body = systemException(r.args, iiop.ExcObjectNotExist, iiop.CompletedNo)
	} else {
		status, body = execute(b.obj, r.operation, r.args, o.log)
	}
	if r.responseExpected {
		o.retained.record(id, retainedReply{status: status, syntax: r.args.Syntax, body: body})
	}
	return status, body
}

// answerPending sends the reply of this replica's relayed request n, if a
// client awaits it (the delivery goroutine, for every request this
// replica relayed, oneways included).
func (o *ReplicatedUpdates) answerPending(n uint64, status iiop.ReplyStatus, body []byte) {
	o.mu.Lock()
	p, ok := o.pending[n]
	delete(o.pending, n)
	delete(o.relays, n) // delivered: it will not be aborted again
	o.mu.Unlock()
	if !ok {
		return
	}
	if err := o.answer.RequestReply(p.id, status, body); err != nil {
		o.log.Debug("orb: reply not sent", "err", err)
	}
}

// abortPending answers this replica's relayed request n, which a view
// change aborted before any replica applied it: TRANSIENT/COMPLETED_NO,
// so the client may safely send it again.
func (o *ReplicatedUpdates) abortPending(n uint64) {
	o.mu.Lock()
	p, ok := o.pending[n]
	delete(o.pending, n)
	delete(o.relays, n)
	o.mu.Unlock()
	if ok {
		o.replyException(p.id, true, iiop.ExcTransient, iiop.CompletedNo)
	}
}

func (o *ReplicatedUpdates) replyException(id RequestID, responseExpected bool, name string, completed iiop.CompletionStatus) {
	if !responseExpected {
		return
	}
	if err := o.answer.ReplySystemException(id, iiop.NewSystemException(name, iiop.OMGMinorBase|1, completed)); err != nil {
		o.log.Debug("orb: reply not sent", "err", err)
	}
}

// systemException encodes a system exception reply for a request with
// args.
func systemException(args iiop.Body, name string, completed iiop.CompletionStatus) (iiop.ReplyStatus, []byte) {
	e := args.ReplyEncoder()
	iiop.NewSystemException(name, iiop.OMGMinorBase|1, completed).Encode(e)
	return iiop.SystemExceptionReply, e.Bytes()
}

// execute calls obj's Update for operation and turns what goes wrong into
// the exception every replica answers alike: MARSHAL for arguments that
// do not decode, DATA_CONVERSION for results that do not encode, UNKNOWN
// for a panic.
func execute(obj RUObjectAdaptor, operation string, args iiop.Body, log *slog.Logger) (status iiop.ReplyStatus, body []byte) {
	dec := args.Decoder()
	reply := args.ReplyEncoder()
	defer func() {
		if p := recover(); p != nil {
			log.Error("orb: object panicked in Update", "op", operation, "panic", p)
			status, body = systemException(args, iiop.ExcUnknown, iiop.CompletedMaybe)
		}
	}()
	status = obj.Update(operation, dec, reply)
	if dec.Err() != nil && status == iiop.NoException {
		return systemException(args, iiop.ExcMarshal, iiop.CompletedNo)
	}
	if reply.Err() != nil {
		return systemException(args, iiop.ExcDataConversion, iiop.CompletedYes)
	}
	return status, reply.Bytes()
}
