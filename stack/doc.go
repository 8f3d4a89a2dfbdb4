// Package stack is the engine of Maestro's group-communication protocol
// stack: the role Horus and Ensemble played for the original Maestro.
//
// A stack is a column of protocol layers, one job each, composed from a
// properties string such as "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total"
// (see package stack/props). Events travel down the column from the
// application to the network and up from the network to the application;
// each layer pushes its header on the way down and pops it on the way up.
//
// As in Ensemble, a fresh column of layers is built for every view: a layer
// instance serves exactly one view, so no layer has to reset itself when the
// membership changes. State that must survive a view change lives in the
// layer's Protocol, which outlives its per-view instances.
//
// The engine is deterministic. Core does no I/O, starts no goroutines, holds
// no locks and reads no clock: packets, timer ticks and application
// downcalls are fed to it, and it emits packets and application upcalls
// through its Env. The same Core runs over real UDP sockets (Stack, in this
// package, adds the goroutine, the clock and the transport) and inside the
// simulator (package stack/transport/sim), which replays a whole group from a
// seed.
package stack
