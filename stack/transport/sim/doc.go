// Package sim is an in-memory network and scheduler that runs whole groups
// of stack.Core instances in one goroutine on a simulated clock.
//
// Everything that can vary — loss (uniform or in bursts), duplication,
// delay and therefore reordering, datagrams held back for seconds, slow
// links, crashes, restarts, paused processes, partitions into several
// components, one-way cuts and heals, the workload — is drawn from one
// seeded source, so a run is a pure function of its seed: a failing seed
// replays exactly. The Checker records what every member
// installed and delivered and verifies the membership and delivery
// properties the stack promises.
package sim
