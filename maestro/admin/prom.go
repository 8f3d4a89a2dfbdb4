package admin

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ContentType is the Prometheus text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteMetrics writes s in the Prometheus text exposition format (0.0.4):
// every family has its HELP and TYPE lines before its samples, counters
// end in _total, and every sample carries the group and member labels.
// Counters are the Metrics (maestro_drops_total one sample per reason);
// gauges describe the view, primary status, role and uptime. It returns
// the first write error.
func WriteMetrics(w io.Writer, s Status) error {
	bw := bufio.NewWriter(w)
	p := promWriter{w: bw, base: `group="` + escapeLabel(s.Group) + `",member="` + escapeLabel(s.Member) + `"`}
	for i := range counters {
		c := &counters[i]
		p.family("maestro_"+c.name+"_total", "counter", c.help)
		p.sample("maestro_"+c.name+"_total", "", float64(c.value(&s.Metrics)))
	}
	p.family("maestro_drops_total", "counter", "Datagrams and messages discarded, by reason.")
	reasons := make([]string, 0, len(s.Metrics.Drops))
	for r := range s.Metrics.Drops {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		p.sample("maestro_drops_total", `reason="`+escapeLabel(r)+`"`, float64(s.Metrics.Drops[r]))
	}
	p.gauges(s)
	return bw.Flush()
}

// gauges writes the families that describe the member's present state.
func (p *promWriter) gauges(s Status) {
	p.family("maestro_up", "gauge", "1 once the member has joined, 0 before.")
	p.sample("maestro_up", "", b2f(s.Member != ""))
	p.family("maestro_uptime_seconds", "gauge", "Seconds since the member joined.")
	p.sample("maestro_uptime_seconds", "", s.UptimeSeconds)
	if s.Metrics.ReceiveBuffer > 0 {
		p.family("maestro_receive_buffer_bytes", "gauge", "The UDP receive buffer the system granted the member.")
		p.sample("maestro_receive_buffer_bytes", "", float64(s.Metrics.ReceiveBuffer))
	}
	if s.Role != "" {
		p.family("maestro_role", "gauge", "The member's role, as the role label of a sample of value 1.")
		p.sample("maestro_role", `role="`+escapeLabel(s.Role)+`"`, 1)
	}
	if s.Serving != nil {
		p.family("maestro_serving", "gauge", "1 if the replica applies updates now (Replicated Updates ORB).")
		p.sample("maestro_serving", "", b2f(*s.Serving))
	}
	if s.View == nil {
		return
	}
	v := s.View
	p.family("maestro_view_members", "gauge", "Members in the current view.")
	p.sample("maestro_view_members", "", float64(len(v.Members)))
	p.family("maestro_view_ltime", "gauge", "Logical time of the current view; it grows with every view.")
	p.sample("maestro_view_ltime", "", float64(v.Ltime))
	p.family("maestro_coordinator", "gauge", "1 if this member coordinates the current view.")
	p.sample("maestro_coordinator", "", b2f(v.Coordinator != "" && v.Coordinator == s.Member))
	p.family("maestro_primary", "gauge", "1 if the current view may cast (is primary with the Primary property).")
	p.sample("maestro_primary", "", b2f(v.Primary))
	if v.Replicas > 0 {
		p.family("maestro_primary_counted_replicas", "gauge", "Replicas of the current view counted toward the majority.")
		p.sample("maestro_primary_counted_replicas", "", float64(v.Counted))
		p.family("maestro_replicas", "gauge", "The configured number of replicas.")
		p.sample("maestro_replicas", "", float64(v.Replicas))
		p.family("maestro_stale_members", "gauge", "Members of the current view that must receive the state before it can be primary.")
		p.sample("maestro_stale_members", "", float64(len(v.Stale)))
	}
}

// promWriter writes samples that all share the base labels.
type promWriter struct {
	w    *bufio.Writer
	base string
}

func (p *promWriter) family(name, typ, help string) {
	fmt.Fprintf(p.w, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

func (p *promWriter) sample(name, labels string, v float64) {
	l := p.base
	if labels != "" {
		l += "," + labels
	}
	fmt.Fprintf(p.w, "%s{%s} %s\n", name, l, strconv.FormatFloat(v, 'g', -1, 64))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// escapeHelp escapes HELP text: backslash and newline.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
