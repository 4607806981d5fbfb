package wal

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Subscriber cursors: for a named Pub/Sub client, the ID of the last entry
// of each channel written to it, so that it can resume after a disconnect.
//
//	r/<uvarint len(name)><name><channel>  -> cursor (encodeCursor)
//
// Cursors are written in batches (not per message); see broker.

const prefixCursor = 'r'

// Cursor is one subscriber cursor.
type Cursor struct {
	Name    []byte
	Channel []byte
	ID      ID    // last entry written to the client
	SeenMs  int64 // when the client was last connected
	Delete  bool  // OpSetCursors: remove it
}

func cursorKey(dst, name, channel []byte) []byte {
	dst = append(dst[:0], prefixCursor, '/')
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	dst = append(dst, name...)
	return append(dst, channel...)
}

func encodeCursor(dst []byte, c *Cursor) []byte {
	dst = binary.AppendUvarint(dst, c.ID.Ms)
	dst = binary.AppendUvarint(dst, c.ID.Seq)
	return binary.AppendVarint(dst, c.SeenMs)
}

func decodeCursorValue(b []byte) (ID, int64, error) {
	ms, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return ID{}, 0, fmt.Errorf("%w: cursor", ErrCorrupt)
	}
	seq, n2 := binary.Uvarint(b[n1:])
	if n2 <= 0 {
		return ID{}, 0, fmt.Errorf("%w: cursor", ErrCorrupt)
	}
	seen, n3 := binary.Varint(b[n1+n2:])
	if n3 <= 0 || n1+n2+n3 != len(b) {
		return ID{}, 0, fmt.Errorf("%w: cursor", ErrCorrupt)
	}
	return ID{ms, seq}, seen, nil
}

func (l *Log) applySetCursors(b *pendingBatch, p *Proposal) {
	for i := range p.Cursors {
		c := &p.Cursors[i]
		l.w.keyBuf = cursorKey(l.w.keyBuf, c.Name, c.Channel)
		if c.Delete {
			b.setErr(b.pb.Delete(l.w.keyBuf, nil))
			continue
		}
		l.w.valBuf = encodeCursor(l.w.valBuf[:0], c)
		b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
	}
}

// CursorOf returns the durable cursor of a named subscriber on a channel.
func (l *Log) CursorOf(name, channel []byte) (ID, bool, error) {
	v := l.views.acquire()
	if v == nil {
		return ID{}, false, ErrClosed
	}
	defer l.views.release(v)
	val, closer, err := v.snap.Get(cursorKey(nil, name, channel))
	if errors.Is(err, pebble.ErrNotFound) {
		return ID{}, false, nil
	}
	if err != nil {
		return ID{}, false, err
	}
	defer closer.Close()
	id, _, err := decodeCursorValue(val)
	return id, err == nil, err
}

// ExpiredCursors lists cursors whose client was last seen before
// beforeMs, at most limit of them.
func (l *Log) ExpiredCursors(beforeMs int64, limit int) ([]Cursor, error) {
	v := l.views.acquire()
	if v == nil {
		return nil, ErrClosed
	}
	defer l.views.release(v)
	lower, upper := prefixBounds([]byte{prefixCursor, '/'})
	it, err := v.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Cursor
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()[2:]
		n, w := binary.Uvarint(k)
		if w <= 0 || uint64(len(k)-w) < n {
			return out, fmt.Errorf("%w: cursor key", ErrCorrupt)
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
			name := append([]byte(nil), k[w:w+int(n)]...)
			channel := append([]byte(nil), k[w+int(n):]...)
			out = append(out, Cursor{Name: name, Channel: channel, Delete: true})
		}
	}
	return out, it.Error()
}
