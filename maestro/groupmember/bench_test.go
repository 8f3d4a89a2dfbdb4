package groupmember

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/message"
)

// counter counts deliveries.
type counter struct {
	Callbacks
	n atomic.Int64
}

func (c *counter) ReceiveCast(EndpID, *message.Message) { c.n.Add(1) }

// benchCast measures cast throughput among 3 members in one process over
// UDP loopback: one member casts b.N messages of size bytes and the
// benchmark ends when every member has delivered them all.
func benchCast(b *testing.B, size int) {
	opts := testOptions(&testing.T{})
	opts.Group = b.Name()
	var ms []*Member
	var cs []*counter
	for i := 0; i < 3; i++ {
		c := &counter{}
		m, err := New(opts, c)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Join(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		ms, cs = append(ms, m), append(cs, c)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		v0 := ms[0].View()
		if v0 != nil && len(v0.Members) == 3 && ms[1].View().ID == v0.ID && ms[2].View().ID == v0.ID {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no group")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sender := ms[0]
	for _, m := range ms {
		if m.ID() == m.View().Coordinator {
			sender = m
		}
	}
	payload := message.FromBytes(make([]byte, size))
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := sender.Cast(payload); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range cs {
		for c.n.Load() < int64(b.N) {
			if time.Now().After(deadline.Add(time.Minute)) {
				b.Fatal("deliveries missing")
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	var retrans uint64
	for _, m := range ms {
		retrans += m.Metrics().Retransmissions
	}
	b.ReportMetric(float64(retrans)/float64(b.N), "retrans/msg")
}

func BenchmarkCast16B(b *testing.B)   { benchCast(b, 16) }
func BenchmarkCast1KiB(b *testing.B)  { benchCast(b, 1024) }
func BenchmarkCast64KiB(b *testing.B) { benchCast(b, 65536) }
