package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/proctest"
)

var viewLine = regexp.MustCompile(`^view (\S+) \((\d+) members\): (.*)$`)

// chatArgs gives each test its own group and discovery port range.
func chatArgs(t *testing.T, extra ...string) []string {
	base := 30000 + rand.IntN(1500)*16
	return append([]string{"-group", fmt.Sprintf("%s-%d", t.Name(), base), "-portbase", strconv.Itoa(base), "-suspect", "1s"}, extra...)
}

// lastView returns the members of the last view a chat printed.
func lastView(lines []string) (id string, members []string) {
	for i := len(lines) - 1; i >= 0; i-- {
		if m := viewLine.FindStringSubmatch(lines[i]); m != nil {
			return m[1], strings.Fields(m[3])
		}
	}
	return "", nil
}

// waitViews waits until every process printed the same last view, of n members.
func waitViews(t *testing.T, ps []*proctest.Proc, n int) string {
	t.Helper()
	var id string
	require.Eventually(t, func() bool {
		id = ""
		for _, p := range ps {
			v, ms := lastView(p.Lines())
			if len(ms) != n || (id != "" && v != id) {
				return false
			}
			id = v
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "chats did not agree on a %d-member view", n)
	return id
}

// casts returns the "<sender>: <text>" lines a chat printed.
func casts(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "view ") && !strings.HasPrefix(l, "(") {
			out = append(out, l)
		}
	}
	return out
}

// startChats starts n chat processes named p0, p1, ... in a group of
// their own and waits until they share one view.
func startChats(t *testing.T, n int) (bin string, args []string, ps []*proctest.Proc) {
	t.Helper()
	bin = proctest.Build(t, "./examples/chat")
	args = chatArgs(t)
	for i := 0; i < n; i++ {
		ps = append(ps, proctest.Start(t, fmt.Sprintf("chat%d", i), bin, append(args, "-name", fmt.Sprintf("p%d", i))...))
	}
	waitViews(t, ps, n)
	return bin, args, ps
}

func TestThreeChatsDeliverTenThousandCastsInTheSameOrder(t *testing.T) {
	_, _, ps := startChats(t, 3)
	const total = 10000
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lines []string
			for k := i; k < total; k += len(ps) {
				lines = append(lines, fmt.Sprintf("line %d", k))
			}
			require.NoError(t, p.Send(lines...))
		}()
	}
	wg.Wait()
	for _, p := range ps {
		require.NoError(t, p.WaitFor(60*time.Second, fmt.Sprintf("%d casts", total), func(lines []string) bool {
			return len(casts(lines)) >= total
		}))
	}
	first := casts(ps[0].Lines())
	require.Len(t, first, total)
	seen := map[string]bool{}
	for _, l := range first {
		require.False(t, seen[l], "duplicate delivery %q", l)
		seen[l] = true
	}
	for _, p := range ps[1:] {
		require.Equal(t, first, casts(p.Lines()), "%s delivered a different sequence", p.Name)
	}
	// Every sender's lines arrive in the order it typed them.
	next := map[string]int{"p0": 0, "p1": 1, "p2": 2}
	for _, l := range first {
		var who string
		var k int
		_, err := fmt.Sscanf(l, "%s line %d", &who, &k)
		require.NoError(t, err, l)
		who = strings.TrimSuffix(who, ":")
		require.Equal(t, next[who], k, "FIFO order of %s", who)
		next[who] += 3
	}
}

func TestChatSurvivesSIGKILLAndMergesBack(t *testing.T) {
	bin, args, ps := startChats(t, 3)
	require.NoError(t, ps[0].Send("before"))
	for _, p := range ps {
		require.NoError(t, p.WaitFor(10*time.Second, "before", func(l []string) bool { return contains(l, "p0: before") }))
	}

	_, members := lastView(ps[0].Lines())
	require.ElementsMatch(t, []string{"p0", "p1", "p2"}, members, "view lines name the members by -name")
	ps[2].Kill()
	<-ps[2].Done()
	waitViews(t, ps[:2], 2)
	for _, p := range ps[:2] {
		_, members := lastView(p.Lines())
		require.ElementsMatch(t, []string{"p0", "p1"}, members, "the crashed member is gone from the view line")
	}
	require.NoError(t, ps[1].Send("after the crash"))
	for _, p := range ps[:2] {
		require.NoError(t, p.WaitFor(10*time.Second, "after", func(l []string) bool { return contains(l, "p1: after the crash") }))
	}

	ps[2] = proctest.Start(t, "chat2-restarted", bin, append(args, "-name", "p2")...)
	waitViews(t, ps, 3)
	require.NoError(t, ps[2].Send("back again"))
	for _, p := range ps {
		require.NoError(t, p.WaitFor(10*time.Second, "back", func(l []string) bool { return contains(l, "p2: back again") }))
	}
}

func TestChatLeavesOnEOF(t *testing.T) {
	bin := proctest.Build(t, "./examples/chat")
	args := chatArgs(t)
	a := proctest.Start(t, "a", bin, args...)
	b := proctest.Start(t, "b", bin, args...)
	waitViews(t, []*proctest.Proc{a, b}, 2)
	require.NoError(t, b.Send("bye"))
	require.NoError(t, b.CloseStdin())
	select {
	case <-b.Done():
		require.Equal(t, 0, b.ExitCode())
	case <-time.After(20 * time.Second):
		t.Fatal("chat did not exit after end of input")
	}
	require.NoError(t, a.WaitFor(10*time.Second, "bye", func(l []string) bool { return len(casts(l)) == 1 && strings.HasSuffix(casts(l)[0], ": bye") }))
	waitViews(t, []*proctest.Proc{a}, 1)
}

func TestChatRejectsBadFlags(t *testing.T) {
	var out, errOut strings.Builder
	err := run([]string{"-properties", "Gmp:Bogus"}, strings.NewReader(""), &out, &errOut)
	require.ErrorContains(t, err, `"Bogus"`)
	err = run([]string{"-suspect", "10ms"}, strings.NewReader(""), &out, &errOut)
	require.ErrorContains(t, err, "too short")
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
