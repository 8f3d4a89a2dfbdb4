// Package sim is an in-memory network and scheduler that runs whole groups
// of stack.Core instances in one goroutine on a simulated clock.
//
// Everything that can vary — loss, duplication, delay and therefore
// reordering, crashes, restarts, partitions and heals, the workload — is
// drawn from one seeded source, so a run is a pure function of its seed: a
// failing seed replays exactly. The Checker records what every member
// installed and delivered and verifies the membership and delivery
// properties the stack promises.
package sim
