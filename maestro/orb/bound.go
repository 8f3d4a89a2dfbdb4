package orb

import (
	"cmp"
	"fmt"
	"slices"
)

// bound is an object an ORB serves: its interface's repository id and the
// object itself (an ObjectAdaptor or RUObjectAdaptor).
type bound[T any] struct {
	typeID string
	obj    T
}

// bindObject binds key to orb in d and records obj in objects.
func bindObject[T any](d *Dispatcher, orb ORB, objects map[ObjectKey]*bound[T], key ObjectKey, b *bound[T]) error {
	if _, dup := objects[key]; dup {
		return fmt.Errorf("%w: %s", ErrAlreadyBound, key)
	}
	if err := d.Bind(key, orb); err != nil {
		return err
	}
	objects[key] = b
	return nil
}

// unbindObject forgets key in objects and d.
func unbindObject[T any](d *Dispatcher, objects map[ObjectKey]*bound[T], key ObjectKey) error {
	if _, ok := objects[key]; !ok {
		return fmt.Errorf("%w: %s", ErrNotBound, key)
	}
	delete(objects, key)
	return d.Unbind(key)
}

// isA reports whether b implements repoID: its own interface, or one its
// object says it derives from (Inheritor).
func (b *bound[T]) isA(repoID string) bool {
	if b == nil {
		return false
	}
	if b.typeID == repoID {
		return true
	}
	in, ok := any(b.obj).(Inheritor)
	return ok && in.IsA(repoID)
}

// objectRef names a bound object: its key and interface.
type objectRef struct {
	key    ObjectKey
	typeID string
}

// refsOf lists the objects in key order (the order an ORB publishes them
// and the RU ORB's state message holds them); the caller holds the lock
// that guards objects.
func refsOf[T any](objects map[ObjectKey]*bound[T]) []objectRef {
	refs := make([]objectRef, 0, len(objects))
	for k, b := range objects {
		refs = append(refs, objectRef{k, b.typeID})
	}
	slices.SortFunc(refs, func(a, b objectRef) int { return cmp.Compare(a.key.octets, b.key.octets) })
	return refs
}
