// Package stream holds the value types of a channel's log that every layer
// shares: the stream ID, the ID requested for a new entry, and an entry
// read. They are plain values, as time.Time is: wal stores them, broker
// returns them, fronts format them, and none converts them on the way (wal
// and broker name them through aliases). It is a leaf: it imports nothing
// of rewind's, and every package may use it.
package stream

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

// Entry is one stored message. Fields alternate name and value. An Entry
// passed to a callback, and its Fields, are valid only during that call.
type Entry struct {
	ID     ID
	Fields [][]byte
	// Incarnation is the incarnation of the channel read (Range sets it).
	Incarnation uint64
}
