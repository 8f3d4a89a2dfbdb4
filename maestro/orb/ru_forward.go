package orb

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// A replica forwards the clients it cannot serve to the replicas of the
// last serving view it saw (forwardTarget). It also keeps that list in its
// state directory, so that once restarted — in a first view of its own,
// before it meets the group and so before it is a server — it forwards
// clients to where the group last served instead of refusing them
// TRANSIENT, which omniORB hands to the application.

// forwardFile is the list's file in the state directory: one host:port
// per line.
const forwardFile = "ru-forward"

// saveForward writes the forward targets list (host:port,...) to the
// state directory, if there is one, atomically (write, then rename).
func (o *ReplicatedUpdates) saveForward(list string) {
	dir := o.opts.Group.StateDir
	if dir == "" {
		return
	}
	path := filepath.Join(dir, forwardFile)
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, []byte(strings.ReplaceAll(list, ",", "\n")+"\n"), 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		o.log.Warn("orb: forward targets not saved", "err", err)
	}
}

// loadForward returns the forward targets a previous incarnation saved in
// the state directory (none if there are none).
func (o *ReplicatedUpdates) loadForward() []iiop.Addr {
	dir := o.opts.Group.StateDir
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, forwardFile))
	if err != nil {
		if !os.IsNotExist(err) {
			o.log.Warn("orb: saved forward targets not read", "err", err)
		}
		return nil
	}
	return parseForward(b)
}

// parseForward reads one host:port per line, skipping lines that are not
// one.
func parseForward(b []byte) []iiop.Addr {
	var addrs []iiop.Addr
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		host, port, err := net.SplitHostPort(strings.TrimSpace(sc.Text()))
		if err != nil || host == "" {
			continue
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			continue
		}
		addrs = append(addrs, iiop.Addr{Host: host, Port: uint16(p)})
	}
	return addrs
}
