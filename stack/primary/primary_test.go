package primary

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

var members5 = layertest.Members(5)

func id(i int) stack.EndpID { return members5[i].ID() }

// prop builds a proposal of members[idx...] coming from one view, each
// with the given report.
func prop(number uint64, replicas int, rs map[int]report, idx ...int) proposal {
	p := proposal{prevs: map[stack.Endpoint]stack.ViewID{}, reports: map[stack.EndpID]report{}, number: number, replicas: replicas}
	for _, i := range idx {
		p.members = append(p.members, members5[i])
		p.prevs[members5[i]] = stack.ViewID{Ltime: 7, Coord: members5[idx[0]]}
		if r, ok := rs[i]; ok {
			p.reports[id(i)] = r
		}
	}
	return p
}

func voter(svn SVN, promise uint64) report {
	return report{view: 1, voter: true, svn: svn, promise: promise, ppsn: promise}
}

func TestMajorityWithEqualStatesIsPrimary(t *testing.T) {
	s := SVN{Primary: 3, Count: 10}
	v := decide(prop(9, 5, map[int]report{0: voter(s, 9), 1: voter(s, 9), 2: voter(s, 9)}, 0, 1, 2))
	require.True(t, v.Primary, v.Reason)
	require.Equal(t, uint64(9), v.Number)
	require.Equal(t, SVN{Primary: 9}, v.SVN, "a new primary view starts counting from zero")
	require.Equal(t, 3, v.Counted)
	require.Empty(t, v.Stale)
}

func TestMinorityIsNotPrimary(t *testing.T) {
	s := SVN{Primary: 3, Count: 10}
	v := decide(prop(9, 5, map[int]report{0: voter(s, 9), 1: voter(s, 9)}, 0, 1))
	require.False(t, v.Primary)
	require.Contains(t, v.Reason, "needs 3 of the 5")
}

// Fig 4.17: zombies do not count toward the majority.
func TestZombiesDoNotCount(t *testing.T) {
	s := SVN{}
	z := voter(s, 9)
	z.zombie = true
	v := decide(prop(9, 5, map[int]report{0: voter(s, 9), 1: voter(s, 9), 2: z}, 0, 1, 2))
	require.False(t, v.Primary)
	require.Equal(t, 2, v.Counted)
	require.Equal(t, []stack.EndpID{id(2)}, v.Zombies)
}

// Observers neither count nor are stale.
func TestObserversNeitherCountNorAreStale(t *testing.T) {
	s := SVN{Primary: 2, Count: 4}
	o := report{view: 1, svn: SVN{}, promise: 9}
	v := decide(prop(9, 3, map[int]report{0: voter(s, 9), 1: voter(s, 9), 2: o}, 0, 1, 2))
	require.True(t, v.Primary, v.Reason)
	require.Equal(t, 2, v.Counted)
	require.Equal(t, []stack.EndpID{id(0), id(1)}, v.UpToDate)
}

// Fig 4.10: different states make the view non-primary and say who is
// up to date and who is stale.
func TestDifferentStatesNameTheTransfer(t *testing.T) {
	old, cur := SVN{Primary: 2, Count: 7}, SVN{Primary: 4, Count: 1}
	v := decide(prop(9, 5, map[int]report{0: voter(old, 9), 1: voter(cur, 9), 2: voter(cur, 9), 3: voter(old, 9)}, 0, 1, 2, 3))
	require.False(t, v.Primary)
	require.Equal(t, cur, v.SVN)
	require.Equal(t, []stack.EndpID{id(1), id(2)}, v.UpToDate)
	require.Equal(t, []stack.EndpID{id(0), id(3)}, v.Stale)
}

// A component leaving a primary view ends with what its best-informed
// member predicted (the sequencer's final order).
func TestEndOfViewDeliveriesCount(t *testing.T) {
	seq, other := voter(SVN{Primary: 4, Count: 9}, 9), voter(SVN{Primary: 4, Count: 6}, 9)
	seq.inPrimary, other.inPrimary = true, true
	v := decide(prop(9, 5, map[int]report{0: seq, 1: other, 2: other}, 0, 1, 2))
	require.True(t, v.Primary, v.Reason)
	// Merged with a member that has (4,7): it is stale, not the component.
	p := prop(9, 5, map[int]report{0: seq, 1: other, 2: voter(SVN{Primary: 4, Count: 7}, 9)}, 0, 1, 2)
	p.reports[id(2)] = report{view: 2, voter: true, svn: SVN{Primary: 4, Count: 7}, promise: 9}
	p.prevs[members5[2]] = stack.ViewID{Ltime: 6, Coord: members5[2]}
	v = decide(p)
	require.False(t, v.Primary)
	require.Equal(t, SVN{Primary: 4, Count: 9}, v.SVN)
	require.Equal(t, []stack.EndpID{id(2)}, v.Stale)
}

