// Package respclient is the Redis protocol client of the rewind command:
// the CLI's publish, subscribe, replay and groups commands and the bench's
// load generators share it.
//
// A Conn appends commands to one reused buffer and writes them when told
// to (Flush), or when the buffer passes Options.FlushBytes, so a caller
// pipelines by writing several commands before one Flush. Replies are read
// by a Reader that parses RESP2 and RESP3 from its own buffer without
// copying: a Reply is a flat list of values in preorder whose strings are
// slices of that buffer, valid until the next read. Parsing resumes where
// it stopped when a reply arrives in pieces, so a reply of many megabytes
// costs one pass, and once the buffers have grown to the largest reply a
// steady stream of replies allocates nothing. A caller that knows a reply's
// shape can index it in place instead, with ReadWith (replay's pages of
// stream entries).
package respclient

import (
	"errors"
	"fmt"
)

// ErrProtocol marks a reply that is not valid RESP. The reader that met it
// stays broken: every later read returns the same error.
var ErrProtocol = errors.New("protocol error")

// ReplyError is an error reply from the server: a simple error (-ERR …) or
// a RESP3 blob error.
type ReplyError struct{ Message string }

func (e *ReplyError) Error() string { return e.Message }

// value is one parsed RESP value. An aggregate at index i is followed by
// its children, in order; end is the index after its subtree.
// Positions fit in 32 bits: a reply is at most 1 GiB (NewReader checks).
type value struct {
	number int64 // integer; 1 or 0 for a boolean; element count of an aggregate (pairs for a map)
	offset int32 // string payload: where it starts in the reply's bytes
	length int32 // and how long it is
	end    int32
	kind   byte // the RESP type byte: + - : $ * > % ~ _ , # ( = !
	null   bool // $-1, *-1 (RESP2) or _ (RESP3)
}

// Reply is one whole reply: its values in preorder (the root at index 0)
// and the bytes they were parsed from. A Reply returned by a read aliases
// the reader's buffer and is valid until the next read; CopyFrom makes one
// that stays valid.
type Reply struct {
	values []value
	data   []byte
}

// Len is the number of values (1 for a scalar).
func (p *Reply) Len() int { return len(p.values) }

// Size is the number of bytes the reply took on the wire.
func (p *Reply) Size() int { return len(p.data) }

// Kind is value i's RESP type byte ('+', '-', ':', '$', '*', '%', '>', …).
func (p *Reply) Kind(i int) byte { return p.values[i].kind }

// IsNull reports a null bulk string, a null array or a RESP3 null.
func (p *Reply) IsNull(i int) bool { return p.values[i].null }

// Int is value i's integer; for a boolean 1 or 0; for an aggregate the
// number of its elements (of pairs, for a map).
func (p *Reply) Int(i int) int64 { return p.values[i].number }

// Bytes is value i's string: the text of a simple string, error, double,
// big number or boolean, or the payload of a bulk string, verbatim string
// (with its "txt:" format prefix) or blob error. It is nil for other kinds.
func (p *Reply) Bytes(i int) []byte {
	v := &p.values[i]
	start, end := int(v.offset), int(v.offset)+int(v.length)
	if start == 0 {
		return nil
	}
	return p.data[start:end:end]
}

// Text is Bytes(i) as a string (a copy).
func (p *Reply) Text(i int) string { return string(p.Bytes(i)) }

// IsAggregate reports an array, map, set or push that is not null.
func (p *Reply) IsAggregate(i int) bool {
	switch p.values[i].kind {
	case '*', '%', '~', '>':
		return !p.values[i].null
	}
	return false
}

// End is the index after value i and all it contains: the children of an
// aggregate at i are i+1, End(i+1), … up to End(i).
func (p *Reply) End(i int) int { return int(p.values[i].end) }

// Child is the index of the k-th (0-based) child of the aggregate at i, or
// -1 when it has no such child (or i is out of range). A map's children are
// its keys and values, alternating.
func (p *Reply) Child(i, k int) int {
	if i < 0 || i >= len(p.values) || k < 0 {
		return -1
	}
	j, end := i+1, int(p.values[i].end)
	for ; j < end && k > 0; k-- {
		j = int(p.values[j].end)
	}
	if j >= end {
		return -1
	}
	return j
}

// Children appends the indexes of the children of the aggregate at i to
// dst and returns it.
func (p *Reply) Children(i int, dst []int) []int {
	for j, end := i+1, int(p.values[i].end); j < end; j = int(p.values[j].end) {
		dst = append(dst, j)
	}
	return dst
}

// Err is value i as a *ReplyError when it is an error reply, else nil.
func (p *Reply) Err(i int) error {
	if v := &p.values[i]; v.kind == '-' || v.kind == '!' {
		return &ReplyError{Message: string(p.Bytes(i))}
	}
	return nil
}

// FirstErr is the first error reply anywhere in the reply (an EXEC's
// results may hold several), or nil.
func (p *Reply) FirstErr() error {
	for i := range p.values {
		if err := p.Err(i); err != nil {
			return err
		}
	}
	return nil
}

// CopyFrom makes p a copy of src that stays valid after the next read,
// reusing p's storage.
func (p *Reply) CopyFrom(src *Reply) {
	p.values = append(p.values[:0], src.values...)
	p.data = append(p.data[:0], src.data...)
}

// String renders the reply compactly, for messages and tests: strings
// quoted, aggregates as kind[...].
func (p *Reply) String() string {
	if len(p.values) == 0 {
		return "<none>"
	}
	return string(p.appendValue(nil, 0))
}

func (p *Reply) appendValue(dst []byte, i int) []byte {
	v := &p.values[i]
	switch {
	case v.null:
		return append(dst, "nil"...)
	case v.kind == ':' || v.kind == '#':
		return fmt.Appendf(dst, "%d", v.number)
	case v.kind == '-' || v.kind == '!':
		return fmt.Appendf(dst, "ERR(%s)", p.Bytes(i))
	case p.IsAggregate(i):
		dst = append(dst, v.kind, '[')
		for j := i + 1; j < int(v.end); j = int(p.values[j].end) {
			if j > i+1 {
				dst = append(dst, ' ')
			}
			dst = p.appendValue(dst, j)
		}
		return append(dst, ']')
	}
	return fmt.Appendf(dst, "%q", p.Bytes(i))
}
