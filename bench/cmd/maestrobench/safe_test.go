package main

import (
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	s := summarize([]float64{5, 1, 4, 2, 3})
	if s.n != 5 || s.median != 3 || s.min != 1 || s.max != 5 || s.q1 != 2 || s.q3 != 4 {
		t.Errorf("odd count: %+v", s)
	}
	s = summarize([]float64{4, 1, 3, 2})
	if s.median != 2.5 || s.min != 1 || s.max != 4 {
		t.Errorf("even count: %+v", s)
	}
	if summarize(nil).n != 0 || summarize(nil).count() != "-" {
		t.Error("empty")
	}
	if got := (spread{n: 3, median: 1234567, min: 999, max: 2000000}).count(); got != "1,234,567 [999–2,000,000]" {
		t.Errorf("count %q", got)
	}
	if got := ratios([]float64{2, 4, 9}, []float64{1, 0, 3}); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("ratios %v (a zero divisor is skipped)", got)
	}
}

func TestSafeStacks(t *testing.T) {
	s, err := safeStacks("")
	if err != nil {
		t.Fatal(err)
	}
	if s[sysTotal] != "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total:Primary:Safe" ||
		s[sysToken] != "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Token:Primary:Safe" ||
		s[sysDefault] != "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total" ||
		s[sysPrimary] != "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total:Primary" {
		t.Errorf("stacks %v", s)
	}
	for _, bad := range []string{"Gmp:Token", "Gmp:Sync:Frag:Total:Primary", "Gmp:Totl"} {
		if _, err := safeStacks(bad); err == nil {
			t.Errorf("%q accepted as a base", bad)
		}
	}
}

func TestInterleave(t *testing.T) {
	if got := strings.Join(interleave(0, "a", "b", "c"), ""); got != "abc" {
		t.Error(got)
	}
	if got := strings.Join(interleave(1, "a", "b", "c"), ""); got != "cba" {
		t.Error(got)
	}
}

// TestSafeEndToEnd runs the -safe comparison for real — every stack as
// three member processes, the UDP pair, and no raft (its harness is
// tested in bench/raft) — with tiny cells, and checks that every table
// and bar is printed. No timing assertions are made.
func TestSafeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 14 processes")
	}
	out := runMaestrobench(t, 4*time.Minute, "-safe", "-raft=false", "-rounds", "2", "-safe-sizes", "16", "-duration", "200ms", "-latency-ops", "50", "-primary-pairs", "1")
	for _, want := range []string{
		"| 16 B |", "Safe/Token 3 senders", "UDP round trip p50", "default+Primary ÷ default",
		"load average (1 min)", "Safe p50 ≤ 1.2× one UDP round trip", "Primary alone costs", "CPU time per delivered message", "| CPU µs/msg |", "stack round trip p50", "other processes' load",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
