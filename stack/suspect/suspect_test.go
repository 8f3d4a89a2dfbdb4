package suspect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

func beat(inc, seq uint64) *stack.Event {
	var w wire.Writer
	w.Uint64(inc)
	w.Uvarint(seq)
	m := wire.NewMsg(w.B)
	m.PushByte(kindHeartbeat)
	return &stack.Event{Type: stack.ERecv, Peer: 1, Msg: m}
}

// A heartbeat keeps its sender alive only if it comes from the member's
// incarnation and is newer than the last: replayed heartbeats, or those of
// another incarnation, do not hold a silent member in the view.
func TestReplayedHeartbeatsKeepNobodyAlive(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(2)})
	cfg := h.Env.Config
	inc := h.Env.View.Members[1].Inc
	h.Up(beat(inc, 1))
	h.Up(beat(inc, 2))
	suspected := func() bool { return len(layertest.Of(h.TakeUps(), stack.ESuspect)) > 0 }
	for d := time.Duration(0); d < 3*cfg.SuspectTimeout; d += cfg.Tick {
		h.Advance(cfg.Tick)
		h.Up(beat(inc, 2))     // a replay
		h.Up(beat(inc, 1))     // an older one
		h.Up(beat(inc+1, 100)) // another incarnation
		if suspected() {
			m := h.Env.Metrics.Snapshot()
			require.Positive(t, m.Drops["suspect-heartbeat-old"])
			require.Positive(t, m.Drops["suspect-heartbeat-incarnation"])
			return
		}
	}
	t.Fatal("a member heard only through replayed heartbeats was never suspected")
}

func TestFreshHeartbeatsKeepAMemberAlive(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(2)})
	cfg := h.Env.Config
	inc := h.Env.View.Members[1].Inc
	seq := uint64(0)
	for d := time.Duration(0); d < 3*cfg.SuspectTimeout; d += cfg.Tick {
		h.Advance(cfg.Tick)
		seq++
		h.Up(beat(inc, seq))
		require.Empty(t, layertest.Of(h.TakeUps(), stack.ESuspect))
	}
	// Its own heartbeats carry its incarnation and count up.
	var seqs []uint64
	for _, ev := range layertest.Of(h.Downs, stack.ECtrl) {
		kind, err := ev.Msg.PopByte()
		require.NoError(t, err)
		require.Equal(t, byte(kindHeartbeat), kind)
		r := wire.NewReader(ev.Msg.Bytes())
		require.Equal(t, h.Env.Me.Inc, r.Uint64())
		seqs = append(seqs, r.Uvarint())
	}
	require.NotEmpty(t, seqs)
	for i := range seqs {
		require.Equal(t, uint64(i+1), seqs[i])
	}
}
