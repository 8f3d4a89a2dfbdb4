package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
)

func has(errs []string, prefix string) bool {
	for _, e := range errs {
		if strings.Contains(e, prefix) {
			return true
		}
	}
	return false
}

// A running member's own cast must be delivered to it or aborted; casts of
// members that crashed or left are exempt.
func TestCheckerOwnDelivery(t *testing.T) {
	a := stack.Endpoint{Addr: "a", Inc: 1}
	b := stack.Endpoint{Addr: "b", Inc: 1}
	c := stack.Endpoint{Addr: "c", Inc: 1}
	v := stack.NewView(stack.ViewID{Ltime: 1, Coord: a}, []stack.Endpoint{a, b, c}, a)
	chk := NewChecker(true)
	for _, e := range []stack.Endpoint{a, b, c} {
		chk.View(e, v)
	}
	chk.Cast(a, MessageID(a, 1))
	chk.Cast(a, MessageID(a, 2))
	chk.Cast(a, MessageID(a, 3))
	chk.Deliver(a, v.ID, a, MessageID(a, 1))
	chk.Abort(a, MessageID(a, 2))
	chk.Cast(b, MessageID(b, 1))
	chk.Crash(b)
	chk.Cast(c, MessageID(c, 1))
	chk.Leave(c)
	errs := chk.Check()
	require.Len(t, errs, 1, "%v", errs)
	require.True(t, strings.HasPrefix(errs[0], "Own Delivery: "), errs[0])
	require.Contains(t, errs[0], MessageID(a, 3))
}

// Every violation names its property.
func TestCheckerNamesProperties(t *testing.T) {
	a := stack.Endpoint{Addr: "a", Inc: 1}
	b := stack.Endpoint{Addr: "b", Inc: 1}
	v1 := stack.NewView(stack.ViewID{Ltime: 1, Coord: a}, []stack.Endpoint{a, b}, a)
	v2 := stack.NewView(stack.ViewID{Ltime: 2, Coord: a}, []stack.Endpoint{a, b}, a)
	chk := NewChecker(true)
	chk.View(a, v1)
	chk.View(b, v1)
	chk.Cast(a, MessageID(a, 1))
	chk.Cast(a, MessageID(a, 2))
	chk.Deliver(a, v1.ID, a, MessageID(a, 2))
	chk.Deliver(a, v1.ID, a, MessageID(a, 1))
	chk.Deliver(a, v1.ID, a, MessageID(a, 1))
	chk.Deliver(b, v1.ID, a, "ghost")
	chk.Abort(a, MessageID(a, 2))
	chk.View(a, v2)
	chk.View(b, v2)
	a2 := stack.Endpoint{Addr: "a", Inc: 2}
	chk.View(b, stack.NewView(stack.ViewID{Ltime: 3, Coord: a}, []stack.Endpoint{a, b, a2}, b))
	chk.Send(a, b, "a>b#1")
	chk.Send(a, b, "a>b#2")
	chk.Receive(b, a, "a>b#2")
	chk.Receive(b, a, "a>b#1")
	chk.Receive(b, a, "a>b#1")
	chk.Receive(a, a, "a>b#2")
	errs := chk.Check()
	for _, p := range []string{"No Duplication:", "Integrity:", "Abort:", "FIFO:", "View Atomic Delivery:", "Strong Prefix:",
		"Point-to-point Integrity: message a>b#1 delivered twice", "FIFO: point-to-point a>b#1", "Point-to-point Integrity: message a>b#2 from", "Unique Addresses:"} {
		require.True(t, has(errs, p), "no %s violation in %v", p, errs)
	}
}
