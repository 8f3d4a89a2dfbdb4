package iiop

import (
	"fmt"
	"strings"
)

// CompletionStatus says whether an operation ran before a system exception.
type CompletionStatus uint32

// Completion statuses, in wire order.
const (
	CompletedYes CompletionStatus = iota
	CompletedNo
	CompletedMaybe
)

// String returns the IDL name of the status.
func (c CompletionStatus) String() string {
	switch c {
	case CompletedYes:
		return "COMPLETED_YES"
	case CompletedNo:
		return "COMPLETED_NO"
	case CompletedMaybe:
		return "COMPLETED_MAYBE"
	}
	return fmt.Sprintf("COMPLETED_%d", uint32(c))
}

// OMGMinorBase is the vendor minor code set id assigned to the OMG; standard
// minor codes are OMGMinorBase|n.
const OMGMinorBase uint32 = 0x4f4d0000

// Names of the CORBA system exceptions this module raises.
const (
	ExcUnknown        = "UNKNOWN"
	ExcBadParam       = "BAD_PARAM"
	ExcNoMemory       = "NO_MEMORY"
	ExcMarshal        = "MARSHAL"
	ExcBadOperation   = "BAD_OPERATION"
	ExcNoImplement    = "NO_IMPLEMENT"
	ExcInvObjref      = "INV_OBJREF"
	ExcObjectNotExist = "OBJECT_NOT_EXIST"
	ExcTransient      = "TRANSIENT"
	ExcCommFailure    = "COMM_FAILURE"
	ExcInternal       = "INTERNAL"
	ExcDataConversion = "DATA_CONVERSION"
)

// SystemException is a CORBA system exception: the body of a reply with
// status SystemExceptionReply, and an error on the client side.
type SystemException struct {
	RepoID    string // e.g. "IDL:omg.org/CORBA/BAD_OPERATION:1.0"
	Minor     uint32
	Completed CompletionStatus
}

// NewSystemException builds the standard exception called name (e.g.
// ExcBadOperation).
func NewSystemException(name string, minor uint32, completed CompletionStatus) *SystemException {
	return &SystemException{RepoID: "IDL:omg.org/CORBA/" + name + ":1.0", Minor: minor, Completed: completed}
}

// Name returns the short name ("BAD_OPERATION") of a standard exception, or
// the repository id otherwise.
func (s *SystemException) Name() string {
	n := strings.TrimPrefix(s.RepoID, "IDL:omg.org/CORBA/")
	if n == s.RepoID {
		return s.RepoID
	}
	return strings.TrimSuffix(n, ":1.0")
}

// Error formats the exception like omniORB does.
func (s *SystemException) Error() string {
	return fmt.Sprintf("CORBA::%s (minor %#x, %s)", s.Name(), s.Minor, s.Completed)
}

// Is makes errors.Is match two system exceptions with the same repository id.
func (s *SystemException) Is(target error) bool {
	t, ok := target.(*SystemException)
	return ok && t.RepoID == s.RepoID
}

// Encode writes the exception body: repository id, minor, completion status.
func (s *SystemException) Encode(e *Encoder) {
	e.WriteString(s.RepoID)
	e.WriteULong(s.Minor)
	e.WriteULong(uint32(s.Completed))
}

// DecodeSystemException reads a system exception body.
func DecodeSystemException(d *Decoder) (*SystemException, error) {
	s := &SystemException{RepoID: d.ReadString(), Minor: d.ReadULong()}
	s.Completed = CompletionStatus(d.ReadEnum(3))
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("decoding system exception: %w", err)
	}
	return s, nil
}
