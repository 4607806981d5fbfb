package wal

import (
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/rewind-mq/rewind/internal/stream"
)

// Entry is one stored message (stream.Entry). An Entry passed to a
// callback, and its Fields, are valid only during that call.
type Entry = stream.Entry

// RangeQuery selects entries of one channel.
type RangeQuery struct {
	Start, End ID  // inclusive bounds
	Count      int // at most this many; 0 means no limit
	Reverse    bool
}

// Meta returns the channel's durable metadata and whether it exists.
func (l *Log) Meta(name []byte) (Meta, bool) {
	ch := l.lookup(name)
	if ch == nil {
		return Meta{}, false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.durable, ch.live
}

// Watch returns the channel's durable metadata, whether it exists, and a
// channel that is closed the next time its durable state changes. Reading the
// state and arming the watch happen atomically, so no change is missed.
func (l *Log) Watch(name []byte) (Meta, bool, <-chan struct{}) {
	ch := l.lookup(name)
	if ch == nil {
		ch = l.getOrCreate(name)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.waitCh == nil {
		ch.waitCh = make(chan struct{})
	}
	return ch.durable, ch.live, ch.waitCh
}

// Range calls fn for each durable entry of the channel that q selects, in
// order, and returns how many it visited. It stops at the first error fn
// returns. Entries that are not yet fsync'd are never visited.
func (l *Log) Range(name []byte, q RangeQuery, fn func(*Entry) error) (int, error) {
	ch := l.lookup(name)
	if ch == nil {
		return 0, nil
	}
	ch.mu.Lock()
	m, live := ch.durable, ch.live
	ch.mu.Unlock()
	if !live || m.Length == 0 {
		return 0, nil
	}
	cid := m.Incarnation
	start, end := q.Start, q.End
	if m.LastID.Less(end) {
		end = m.LastID // the durable watermark
	}
	if end.Less(start) {
		return 0, nil
	}
	st := rangeStates.Get().(*rangeState)
	defer st.release()
	lower := entryKey(st.lower[:0], l.shard, cid, start)
	var upper []byte
	if next, ok := end.Next(); ok {
		upper = entryKey(st.upper[:0], l.shard, cid, next)
	} else {
		upper = channelEntryUpper(st.upper[:0], l.shard, cid)
	}
	v := l.views.acquire()
	if v == nil {
		return 0, ErrClosed
	}
	defer l.views.release(v)
	it, err := v.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	defer it.Close() // before st goes back to the pool: the bounds are st's
	st.e.Incarnation = cid
	return visit(it, q, &st.e, st.fields[:0], fn)
}

// rangeState is the memory one Range call needs besides Pebble's iterator
// (which Pebble pools): the bounds, and the Entry handed to the callback
// with room for its fields. Pooled, so that short reads, which run once per
// delivered message (XREAD BLOCK readers, resumed subscribers), allocate
// nothing.
type rangeState struct {
	lower, upper [entryKeyLen]byte
	e            Entry
	fields       [8][]byte
}

var rangeStates = sync.Pool{New: func() any { return new(rangeState) }}

// release returns st to the pool, without references into the iterator's
// memory (a memtable's arena must not outlive its flush for a pooled Entry).
func (st *rangeState) release() {
	st.e = Entry{}
	clear(st.fields[:])
	rangeStates.Put(st)
}

// visit calls fn for the entries it yields, at most q.Count (0: all). e and
// fields are the storage handed to fn (reset per entry).
func visit(it *pebble.Iterator, q RangeQuery, e *Entry, fields [][]byte, fn func(*Entry) error) (int, error) {
	e.Fields = fields
	n := 0
	ok := it.First()
	if q.Reverse {
		ok = it.Last()
	}
	for ; ok && (q.Count <= 0 || n < q.Count); n++ {
		_, id, err := decodeEntryKey(it.Key())
		if err != nil {
			return n, err
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return n, err
		}
		e.ID = id
		if e.Fields, err = decodeEntry(e.Fields[:0], v); err != nil {
			return n, err
		}
		if err := fn(e); err != nil {
			return n, err
		}
		if q.Reverse {
			ok = it.Prev()
		} else {
			ok = it.Next()
		}
	}
	return n, it.Error()
}

// ChannelInfo is a channel's name and durable metadata.
type ChannelInfo struct {
	Name string
	Meta Meta
}

// Channels calls fn for every existing channel (in no particular order)
// until fn returns false.
func (l *Log) Channels(fn func(ChannelInfo) bool) {
	l.chMu.RLock()
	list := make([]*channel, 0, len(l.channels))
	for _, ch := range l.channels {
		list = append(list, ch)
	}
	l.chMu.RUnlock()
	for _, ch := range list {
		ch.mu.Lock()
		m, live := ch.durable, ch.live
		ch.mu.Unlock()
		if live && !fn(ChannelInfo{Name: ch.name, Meta: m}) {
			return
		}
	}
}

// Stats summarises the log for INFO and metrics.
type Stats struct {
	Channels   int
	Entries    uint64
	EntryBytes uint64
	DiskBytes  uint64
}

// Stats returns current totals. It walks every channel: O(channels).
func (l *Log) Stats() Stats {
	var s Stats
	l.Channels(func(c ChannelInfo) bool {
		s.Channels++
		s.Entries += c.Meta.Length
		s.EntryBytes += c.Meta.Bytes
		return true
	})
	s.DiskBytes = l.db.Metrics().DiskSpaceUsage()
	return s
}
