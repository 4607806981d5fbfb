package resp

import (
	"bytes"
	"math"

	"github.com/rewind-mq/rewind/broker"
)

// Redis's stream ID grammar: the syntax of the IDs commands take, with
// Redis's parsing quirks (C strings, strtoull's signs and white space) and
// its error replies, from the catalog. cmd/rewind takes IDs in the same
// syntax (replay --from).

// ParseIDSpec parses the ID argument of XADD: "*", "<ms>-*", "<ms>" (which
// means <ms>-0, as in Redis) or "<ms>-<seq>".
func ParseIDSpec(b []byte) (broker.IDSpec, error) {
	if len(b) == 1 && b[0] == '*' {
		return broker.IDSpec{Auto: true}, nil
	}
	if c := cString(b); len(c) > 2 && len(b) <= maxIDArgBytes && c[len(c)-2] == '-' && c[len(c)-1] == '*' &&
		bytes.IndexByte(c[:len(c)-2], '-') < 0 {
		ms, ok := parseUint(c[:len(c)-2])
		if !ok {
			return broker.IDSpec{}, broker.ErrBadID
		}
		return broker.IDSpec{SeqAuto: true, ID: broker.ID{Ms: ms}}, nil
	}
	id, err := ParseID(b, 0)
	return broker.IDSpec{ID: id}, err
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
func ParseID(b []byte, missingSeq uint64) (broker.ID, error) {
	if len(b) > maxIDArgBytes {
		return broker.ID{}, broker.ErrBadID
	}
	b = cString(b)
	dash := bytes.IndexByte(b, '-')
	if dash < 0 {
		ms, ok := parseUint(b)
		if !ok {
			return broker.ID{}, broker.ErrBadID
		}
		return broker.ID{Ms: ms, Seq: missingSeq}, nil
	}
	ms, ok1 := parseUint(b[:dash])
	seq, ok2 := parseUint(b[dash+1:])
	if !ok1 || !ok2 {
		return broker.ID{}, broker.ErrBadID
	}
	return broker.ID{Ms: ms, Seq: seq}, nil
}

// ParseRangeID parses a range bound as XRANGE takes it: "-", "+", an ID with
// or without its sequence number, optionally prefixed by "(" for an exclusive
// bound. end selects the meaning of a missing sequence number and of the
// exclusive adjustment. Errors carry Redis's wording.
func ParseRangeID(b []byte, end bool) (broker.ID, error) {
	exclusive := len(b) > 1 && b[0] == '('
	if exclusive {
		b = b[1:]
	}
	var id broker.ID
	switch {
	case len(b) == 1 && (b[0] == '-' || b[0] == '+') && exclusive:
		return broker.ID{}, broker.ErrBadID // Redis parses an exclusive bound strictly
	case len(b) == 1 && b[0] == '-':
		return broker.ID{}, nil
	case len(b) == 1 && b[0] == '+':
		return broker.MaxID, nil
	default:
		var missing uint64
		if end {
			missing = math.MaxUint64
		}
		var err error
		if id, err = ParseID(b, missing); err != nil {
			return broker.ID{}, err
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
		return broker.ID{}, invalidIntervalErr(end)
	}
	return id, nil
}

func invalidIntervalErr(end bool) error {
	if end {
		return broker.ErrBadEndInterval
	}
	return broker.ErrBadStartInterval
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
