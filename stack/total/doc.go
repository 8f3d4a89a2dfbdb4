// Package total orders casts: every member delivers the casts of a view in
// the same order, decided by a sequencer (the view's rank 0).
//
// The sequencer numbers its own casts as it sends them, so a member that is
// both the only active sender and the sequencer orders its messages with no
// extra round (the dynamic-sequencer observation of §3.6). Casts from other
// members go out unordered and the sequencer announces their global order in
// batched ORDER messages, sent whenever the stack runs out of input.
//
// Strong Prefix (§4.3.3): at a view change, only the component that still
// holds the sequencer can extend the order. During the flush the sequencer
// orders every cast it holds that was never ordered and carries that final
// order into the next view as an annotation; its sequence is append-only, so
// flushes that restart only extend it. Members whose flush does not include
// the sequencer deliver the ordered prefix they know and report the rest
// with EAbort. Hence in any view, any member's sequence of deliveries is a
// prefix of any other member's, or the other way round.
package total
