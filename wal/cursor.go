package wal

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Subscriber cursors: for a named Pub/Sub client, the ID of the last entry
// of each channel written to it, so that it can resume after a disconnect.
// A pattern subscription has a cursor per channel it delivered from, and a
// base record saying that the name subscribed to the pattern (so that a
// channel without a cursor is read from its start: it appeared later).
// Keys, after their shard's prefix (keys.go):
//
//	r/<uvarint len(name)><name><channel>                          -> cursor (encodeCursor)
//	q/<uvarint len(name)><name><uvarint len(pattern)><pattern>0   -> pattern base (encodeCursor)
//	q/<uvarint len(name)><name><uvarint len(pattern)><pattern>1<channel> -> cursor
//
// Cursors are written in batches (not per message); see broker.

const (
	prefixCursor        = 'r'
	prefixPatternCursor = 'q'
)

// cursorRecordKey returns the key of c's record in shard.
func cursorRecordKey(dst []byte, shard uint32, c *Cursor) []byte {
	if !c.OnPattern {
		return cursorKey(dst, shard, c.Name, c.Channel)
	}
	dst = patternCursorPrefix(dst, shard, c.Name, c.Pattern)
	if c.Base {
		return append(dst, 0)
	}
	return append(append(dst, 1), c.Channel...)
}

// CursorPos is where a stored cursor stands: an ID of one incarnation of
// its channel (see Cursor.Incarnation).
type CursorPos struct {
	ID          ID
	Incarnation uint64
}

// encodeCursor writes <uvarint ms><uvarint seq><varint seenMs>, then
// <uvarint incarnation> when it is known.
func encodeCursor(dst []byte, c *Cursor) []byte {
	dst = binary.AppendUvarint(dst, c.ID.Ms)
	dst = binary.AppendUvarint(dst, c.ID.Seq)
	dst = binary.AppendVarint(dst, c.SeenMs)
	if c.Incarnation != 0 {
		dst = binary.AppendUvarint(dst, c.Incarnation)
	}
	return dst
}

func decodeCursorValue(b []byte) (CursorPos, int64, error) {
	bad := fmt.Errorf("%w: cursor", ErrCorrupt)
	ms, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return CursorPos{}, 0, bad
	}
	seq, n2 := binary.Uvarint(b[n1:])
	if n2 <= 0 {
		return CursorPos{}, 0, bad
	}
	seen, n3 := binary.Varint(b[n1+n2:])
	if n3 <= 0 {
		return CursorPos{}, 0, bad
	}
	pos, rest := CursorPos{ID: ID{Ms: ms, Seq: seq}}, b[n1+n2+n3:]
	if len(rest) > 0 {
		inc, n4 := binary.Uvarint(rest)
		if n4 != len(rest) || inc == 0 {
			return CursorPos{}, 0, bad
		}
		pos.Incarnation = inc
	}
	return pos, seen, nil
}

func (l *Log) applySetCursors(b *pendingBatch, p op) {
	for i := range p.Cursors {
		c := &p.Cursors[i]
		l.w.keyBuf = cursorRecordKey(l.w.keyBuf, l.shard, c)
		if c.Delete {
			b.setErr(b.pb.Delete(l.w.keyBuf, nil))
			continue
		}
		l.w.valBuf = encodeCursor(l.w.valBuf[:0], c)
		b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
	}
}

// CursorOf returns the durable cursor of a named subscriber on a channel.
func (l *Log) CursorOf(name, channel []byte) (CursorPos, bool, error) {
	v := l.views.acquire()
	if v == nil {
		return CursorPos{}, false, ErrClosed
	}
	defer l.views.release(v)
	val, closer, err := v.snap.Get(cursorKey(nil, l.shard, name, channel))
	if errors.Is(err, pebble.ErrNotFound) {
		return CursorPos{}, false, nil
	}
	if err != nil {
		return CursorPos{}, false, err
	}
	defer closer.Close()
	pos, _, err := decodeCursorValue(val)
	return pos, err == nil, err
}

// PatternCursors returns a named subscriber's durable state on a pattern:
// whether it subscribed to it before (base), and its cursor per channel.
func (l *Log) PatternCursors(name, pattern []byte) (bool, map[string]CursorPos, error) {
	v := l.views.acquire()
	if v == nil {
		return false, nil, ErrClosed
	}
	defer l.views.release(v)
	lower, upper := prefixBounds(patternCursorPrefix(nil, l.shard, name, pattern))
	it, err := v.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return false, nil, err
	}
	defer it.Close()
	base := false
	cursors := make(map[string]CursorPos)
	for ok := it.First(); ok; ok = it.Next() {
		rest := it.Key()[len(lower):]
		if len(rest) == 0 || rest[0] > 1 {
			return false, nil, fmt.Errorf("%w: pattern cursor key", ErrCorrupt)
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return false, nil, err
		}
		pos, _, err := decodeCursorValue(val)
		if err != nil {
			return false, nil, err
		}
		if rest[0] == 0 {
			base = true
		} else {
			cursors[string(rest[1:])] = pos
		}
	}
	return base, cursors, it.Error()
}

// ExpiredCursors lists cursors (of channels and of patterns) whose client
// was last seen before beforeMs, at most limit of them, for deletion.
func (l *Log) ExpiredCursors(beforeMs int64, limit int) ([]Cursor, error) {
	v := l.views.acquire()
	if v == nil {
		return nil, ErrClosed
	}
	defer l.views.release(v)
	var out []Cursor
	for _, prefix := range []byte{prefixCursor, prefixPatternCursor} {
		lower, upper := prefixBounds(kindPrefix(nil, l.shard, prefix))
		it, err := v.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
		if err != nil {
			return out, err
		}
		out, err = expiredCursors(it, prefix, beforeMs, limit, out)
		if cerr := it.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func expiredCursors(it *pebble.Iterator, prefix byte, beforeMs int64, limit int, out []Cursor) ([]Cursor, error) {
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		c, err := parseCursorKey(it.Key(), prefix)
		if err != nil {
			return out, err
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return out, err
		}
		_, seen, err := decodeCursorValue(val)
		if err != nil {
			return out, err
		}
		if seen < beforeMs {
			c.Delete = true
			out = append(out, c)
		}
	}
	return out, it.Error()
}

// parseCursorKey is the inverse of Cursor.key (copies).
func parseCursorKey(key []byte, prefix byte) (Cursor, error) {
	bad := fmt.Errorf("%w: cursor key", ErrCorrupt)
	k, ok := keyBody(key)
	if !ok {
		return Cursor{}, bad
	}
	n, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) < n {
		return Cursor{}, bad
	}
	c := Cursor{Name: append([]byte(nil), k[w:w+int(n)]...)}
	k = k[w+int(n):]
	if prefix == prefixCursor {
		c.Channel = append([]byte(nil), k...)
		return c, nil
	}
	n, w = binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) < n+1 {
		return Cursor{}, bad
	}
	c.OnPattern = true
	c.Pattern = append([]byte(nil), k[w:w+int(n)]...)
	k = k[w+int(n):]
	switch k[0] {
	case 0:
		c.Base = true
	case 1:
		c.Channel = append([]byte(nil), k[1:]...)
	default:
		return Cursor{}, bad
	}
	return c, nil
}
