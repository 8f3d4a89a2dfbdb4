package groupmember

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// recorder is a Handler that records what it is told.
type recorder struct {
	Callbacks
	mu     sync.Mutex
	views  []*ViewData
	casts  []string
	sends  []string
	aborts int
	exited chan struct{}
}

func newRecorder() *recorder { return &recorder{exited: make(chan struct{})} }

func (r *recorder) AcceptedView(v *ViewData, _ *message.Message) {
	r.mu.Lock()
	r.views = append(r.views, v)
	r.mu.Unlock()
}

func (r *recorder) ReceiveCast(from EndpID, msg *message.Message) {
	s := msg.GetString()
	r.mu.Lock()
	r.casts = append(r.casts, string(from)+":"+s)
	r.mu.Unlock()
}

func (r *recorder) ReceiveSend(from EndpID, msg *message.Message) {
	r.mu.Lock()
	r.sends = append(r.sends, string(from)+":"+msg.GetString())
	r.mu.Unlock()
}

func (r *recorder) AbortCast(EndpID, *message.Message) {
	r.mu.Lock()
	r.aborts++
	r.mu.Unlock()
}

func (r *recorder) Exit() { close(r.exited) }

func (r *recorder) castCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.casts)
}

func (r *recorder) castList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.casts...)
}

// waitForCasts waits until every recorder has delivered at least n casts.
func waitForCasts(t *testing.T, rs []*recorder, n int, timeout time.Duration, msgAndArgs ...any) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, r := range rs {
			if r.castCount() < n {
				return false
			}
		}
		return true
	}, timeout, 10*time.Millisecond, msgAndArgs...)
}

// sameCasts returns the casts every recorder delivered, failing unless
// they all delivered the same sequence.
func sameCasts(t *testing.T, rs []*recorder) []string {
	t.Helper()
	first := rs[0].castList()
	for _, r := range rs[1:] {
		require.Equal(t, first, r.castList(), "members delivered different sequences")
	}
	return first
}

// castFromEach makes every member cast per messages at once, each from
// its own goroutine, the k-th of member i holding text(i, k); it returns
// once all are cast.
func castFromEach(t *testing.T, ms []*Member, per int, text func(i, k int) string) {
	t.Helper()
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < per; k++ {
				require.NoError(t, m.Cast(message.New().PutString(text(i, k))))
			}
		}()
	}
	wg.Wait()
}

// testOptions returns options for a group of its own on a port range of
// its own, with timings short enough for tests.
func testOptions(t *testing.T) Options {
	base := 30000 + rand.IntN(1500)*16
	return Options{
		Group:     fmt.Sprintf("%s-%d", t.Name(), base),
		PortBase:  base,
		PortCount: 8,
		Stack: stack.Config{
			Heartbeat: 50 * time.Millisecond, SuspectTimeout: 600 * time.Millisecond,
			Gossip: 100 * time.Millisecond, FlushTimeout: time.Second,
		},
	}
}

func join(t *testing.T, opts Options, n int) ([]*Member, []*recorder) {
	t.Helper()
	var ms []*Member
	var rs []*recorder
	for i := 0; i < n; i++ {
		r := newRecorder()
		m, err := New(opts, r)
		require.NoError(t, err)
		require.NoError(t, m.Join(context.Background()))
		t.Cleanup(func() { m.Close() })
		ms, rs = append(ms, m), append(rs, r)
	}
	return ms, rs
}

// waitView waits until every member's view has exactly want members.
func waitView(t *testing.T, ms []*Member, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var id string
		for _, m := range ms {
			v := m.View()
			if v == nil || len(v.Members) != want || (id != "" && v.ID != id) {
				return false
			}
			id = v.ID
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "members did not converge to one %d-member view", want)
}

func TestMembersMergeAndTotallyOrderCasts(t *testing.T) {
	ms, rs := join(t, testOptions(t), 3)
	waitView(t, ms, 3)
	const per = 200
	castFromEach(t, ms, per, func(i, k int) string { return fmt.Sprintf("m%d-%d", i, k) })
	waitForCasts(t, rs, 3*per, 20*time.Second)
	sameCasts(t, rs)
	v := ms[0].View()
	require.Equal(t, v.Members[0], v.Coordinator)
	require.Len(t, v.Members, 3)
}

