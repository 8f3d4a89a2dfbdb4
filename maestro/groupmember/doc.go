// Package groupmember is the first level of Maestro's object-group
// hierarchy (§2.2): a group member that joins a named group, sends casts
// and point-to-point messages, and is told of membership changes.
//
// A user type embeds Callbacks (no-op defaults for every callback) and
// overrides what it needs:
//
//	type Chat struct {
//		groupmember.Callbacks
//	}
//
//	func (c *Chat) ReceiveCast(from groupmember.EndpID, msg *message.Message) { ... }
//
//	m, err := groupmember.New(groupmember.Options{Group: "chat"}, &Chat{})
//	err = m.Join(ctx)
//	err = m.Cast(message.New().PutString("hello"))
//
// The delivery guarantees are those of the properties string (see package
// stack/props); with the default, casts are reliable, totally ordered and
// view-atomic. Callbacks for one member are called on one goroutine, in
// delivery order, never concurrently; they must not block for long.
// Several members may live in one process, each with its own socket.
package groupmember
