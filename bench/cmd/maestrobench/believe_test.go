package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBelieveStacks(t *testing.T) {
	s, err := believeStacks("")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		stDefault:   "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total",
		stSafe:      "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total:Primary:Safe",
		stToken:     "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Token",
		stSafeToken: "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Token:Primary:Safe",
		stMulticast: "Gmp:Sync:Heal:Switch:Frag:Suspect:Flow:Total",
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s: %q, want %q", k, s[k], v)
		}
	}
	if got, err := parseStacks("multicast,default,safe,default"); err != nil || strings.Join(got, ",") != "default,safe,multicast" {
		t.Errorf("parseStacks: %v %v", got, err)
	}
	if _, err := parseStacks("default,tokn"); err == nil {
		t.Error("an unknown configuration was accepted")
	}
}

func TestUnstable(t *testing.T) {
	if unstable(spread{n: 3, median: 100, min: 86, max: 114}) {
		t.Error("±14% called unstable")
	}
	if !unstable(spread{n: 3, median: 100, min: 84, max: 101}) || !unstable(spread{n: 3, median: 100, min: 99, max: 116}) {
		t.Error("beyond ±15% not called unstable")
	}
}

// TestBelieveJSON runs the default comparison for real with a tiny
// configuration — the default, safe and multicast stacks as three member
// processes each, a 4-member group for the scale cell, raft, the UDP
// round trip and goodput pairs, three rounds of 1 KiB cells (64 KiB ones
// would take the test past 20 s) — and checks the -json file: one object
// per cell, every required field present and sane. No timing assertions.
func TestBelieveJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 processes")
	}
	file := filepath.Join(t.TempDir(), "bench.json")
	out := runMaestrobench(t, 2*time.Minute, "-stacks", "default,safe,multicast", "-sizes", "1024", "-rounds", "3",
		"-duration", "100ms", "-warmup", "0", "-latency-ops", "20", "-scale-members", "4", "-json", file)
	for _, want := range []string{"load average (1 min) before:", "load average (1 min):", " after", "UDP goodput, 1 KiB payloads packed", "UDP goodput, 65507-byte datagrams", "UDP goodput to two (each), 1 KiB payloads packed", "UDP goodput to two (each), 65507-byte datagrams", "UDP round trip p50", "raft 64-way Apply", "| safe | 3 | 1 KiB | 3 |", "| stack | size | p50 | p99 | p50 to callback |", "Scale: 4 members"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Decode into maps so that a renamed field counts as missing.
	var cells []map[string]any
	if err := json.Unmarshal(b, &cells); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, b)
	}
	stacks := []string{"default", "safe", "multicast"}
	if strings.Contains(string(out), "multicast: not measured") {
		stacks = stacks[:2] // this host cannot carry loopback multicast; the output says why
	}
	if len(cells) != 3*len(stacks)+1 {
		t.Fatalf("%d cells, want 3 per stack and size (throughput 1 and 3 senders, latency) for %v and the scale cell:\n%s", len(cells), stacks, b)
	}
	scaleStack := stacks[len(stacks)-1] // multicast, or default without it
	seen := map[string]bool{}
	for _, c := range cells {
		for _, f := range []string{"kind", "stack", "size", "senders", "members", "msgs_per_s", "mb_per_s", "p50_us", "p99_us", "min", "max", "ratio_raft", "ratio_limit"} {
			if _, ok := c[f]; !ok {
				t.Errorf("cell %v lacks %q", c, f)
			}
		}
		kind, _ := c["kind"].(string)
		stack, _ := c["stack"].(string)
		num := func(f string) float64 { v, _ := c[f].(float64); return v }
		if num("members") == 4 {
			if stack != scaleStack || kind != "throughput" || num("senders") != 1 || num("ratio_members3") <= 0 {
				t.Errorf("scale cell %v: want %s, throughput, 1 sender, a ratio to 3 members", c, scaleStack)
			}
			seen["scale"] = true
		} else if !slices.Contains(stacks, stack) || num("members") != 3 {
			t.Errorf("cell %v: stack or members wrong", c)
		}
		if num("size") != 1024 || num("rounds") != 3 {
			t.Errorf("cell %v: size or rounds wrong", c)
		}
		main := "msgs_per_s"
		switch kind {
		case "throughput":
			if num("mb_per_s") <= 0 || num("senders") != 1 && num("senders") != 3 || num("peak_rss_mib") <= 0 {
				t.Errorf("throughput cell %v: mb_per_s, senders or peak_rss_mib wrong", c)
			}
			if num("fanout_limit_value") <= 0 || num("ratio_fanout_limit") <= 0 ||
				!(num("ratio_fanout_limit_min") <= num("ratio_fanout_limit") && num("ratio_fanout_limit") <= num("ratio_fanout_limit_max")) {
				t.Errorf("throughput cell %v: the goodput limit to two or its ratio is missing", c)
			}
		case "latency":
			main = "p50_us"
			if num("p99_us") < num("p50_us") || num("senders") != 1 {
				t.Errorf("latency cell %v: p99 below p50 or senders wrong", c)
			}
			if num("fanout_p50_us") <= 0 || !(num("ratio_fanout_min") <= num("ratio_fanout") && num("ratio_fanout") <= num("ratio_fanout_max")) ||
				num("ratio_fanout") <= 0 {
				t.Errorf("latency cell %v: the UDP fan-out reference or its ratio is missing", c)
			}
			if cb := num("callback_p50_us"); cb <= 0 || cb > num("p50_us") {
				t.Errorf("latency cell %v: callback_p50_us %v missing or beyond p50_us, which adds the hand-off to it", c, cb)
			}
		default:
			t.Errorf("cell %v: kind %q", c, kind)
		}
		if !(num("min") > 0 && num("min") <= num(main) && num(main) <= num("max")) {
			t.Errorf("cell %v: want 0 < min ≤ %s ≤ max", c, main)
		}
		if num("ratio_raft") <= 0 || num("ratio_limit") <= 0 {
			t.Errorf("cell %v: ratios must be positive", c)
		}
		swing := (num("max") - num(main)) / num(main)
		if low := (num(main) - num("min")) / num(main); low > swing {
			swing = low
		}
		if d := num("swing") - swing; d > 1e-9 || d < -1e-9 || (c["unstable"] == true) != (swing > 0.15) {
			t.Errorf("cell %v: swing %v, unstable %v; want %v from min, max and the median", c, num("swing"), c["unstable"], swing)
		}
		if num("raft_swing") < 0 || num("limit_swing") <= 0 {
			t.Errorf("cell %v: the references' swings are missing", c)
		}
		seen[fmt.Sprintf("%s/%s/%d/%d", kind, stack, int(num("size")), int(num("senders")))] = true
	}
	for _, st := range stacks {
		for _, size := range []int{1024} {
			for _, k := range []string{"throughput/%s/%d/1", "throughput/%s/%d/3", "latency/%s/%d/1"} {
				if k := fmt.Sprintf(k, st, size); !seen[k] {
					t.Errorf("no cell %s", k)
				}
			}
		}
	}
	if !seen["scale"] {
		t.Error("no scale cell")
	}
}
