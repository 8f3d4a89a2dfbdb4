package groupmember

import (
	"context"
	"testing"
	"time"

	"github.com/maestro-go/maestro/maestro/message"
)

// acker acknowledges every cast with a point-to-point message to its
// sender, and passes acknowledgements it receives to a channel.
type acker struct {
	Callbacks
	m    *Member
	acks chan struct{}
}

func (a *acker) ReceiveCast(from EndpID, msg *message.Message) {
	if from != a.m.ID() {
		_ = a.m.Send(from, message.New())
	}
}

func (a *acker) ReceiveSend(EndpID, *message.Message) { a.acks <- struct{}{} }

// BenchmarkRoundTrip measures closed-loop latency among 3 members in one
// process over UDP loopback: a cast from the coordinator, acknowledged by
// the two others with point-to-point messages.
func BenchmarkRoundTrip(b *testing.B) {
	opts := testOptions(&testing.T{})
	opts.Group = b.Name()
	var ms []*Member
	var as []*acker
	for i := 0; i < 3; i++ {
		a := &acker{acks: make(chan struct{}, 16)}
		m, err := New(opts, a)
		if err != nil {
			b.Fatal(err)
		}
		a.m = m
		if err := m.Join(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		ms, as = append(ms, m), append(as, a)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := ms[0].View()
		if v != nil && len(v.Members) == 3 && ms[1].View().ID == v.ID && ms[2].View().ID == v.ID {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no group")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var sender *acker
	for i, m := range ms {
		if m.ID() == m.View().Coordinator {
			sender = as[i]
		}
	}
	msg := message.New().PutString("ping")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := sender.m.Cast(msg); err != nil {
			b.Fatal(err)
		}
		<-sender.acks
		<-sender.acks
	}
}
