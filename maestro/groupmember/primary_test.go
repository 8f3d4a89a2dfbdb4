package groupmember

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack/primary"
)

const primaryProps = "Gmp:Sync:Heal:Frag:Suspect:Flow:Total:Primary:Safe"

// replica applies the casts it delivers to a history and, when the
// Primary layer says it is stale, fetches the history of an up-to-date
// member (Send works in any view) and reports it with UpToDate.
type replica struct {
	Callbacks
	m       *Member
	mu      sync.Mutex
	hist    []string
	views   []*ViewData
	zombied bool // listed among the zombies in some view
}

func (r *replica) AcceptedView(v *ViewData, _ *message.Message) {
	r.mu.Lock()
	r.views = append(r.views, v)
	r.zombied = r.zombied || slices.Contains(v.Zombies, v.Me)
	r.mu.Unlock()
	if v.IsStale() && len(v.UpToDate) > 0 {
		_ = r.m.Send(v.UpToDate[0], message.New().PutString("state?").PutString(v.ID))
	}
}

func (r *replica) ReceiveCast(_ EndpID, msg *message.Message) {
	r.mu.Lock()
	r.hist = append(r.hist, msg.GetString())
	r.mu.Unlock()
}

func (r *replica) ReceiveSend(from EndpID, msg *message.Message) {
	switch msg.GetString() {
	case "state?":
		r.mu.Lock()
		reply := message.New().PutString("state!").PutString(msg.GetString()).PutInt(len(r.hist))
		for _, h := range r.hist {
			reply.PutString(h)
		}
		r.mu.Unlock()
		_ = r.m.Send(from, reply)
	case "state!":
		view := msg.GetString()
		n := msg.GetInt()
		hist := make([]string, n)
		for i := range hist {
			hist[i] = msg.GetString()
		}
		if v := r.m.View(); msg.Err() != nil || v == nil || v.ID != view || !v.IsStale() {
			return
		}
		r.mu.Lock()
		r.hist = hist
		r.mu.Unlock()
		_ = r.m.UpToDate()
	}
}

func (r *replica) history() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.hist)
}

func primaryOptions(t *testing.T, replicas int) Options {
	o := testOptions(t)
	o.Properties = primaryProps
	o.Replicas = replicas
	return o
}

// startReplica joins a replica whose stable storage is dir.
func startReplica(t *testing.T, o Options, dir string) *replica {
	t.Helper()
	o.StateDir = dir
	r := &replica{}
	m, err := New(o, r)
	require.NoError(t, err)
	r.m = m
	require.NoError(t, m.Join(context.Background()))
	t.Cleanup(func() { m.Close() })
	return r
}

// waitPrimary waits until the replicas share one primary view of n members.
func waitPrimary(t *testing.T, rs []*replica, n int) *ViewData {
	t.Helper()
	var last *ViewData
	require.Eventually(t, func() bool {
		for _, r := range rs {
			v := r.m.View()
			if v == nil || !v.Primary || len(v.Members) != n || (last != nil && v.ID != last.ID) {
				last = nil
				return false
			}
			last = v
		}
		return true
	}, 30*time.Second, 10*time.Millisecond, "no primary view of %d members", n)
	return last
}

func castAll(t *testing.T, rs []*replica, tag string, k int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, r := range rs {
		for j := 0; j < k; j++ {
			require.NoError(t, r.m.CastWait(ctx, message.New().PutString(fmt.Sprintf("%s-%d-%d", tag, i, j))))
		}
	}
}

func waitSameHistory(t *testing.T, rs []*replica, atLeast int) []string {
	t.Helper()
	var h []string
	require.Eventually(t, func() bool {
		h = rs[0].history()
		if len(h) < atLeast {
			return false
		}
		for _, r := range rs[1:] {
			if !slices.Equal(r.history(), h) {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "replicas did not reach the same history of %d updates", atLeast)
	return h
}

// A majority stays primary when a replica crashes; the replica restarts
// from its state directory as a zombie, receives the state and makes the
// group whole again, with every update everywhere.
func TestPrimaryCrashAndZombieRestart(t *testing.T) {
	o := primaryOptions(t, 3)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	rs := []*replica{startReplica(t, o, dirs[0]), startReplica(t, o, dirs[1]), startReplica(t, o, dirs[2])}
	waitPrimary(t, rs, 3)
	castAll(t, rs, "a", 10)
	waitSameHistory(t, rs, 30)

	require.NoError(t, rs[2].m.Close()) // a crash, to the others
	waitPrimary(t, rs[:2], 2)
	castAll(t, rs[:2], "b", 10)
	waitSameHistory(t, rs[:2], 50)

	back := startReplica(t, o, dirs[2])
	rs[2] = back
	v := waitPrimary(t, rs, 3)
	h := waitSameHistory(t, rs, 50)
	require.Len(t, h, 50)
	back.mu.Lock()
	require.True(t, back.zombied, "a restarted replica is a zombie until it has the state")
	back.mu.Unlock()
	// The zombie did not count toward the majority of the view that made
	// it normal again.
	require.Equal(t, 2, v.Counted)
	require.Contains(t, v.Zombies, back.m.ID())
	castAll(t, rs, "c", 5)
	waitSameHistory(t, rs, 65)
}

// Outside a primary view Cast fails at once and CastWait waits.
func TestCastOutsidePrimaryView(t *testing.T) {
	o := primaryOptions(t, 3)
	first := startReplica(t, o, t.TempDir())
	require.Eventually(t, func() bool { return first.m.View() != nil }, 5*time.Second, 10*time.Millisecond)
	err := first.m.Cast(message.New().PutString("x"))
	require.True(t, errors.Is(err, ErrNotPrimary), "got %v", err)
	require.Contains(t, err.Error(), "needs 2 of the 3 replicas")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err = first.m.CastWait(ctx, message.New().PutString("x"))
	cancel()
	require.True(t, errors.Is(err, ErrNotPrimary) && errors.Is(err, context.DeadlineExceeded), "got %v", err)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- first.m.CastWait(ctx, message.New().PutString("waited"))
	}()
	second := startReplica(t, o, t.TempDir())
	require.NoError(t, <-done, "CastWait goes out once the view is primary")
	require.Equal(t, []string{"waited"}, waitSameHistory(t, []*replica{first, second}, 1))
}

func TestPrimaryOptionsAreChecked(t *testing.T) {
	o := testOptions(t)
	o.Properties = primaryProps
	_, err := New(o, nil)
	require.ErrorIs(t, err, ErrNoReplicas)
	o.Replicas = 3
	_, err = New(o, nil)
	require.ErrorIs(t, err, ErrNoStateDir)
	o.Observer = true
	_, err = New(o, nil)
	require.NoError(t, err, "an observer needs no state directory")

	// Two members on one state directory: the second cannot start.
	o = primaryOptions(t, 3)
	dir := filepath.Join(t.TempDir(), "state")
	startReplica(t, o, dir)
	o.StateDir = dir
	m, err := New(o, nil)
	require.NoError(t, err)
	require.ErrorIs(t, m.Join(context.Background()), primary.ErrStateDirInUse)
}

// A group configured with one replica is primary as soon as that replica
// is alone: it is a majority of one (orbbench found a lone replica that
// stayed non-primary for good).
func TestSingleReplicaIsPrimary(t *testing.T) {
	r := startReplica(t, primaryOptions(t, 1), t.TempDir())
	waitPrimary(t, []*replica{r}, 1)
	castAll(t, []*replica{r}, "alone", 3)
	waitSameHistory(t, []*replica{r}, 3)
}