func TestSendIsPointToPoint(t *testing.T) {
	ms, rs := join(t, testOptions(t), 3)
	waitView(t, ms, 3)
	require.NoError(t, ms[0].Send(ms[2].ID(), message.New().PutString("psst")))
	require.Eventually(t, func() bool {
		rs[2].mu.Lock()
		defer rs[2].mu.Unlock()
		return len(rs[2].sends) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, string(ms[0].ID())+":psst", rs[2].sends[0])
	rs[1].mu.Lock()
	require.Empty(t, rs[1].sends)
	rs[1].mu.Unlock()
	err := ms[0].Send("127.0.0.1:1/1", message.New())
	require.ErrorIs(t, err, ErrNotMember)
}

func TestLeaveAndCrash(t *testing.T) {
	ms, rs := join(t, testOptions(t), 3)
	waitView(t, ms, 3)
	leaver := ms[2].ID()
	require.NoError(t, ms[2].Leave(context.Background()))
	select {
	case <-rs[2].exited:
	default:
		t.Fatal("Leave returned before Exit")
	}
	waitView(t, ms[:2], 2)
	require.Contains(t, ms[0].View().Departed, leaver)
	require.ErrorIs(t, ms[2].Cast(message.New()), ErrNotJoined)

	crashed := ms[1].ID()
	require.NoError(t, ms[1].Close())
	waitView(t, ms[:1], 1)
	require.Contains(t, ms[0].View().Departed, crashed)

	// The member that left can join again, as a new incarnation.
	require.NoError(t, ms[2].Join(context.Background()))
	require.NotEqual(t, leaver, ms[2].ID())
	waitView(t, []*Member{ms[0], ms[2]}, 2)
}

func TestSuspectDowncallExcludes(t *testing.T) {
	ms, _ := join(t, testOptions(t), 3)
	waitView(t, ms, 3)
	victim := ms[1].ID()
	require.NoError(t, ms[0].Suspect(victim))
	require.Eventually(t, func() bool {
		v := ms[0].View()
		return v != nil && !v.Contains(victim)
	}, 10*time.Second, 10*time.Millisecond)
	// Still alive, the victim merges back.
	waitView(t, ms, 3)
}

type viewMsgHandler struct {
	recorder
	got chan string
}

func (h *viewMsgHandler) ViewMsg(next *ViewData) *message.Message {
	return message.New().PutString(fmt.Sprintf("welcome to %d members", len(next.Members)))
}

func (h *viewMsgHandler) AcceptedView(v *ViewData, msg *message.Message) {
	if msg.Len() > 0 {
		h.got <- msg.GetString()
	}
}

func TestViewMessageReachesMembers(t *testing.T) {
	opts := testOptions(t)
	var ms []*Member
	var hs []*viewMsgHandler
	for i := 0; i < 2; i++ {
		h := &viewMsgHandler{got: make(chan string, 16)}
		m, err := New(opts, h)
		require.NoError(t, err)
		require.NoError(t, m.Join(context.Background()))
		t.Cleanup(func() { m.Close() })
		ms, hs = append(ms, m), append(hs, h)
	}
	waitView(t, ms, 2)
	for _, h := range hs {
		select {
		case s := <-h.got:
			require.Equal(t, "welcome to 2 members", s)
		case <-time.After(10 * time.Second):
			t.Fatal("no view message")
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	_, err := New(Options{}, nil)
	require.ErrorIs(t, err, ErrNoGroup)
	_, err = New(Options{Group: "g", Properties: "Gmp:Sync:Totl"}, nil)
	require.ErrorContains(t, err, `"Totl"`)
	_, err = New(Options{Group: "g", Properties: "Sync:Total"}, nil)
	require.ErrorContains(t, err, "Gmp")
	_, err = New(Options{Group: "g", Stack: stack.Config{Heartbeat: time.Second, SuspectTimeout: time.Millisecond}}, nil)
	require.Error(t, err)
	m, err := New(Options{Group: "g"}, nil)
	require.NoError(t, err)
	require.ErrorIs(t, m.Cast(message.New()), ErrNotJoined)
}

func TestLoadOptionsYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "member.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
group: orders
properties: Gmp:Sync:Heal:Frag:Suspect:Total
listen: 0.0.0.0:7400
seeds: [10.0.0.2:7400, 10.0.0.3:7400]
stack:
  suspect_timeout: 3s
  heartbeat: 250ms
  flow_window: 512
`), 0o644))
	o, err := LoadOptions(path)
	require.NoError(t, err)
	require.Equal(t, "orders", o.Group)
	require.Equal(t, []string{"10.0.0.2:7400", "10.0.0.3:7400"}, o.Seeds)
	require.Equal(t, 3*time.Second, o.Stack.SuspectTimeout)
	require.Equal(t, 250*time.Millisecond, o.Stack.Heartbeat)
	require.Equal(t, 512, o.Stack.FlowWindow)
	_, err = o.validate()
	require.NoError(t, err)
}

// TestLoadOptionsRejectsUnknownKeys: a misspelt option is an error naming
// its line, never a silent default.
func TestLoadOptionsRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "member.yaml")
	require.NoError(t, os.WriteFile(path, []byte("group: orders\nstack:\n  suspect_timout: 3s\n"), 0o644))
	_, err := LoadOptions(path)
	require.ErrorContains(t, err, "line 3: field suspect_timout not found")
	require.ErrorContains(t, err, path)
}