func TestMergeAndBrokenPromisesAndVetoAreNotPrimary(t *testing.T) {
	s := SVN{Primary: 1, Count: 1}
	p := prop(9, 3, map[int]report{0: voter(s, 9), 1: voter(s, 9)}, 0, 1)
	p.prevs[members5[1]] = stack.ViewID{Ltime: 5, Coord: members5[1]}
	require.Contains(t, decide(p).Reason, "merged")

	v := decide(prop(9, 3, map[int]report{0: voter(s, 9), 1: voter(s, 8)}, 0, 1))
	require.Contains(t, v.Reason, "promised")

	p = prop(9, 3, map[int]report{0: voter(s, 9), 1: voter(s, 9)}, 0, 1)
	p.veto = "members hold different messages"
	require.Equal(t, "members hold different messages", decide(p).Reason)

	v = decide(prop(9, 3, map[int]report{0: voter(s, 9), 1: voter(s, 9), 2: voter(s, 9), 3: voter(s, 9)}, 0, 1, 2, 3))
	require.Contains(t, v.Reason, "only 3 are configured")
}

func TestViewInfoRoundTrip(t *testing.T) {
	in := ViewInfo{Primary: true, Number: 12, PPSN: 13, SVN: SVN{Primary: 12}, UpToDate: []stack.EndpID{id(0)}, Stale: []stack.EndpID{id(1)}, Zombies: []stack.EndpID{id(2)}, Replicas: 5, Counted: 3, Reason: "x"}
	out, ok := Info(stack.Annotations{annKey: in.encode()})
	require.True(t, ok)
	require.Equal(t, in, out)
	_, ok = Info(stack.Annotations{annKey: []byte{1, 2}})
	require.False(t, ok)
}

// newLayer builds the layer of a view with the given verdict.
func newLayer(p *Protocol, info *ViewInfo, rank int) *layertest.Harness {
	o := layertest.Options{Members: layertest.Members(3), Rank: rank}
	if info != nil {
		o.ViewAnn = stack.Annotations{annKey: info.encode()}
	}
	h := layertest.New(p, o)
	h.Start()
	return h
}

func TestNonPrimaryViewHoldsAndDropsCasts(t *testing.T) {
	p := New(Options{Replicas: 3})
	h := newLayer(p, nil, 1)
	require.Len(t, layertest.Of(h.TakeUps(), stack.ECastHold), 1)
	h.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: wire.NewMsg([]byte("x"))})
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECast))
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: wire.NewMsg([]byte("y"))})
	require.Empty(t, layertest.Of(h.TakeUps(), stack.ECast), "no cast is delivered in a non-primary view")
	require.Equal(t, SVN{}, p.SVN())
}

func TestPrimaryViewCountsDeliveries(t *testing.T) {
	p := New(Options{Replicas: 3, Zombie: true})
	require.True(t, p.Zombie())
	h := newLayer(p, &ViewInfo{Primary: true, Number: 4, PPSN: 4, SVN: SVN{Primary: 4}, Replicas: 3, Counted: 2}, 1)
	require.Empty(t, layertest.Of(h.TakeUps(), stack.ECastHold))
	require.False(t, p.Zombie(), "a zombie in a primary view is normal again")
	for i := 0; i < 3; i++ {
		h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: wire.NewMsg([]byte("y"))})
	}
	require.Equal(t, SVN{Primary: 4, Count: 3}, p.SVN())
}

// The PPSN rule: a flush's number is promised only if it is larger than
// any promised before, and the report says so.
func TestPromiseRule(t *testing.T) {
	p := New(Options{Replicas: 3})
	h := newLayer(p, nil, 1)
	tag := stack.FlushTag{Coord: 0, Num: 1}
	h.Up(&stack.Event{Type: stack.EFlush, Control: &stack.Control{Flush: tag, Ann: stack.Annotations{annKey: encodeNumber(5)}}})
	require.Equal(t, uint64(5), p.PPSN())
	ann := stack.Annotations{}
	h.Up(&stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Flush: tag, Ann: ann}})
	r, ok := decodeReport(ann[reportKey(h.Env.Me.ID())])
	require.True(t, ok)
	require.Equal(t, uint64(5), r.promise)

	// Another coordinator's flush with the same number is not promised.
	tag2 := stack.FlushTag{Coord: 2, Num: 1}
	h.Up(&stack.Event{Type: stack.EFlush, Control: &stack.Control{Flush: tag2, Ann: stack.Annotations{annKey: encodeNumber(5)}}})
	ann = stack.Annotations{}
	h.Up(&stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Flush: tag2, Ann: ann}})
	r, _ = decodeReport(ann[reportKey(h.Env.Me.ID())])
	require.Zero(t, r.promise)
}

// A coordinator's flushes carry its PPSN + 1, so a restarted flush carries
// a larger number than the first.
func TestCoordinatorNumbersFlushes(t *testing.T) {
	p := New(Options{Replicas: 3})
	p.ppsn = 7
	h := newLayer(p, nil, 0)
	for i, want := range []uint64{8, 9} {
		tag := stack.FlushTag{Coord: 0, Num: uint64(i + 1)}
		q := &stack.Event{Type: stack.EFlushAnn, Control: &stack.Control{Flush: tag, Ann: stack.Annotations{}}}
		h.Up(q)
		n, ok := decodeNumber(q.Ann[annKey])
		require.True(t, ok)
		require.Equal(t, want, n)
		h.Up(&stack.Event{Type: stack.EFlush, Control: &stack.Control{Flush: tag, Ann: q.Ann}})
	}
}

