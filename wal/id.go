package wal

import (
	"math"
	"strconv"
)

// ID is a Redis stream ID: milliseconds and a sequence number. IDs order
// first by Ms, then by Seq. The zero ID (0-0) is never assigned to an entry.
type ID struct {
	Ms  uint64
	Seq uint64
}

// MaxID is the largest possible ID, what "+" means in a range.
var MaxID = ID{Ms: math.MaxUint64, Seq: math.MaxUint64}

// Less reports whether id orders before o.
func (id ID) Less(o ID) bool {
	return id.Ms < o.Ms || (id.Ms == o.Ms && id.Seq < o.Seq)
}

// Compare returns -1, 0 or +1 as id is less than, equal to or greater than o.
func (id ID) Compare(o ID) int {
	switch {
	case id.Less(o):
		return -1
	case o.Less(id):
		return 1
	}
	return 0
}

// IsZero reports whether id is 0-0.
func (id ID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Next returns the smallest ID greater than id, and false if id is MaxID.
func (id ID) Next() (ID, bool) {
	if id.Seq < math.MaxUint64 {
		return ID{id.Ms, id.Seq + 1}, true
	}
	if id.Ms < math.MaxUint64 {
		return ID{id.Ms + 1, 0}, true
	}
	return id, false
}

// Prev returns the largest ID smaller than id, and false if id is 0-0.
func (id ID) Prev() (ID, bool) {
	if id.Seq > 0 {
		return ID{id.Ms, id.Seq - 1}, true
	}
	if id.Ms > 0 {
		return ID{id.Ms - 1, math.MaxUint64}, true
	}
	return id, false
}

// String formats id as "<ms>-<seq>".
func (id ID) String() string { return string(id.Append(nil)) }

// Append appends the "<ms>-<seq>" form of id to dst.
func (id ID) Append(dst []byte) []byte {
	dst = strconv.AppendUint(dst, id.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, id.Seq, 10)
}

// IDSpec is the ID requested for a new entry: "*" (Auto), "<ms>-*" (SeqAuto
// with Ms set) or an explicit "<ms>-<seq>".
type IDSpec struct {
	Auto    bool
	SeqAuto bool
	ID      ID
}

// ParseIDSpec parses the ID argument of XADD: "*", "<ms>-*", "<ms>" (which
// means <ms>-0, as in Redis) or "<ms>-<seq>".
func ParseIDSpec(b []byte) (IDSpec, error) {
	if len(b) == 1 && b[0] == '*' {
		return IDSpec{Auto: true}, nil
	}
	if n := len(b); n > 2 && b[n-2] == '-' && b[n-1] == '*' {
		ms, ok := parseUint(b[:n-2])
		if !ok {
			return IDSpec{}, ErrInvalidID
		}
		return IDSpec{SeqAuto: true, ID: ID{Ms: ms}}, nil
	}
	id, err := ParseID(b, 0)
	return IDSpec{ID: id}, err
}

// ParseID parses "<ms>-<seq>" or "<ms>"; a missing sequence number is
// missingSeq (0 for a range start, math.MaxUint64 for a range end). It does not
// accept "-", "+", "$" or ">": callers handle those where they mean something.
func ParseID(b []byte, missingSeq uint64) (ID, error) {
	dash := -1
	for i, c := range b {
		if c == '-' {
			dash = i
			break
		}
	}
	if dash < 0 {
		ms, ok := parseUint(b)
		if !ok {
			return ID{}, ErrInvalidID
		}
		return ID{Ms: ms, Seq: missingSeq}, nil
	}
	ms, ok1 := parseUint(b[:dash])
	seq, ok2 := parseUint(b[dash+1:])
	if !ok1 || !ok2 {
		return ID{}, ErrInvalidID
	}
	return ID{Ms: ms, Seq: seq}, nil
}

// ParseRangeID parses a range bound as XRANGE takes it: "-", "+", an ID with
// or without its sequence number, optionally prefixed by "(" for an exclusive
// bound. end selects the meaning of a missing sequence number and of the
// exclusive adjustment. Errors carry Redis's wording.
func ParseRangeID(b []byte, end bool) (ID, error) {
	exclusive := len(b) > 0 && b[0] == '('
	if exclusive {
		b = b[1:]
	}
	var id ID
	switch {
	case len(b) == 1 && b[0] == '-':
		if exclusive {
			return ID{}, invalidIntervalErr(end)
		}
		return ID{}, nil
	case len(b) == 1 && b[0] == '+':
		if exclusive {
			return ID{}, invalidIntervalErr(end)
		}
		return MaxID, nil
	default:
		var missing uint64
		if end {
			missing = math.MaxUint64
		}
		var err error
		if id, err = ParseID(b, missing); err != nil {
			return ID{}, err
		}
	}
	if !exclusive {
		return id, nil
	}
	var ok bool
	if end {
		id, ok = id.Prev()
	} else {
		id, ok = id.Next()
	}
	if !ok {
		return ID{}, invalidIntervalErr(end)
	}
	return id, nil
}

func invalidIntervalErr(end bool) error {
	if end {
		return ErrInvalidEndInterval
	}
	return ErrInvalidStartInterval
}

// parseUint parses a decimal uint64 the way Redis's string2ull does for
// IDs: digits only, no sign, no spaces, no overflow.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
