package main

// systems are the processes a run measures: the member clusters by
// configuration, the raft reference, and the machine's references (the
// UDP echo pair; the UDP fan-out and the goodput sinks in a default run).
// Any may be missing.
type systems struct {
	clusters map[string]*cluster
	raft     *raftServer
	udp      *udpPair
	fanout   *udpPair      // one pinger, two echo processes
	gp       *goodputProcs // one source, one sink
	gpFan    *goodputProcs // one source, two sinks
}

// stop ends every process (once).
func (s *systems) stop() {
	for _, c := range s.clusters {
		c.stop()
	}
	s.clusters = nil
	if s.raft != nil {
		s.raft.stop()
		s.raft = nil
	}
	if s.udp != nil {
		s.udp.stop()
		s.udp = nil
	}
	if s.fanout != nil {
		s.fanout.stop()
		s.fanout = nil
	}
	if s.gp != nil {
		s.gp.stop()
		s.gp = nil
	}
	if s.gpFan != nil {
		s.gpFan.stop()
		s.gpFan = nil
	}
}