// A stale member reports the state installed; the coordinator then
// reinstalls the view.
func TestStaleMembersThenReinstall(t *testing.T) {
	info := &ViewInfo{SVN: SVN{Primary: 3, Count: 5}, UpToDate: []stack.EndpID{layertest.Members(3)[0].ID()},
		Stale: []stack.EndpID{layertest.Members(3)[1].ID()}, Replicas: 3, Counted: 2, Reason: "stale"}
	mp := New(Options{Replicas: 3})
	member := newLayer(mp, info, 1)
	coord := newLayer(New(Options{Replicas: 3}), info, 0)
	coord.Advance(time.Second)
	require.Empty(t, layertest.Of(coord.TakeDowns(), stack.EReconfigure), "no reinstall while a member is stale")

	member.Down(&stack.Event{Type: stack.EUpToDate})
	require.Equal(t, info.SVN, mp.SVN())
	downs := member.TakeDowns()
	ctrl := layertest.Of(downs, stack.ECtrl)
	require.Len(t, ctrl, 1)
	require.Equal(t, 0, ctrl[0].Peer)
	require.Len(t, layertest.Of(downs, stack.EUpToDate), 1, "lower layers hear of it too")

	coord.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: layertest.Wire(ctrl[0])})
	coord.Advance(time.Second)
	require.Len(t, layertest.Of(coord.TakeDowns(), stack.EReconfigure), 1)
	coord.Advance(time.Second)
	require.Empty(t, layertest.Of(coord.TakeDowns(), stack.EReconfigure), "asked once per view")
}

func TestReincarnationMark(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	zombie, unlock, err := Reincarnate(dir, "grid/1")
	require.NoError(t, err)
	require.False(t, zombie, "first start")
	_, _, err = Reincarnate(dir, "grid/1")
	require.True(t, errors.Is(err, ErrStateDirInUse), "one incarnation at a time: %v", err)
	unlock()
	zombie, unlock, err = Reincarnate(dir, "grid/1")
	require.NoError(t, err)
	require.True(t, zombie, "restart after a first start")
	unlock()
	b, err := os.ReadFile(MarkFile(dir, "grid/1"))
	require.NoError(t, err)
	require.Equal(t, markContent, string(b))

	// A replaced disk is marked before the replica starts on it.
	fresh := filepath.Join(t.TempDir(), "new-disk")
	require.NoError(t, SetMark(fresh, "grid/1"))
	zombie, unlock, err = Reincarnate(fresh, "grid/1")
	require.NoError(t, err)
	require.True(t, zombie)
	unlock()
}

// Nothing from the network crashes the layer: flush and view annotations
// and control messages of any content.
func FuzzPrimaryUp(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Add(ViewInfo{Primary: true, Number: 3, UpToDate: []stack.EndpID{"a/1"}}.encode())
	f.Add(report{view: 9, voter: true, svn: SVN{1, 2}}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Info(stack.Annotations{annKey: b})
		p := New(Options{Replicas: 3})
		h := layertest.New(p, layertest.Options{Members: layertest.Members(3), ViewAnn: stack.Annotations{annKey: b}})
		h.Start()
		h.Up(&stack.Event{Type: stack.EFlush, Control: &stack.Control{Ann: stack.Annotations{annKey: b}}})
		h.Up(&stack.Event{Type: stack.ECtrl, Peer: 2, Msg: wire.NewMsg(b)})
		ann := stack.Annotations{reportKey(layertest.Members(3)[1].ID()): b, annKey + "@x": b}
		v := stack.NewView(stack.ViewID{Ltime: 4, Coord: layertest.Members(3)[0]}, layertest.Members(3), layertest.Members(3)[0])
		h.Up(&stack.Event{Type: stack.EViewAnn, Control: &stack.Control{View: v, Ann: ann, ViewAnn: stack.Annotations{stack.UpToDateKey: b, stack.VetoPrimary: b}}})
	})
}

// The view a member starts in has no verdict. A group of one replica asks
// for a flush to decide it, since nobody else will come; a larger group
// waits for the others.
func TestLoneReplicaAsksForAVerdict(t *testing.T) {
	h := layertest.New(New(Options{Replicas: 1}), layertest.Options{Members: layertest.Members(1)})
	h.Start()
	h.Advance(time.Second)
	require.Len(t, layertest.Of(h.TakeDowns(), stack.EReconfigure), 1)

	h = layertest.New(New(Options{Replicas: 3}), layertest.Options{Members: layertest.Members(1)})
	h.Start()
	h.Advance(time.Second)
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.EReconfigure))

	h = layertest.New(New(Options{Replicas: 1, Zombie: true}), layertest.Options{Members: layertest.Members(1)})
	h.Start()
	h.Advance(time.Second)
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.EReconfigure), "a zombie alone is no majority")
}
