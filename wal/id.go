package wal

import (
	"bytes"
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
	if c := cString(b); len(c) > 2 && len(b) <= maxIDArgBytes && c[len(c)-2] == '-' && c[len(c)-1] == '*' &&
		bytes.IndexByte(c[:len(c)-2], '-') < 0 {
		ms, ok := parseUint(c[:len(c)-2])
		if !ok {
			return IDSpec{}, ErrInvalidID
		}
		return IDSpec{SeqAuto: true, ID: ID{Ms: ms}}, nil
	}
	id, err := ParseID(b, 0)
	return IDSpec{ID: id}, err
}

// maxIDArgBytes is the longest ID argument Redis parses (its buffer is 128
// bytes with the terminating NUL).
const maxIDArgBytes = 127

// cString returns b up to its first NUL byte: Redis parses IDs as C strings.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// ParseID parses "<ms>-<seq>" or "<ms>"; a missing sequence number is
// missingSeq (0 for a range start, math.MaxUint64 for a range end). It does not
// accept "-", "+", "$" or ">": callers handle those where they mean something.
// Like Redis, it reads the argument as a C string (up to a NUL byte) and
// splits it at the first '-'.
func ParseID(b []byte, missingSeq uint64) (ID, error) {
	if len(b) > maxIDArgBytes {
		return ID{}, ErrInvalidID
	}
	b = cString(b)
	dash := bytes.IndexByte(b, '-')
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
	exclusive := len(b) > 1 && b[0] == '('
	if exclusive {
		b = b[1:]
	}
	var id ID
	switch {
	case len(b) == 1 && (b[0] == '-' || b[0] == '+') && exclusive:
		return ID{}, ErrInvalidID // Redis parses an exclusive bound strictly
	case len(b) == 1 && b[0] == '-':
		return ID{}, nil
	case len(b) == 1 && b[0] == '+':
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

// parseUint parses a decimal uint64 exactly as Redis's string2ull does for
// IDs: a canonical integer (string2ll: no sign but '-', no leading zeros, no
// spaces) must not be negative; anything else must be accepted in full by
// C's strtoull: leading white space, an optional sign ('-' wraps around
// modulo 2^64, as in C), digits (leading zeros allowed), no overflow. So
// "+1", " 1" and "01" are 1, "-1" is invalid and "-01" is 2^64-1.
func parseUint(b []byte) (uint64, bool) {
	if len(b) > 1 && b[0] == '-' && b[1] >= '1' && b[1] <= '9' {
		// string2ll reads a canonical negative number, and string2ull
		// refuses it, unless it is below the int64 range.
		if mag, ok := parseDigits(b[1:]); ok && mag <= 1<<63 {
			return 0, false
		}
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || ('\t' <= b[i] && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	n, ok := parseDigits(b[i:])
	if !ok {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseDigits parses one or more decimal digits without overflow.
func parseDigits(b []byte) (uint64, bool) {
	if len(b) == 0 {
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
