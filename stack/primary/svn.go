package primary

import "fmt"

// SVN is a state version number (§4.4.1): the number of the last primary
// view a member was in and how many casts it delivered in that view.
// Members with equal SVNs have equal states (State Consistency); a larger
// SVN (compared lexicographically) is a more advanced state.
type SVN struct {
	Primary uint64 // number of the last primary view (0: none yet)
	Count   uint64 // casts delivered in it
}

// Less reports whether s is older than o.
func (s SVN) Less(o SVN) bool {
	if s.Primary != o.Primary {
		return s.Primary < o.Primary
	}
	return s.Count < o.Count
}

// String renders the SVN as "(primary,count)".
func (s SVN) String() string { return fmt.Sprintf("(%d,%d)", s.Primary, s.Count) }
