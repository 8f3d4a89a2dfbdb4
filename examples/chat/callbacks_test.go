package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
)

// fakeMember records the casts a chat makes.
type fakeMember struct {
	id    groupmember.EndpID
	mu    sync.Mutex
	casts []string
}

func (f *fakeMember) ID() groupmember.EndpID { return f.id }

func (f *fakeMember) Cast(m *message.Message) error {
	name, text := m.GetString(), m.GetString()
	f.mu.Lock()
	f.casts = append(f.casts, name+": "+text)
	f.mu.Unlock()
	return nil
}

func (f *fakeMember) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.casts...)
}

func line(name, text string) *message.Message {
	return message.FromBytes(message.New().PutString(name).PutString(text).Bytes())
}

// TestAbortedLinesAreResentByTheirSenderOnly: a line a view change
// aborted is sent again by the member that typed it, which says so once
// on its own terminal; every other member prints nothing about it.
func TestAbortedLinesAreResentByTheirSenderOnly(t *testing.T) {
	var out, errOut strings.Builder
	me := &fakeMember{id: "127.0.0.1:1/1"}
	c := &chat{out: &out, errOut: &errOut, name: "alice", m: me, up: make(chan struct{})}

	c.AbortCast("127.0.0.1:2/2", line("bob", "lost in the crash"))
	require.Empty(t, out.String())
	require.Empty(t, errOut.String())

	c.AbortCast(me.id, line("alice", "hello"))
	require.Eventually(t, func() bool { return len(me.sent()) == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"alice: hello"}, me.sent())
	require.Empty(t, out.String(), "nothing about the abort on standard output")
	require.Equal(t, 1, strings.Count(errOut.String(), "sending it again"))
}

// TestViewLinesNameTheViewsMembers: the coordinator's view message maps
// member ids to names; a view line shows the names of that view's members
// only.
func TestViewLinesNameTheViewsMembers(t *testing.T) {
	a, b, gone := groupmember.EndpID("127.0.0.1:1/1"), groupmember.EndpID("127.0.0.1:2/2"), groupmember.EndpID("127.0.0.1:3/3")
	next := &groupmember.ViewData{ID: "7@" + string(a), Members: []groupmember.EndpID{a, b}, Coordinator: a, Me: a,
		Infos: map[groupmember.EndpID]*message.Message{a: line("alice", ""), b: line("bob", ""), gone: line("carol", "")}}
	var out strings.Builder
	coord := &chat{out: &out, name: "alice", up: make(chan struct{})}
	msg := message.FromBytes(coord.ViewMsg(next).Bytes())

	view := *next
	view.Me = b
	view.Departed = []groupmember.EndpID{gone}
	bob := &chat{out: &out, name: "bob", up: make(chan struct{})}
	bob.AcceptedView(&view, msg)
	require.Equal(t, "view 7@alice (2 members): alice bob\n", out.String())
}
