package admin

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintStatus writes s as a table, one "field  value" line per field,
// then the view's members (one line each, marked coordinator and me), the
// metrics sorted by name, and the drops by reason, sorted. It returns the
// first write error.
func PrintStatus(w io.Writer, s Status) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("group", s.Group)
	row("member", orNone(s.Member, "(not joined)"))
	if s.Properties != "" {
		row("properties", s.Properties)
	}
	if s.Role != "" {
		row("role", s.Role)
	}
	if s.Serving != nil {
		row("serving", yesNo(*s.Serving))
	}
	row("uptime", (time.Duration(s.UptimeSeconds * float64(time.Second))).Round(time.Millisecond))
	if s.Metrics.ReceiveBuffer > 0 {
		row("receive buffer", fmt.Sprintf("%d bytes", s.Metrics.ReceiveBuffer))
	}
	if v := s.View; v == nil {
		row("view", "(none yet)")
	} else {
		row("view", v.ID)
		row("coordinator", v.Coordinator)
		row("primary", primaryText(v))
		if len(v.Stale) > 0 {
			row("stale", strings.Join(v.Stale, " "))
		}
		if len(v.Zombies) > 0 {
			row("zombies", strings.Join(v.Zombies, " "))
		}
		row("members", len(v.Members))
		for i, m := range v.Members {
			var marks []string
			if m == v.Coordinator {
				marks = append(marks, "coordinator")
			}
			if m == s.Member {
				marks = append(marks, "me")
			}
			fmt.Fprintf(tw, "  %d\t%s", i, m)
			if len(marks) > 0 {
				fmt.Fprintf(tw, "\t%s", strings.Join(marks, ","))
			}
			fmt.Fprintln(tw)
		}
	}
	fmt.Fprintln(tw, "metrics")
	for i := range counters {
		fmt.Fprintf(tw, "  %s\t%d\n", counters[i].name, counters[i].value(&s.Metrics))
	}
	reasons := make([]string, 0, len(s.Metrics.Drops))
	var total uint64
	for r, n := range s.Metrics.Drops {
		reasons = append(reasons, r)
		total += n
	}
	sort.Strings(reasons)
	fmt.Fprintf(tw, "drops\t%d\n", total)
	for _, r := range reasons {
		fmt.Fprintf(tw, "  %s\t%d\n", r, s.Metrics.Drops[r])
	}
	return tw.Flush()
}

func primaryText(v *View) string {
	t := yesNo(v.Primary)
	if v.Replicas > 0 {
		t += fmt.Sprintf(" (%d of %d replicas counted", v.Counted, v.Replicas)
		if v.Primary {
			t += fmt.Sprintf(", primary view %d)", v.PrimaryNumber)
		} else {
			t += ")"
		}
	}
	if !v.Primary && v.NotPrimary != "" {
		t += ": " + v.NotPrimary
	}
	return t
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
