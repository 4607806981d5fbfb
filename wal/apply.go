package wal

import (
	"errors"
	"math"

	"github.com/cockroachdb/pebble/v2"
)

// approxNodeEntries is the size of the "nodes" an approximate ("~") trim
// removes whole, like the default stream-node-max-entries of Redis. Redis
// fills a node with 100 consecutive appends (deleted entries still take
// their place) and trims whole nodes only; rewind models the nodes as runs
// of 100 appends counted from the channel's first append (EntriesAdded -
// Length is the append index of the oldest entry). That is what Redis does
// for a stream filled by appends and trimmed from the front, with entries
// small enough that Redis does not close a node early at its 4 KiB
// stream-node-max-bytes. After an XDEL, or once the channel was emptied,
// Redis's nodes may lie elsewhere, and so "~" may trim a different amount;
// either way it never trims past the exact bound.
const approxNodeEntries = 100

// nextID assigns the ID of a new entry, deterministically, from the
// channel's last ID (0-0 for a new incarnation), the requested spec and the
// request's time. The same inputs always give the same ID; a clock that goes
// back never makes an ID go back within an incarnation. A channel deleted
// and created again starts afresh, as a Redis stream does: its IDs are
// increasing within the new incarnation only (see channel.cid).
func nextID(last ID, spec IDSpec, nowMs int64) (ID, error) {
	if last == MaxID {
		return ID{}, ErrIDExhausted // Redis checks this first, whatever the spec
	}
	switch {
	case spec.Auto:
		now := uint64(max(nowMs, 0))
		if now > last.Ms {
			return ID{Ms: now}, nil
		}
		id, _ := last.Next()
		return id, nil
	case spec.SeqAuto:
		ms := spec.ID.Ms
		if ms < last.Ms {
			return ID{}, ErrIDTooSmall
		}
		if ms > last.Ms {
			return ID{Ms: ms}, nil
		}
		if last.Seq == math.MaxUint64 {
			return ID{}, ErrIDTooSmall
		}
		return ID{Ms: ms, Seq: last.Seq + 1}, nil
	default:
		if spec.ID.IsZero() {
			return ID{}, ErrIDZero
		}
		if !last.Less(spec.ID) {
			return ID{}, ErrIDTooSmall
		}
		return spec.ID, nil
	}
}

func (l *Log) applyAppend(b *pendingBatch, p op, nowMs int64) {
	if len(p.Fields) == 0 || len(p.Fields)%2 != 0 {
		p.Err = errors.New("wal: an entry needs field-value pairs")
		return
	}
	size := encodedEntrySize(p.Fields)
	if size > l.opts.MaxEntryBytes {
		p.Err = ErrTooLarge
		return
	}
	ch := l.lookup(p.Channel)
	if p.NoCreate && (ch == nil || !ch.exists) {
		p.Skipped = true
		return
	}
	var last ID
	if ch != nil && ch.exists {
		last = ch.w.LastID
	}
	id, err := nextID(last, p.Spec, nowMs)
	if err != nil {
		p.Err = err
		return
	}
	p.Created = ch == nil || !ch.exists
	ch = l.channelForWrite(b, p.Channel)
	w := &l.w
	w.keyBuf = entryKey(w.keyBuf, l.shard, ch.cid, id)
	w.valBuf = encodeEntry(w.valBuf[:0], p.Fields)
	b.setErr(b.pb.Set(w.keyBuf, w.valBuf, nil))
	b.bytes += len(w.keyBuf) + len(w.valBuf)
	m := &ch.w
	if m.Length == 0 {
		m.FirstID = id
	}
	m.Length++
	m.LastID = id
	m.EntriesAdded++
	m.Bytes += entrySize(len(w.valBuf))
	p.ID, p.Incarnation = id, ch.cid
	l.nodeAppend(b, ch, id, p.Fields)
	l.touch(b, ch, false)
	if p.Trim.Strategy != TrimNone && trimMayRemove(ch, &p.Trim, 0) {
		p.N, p.Err = l.trimRef(b, ch, &p.Trim, p.Ref)
	}
}

// trimMayRemove reports, from what the writer knows without reading,
// whether trim t could remove an entry once adding more entries are
// appended.
func trimMayRemove(ch *channel, t *Trim, adding uint64) bool {
	m := &ch.w
	length := m.Length + adding
	switch t.Strategy {
	case TrimMaxLen:
		if length <= t.MaxLen {
			return false
		}
		oldest, known := ch.oldestNodeLive()
		return !t.Approx || !known || length-t.MaxLen >= min(oldest, length)
	case TrimMinID:
		return length > 0 && (m.Length == 0 || m.FirstID.Less(t.MinID))
	case TrimMaxBytes:
		return m.Bytes > t.MaxBytes || adding > 0
	}
	return false
}

// trim removes the oldest entries of ch as t asks, as one range deletion.
// It runs on an indexed batch (see batchFor), so it sees every write.
func (l *Log) trim(b *pendingBatch, ch *channel, t *Trim) (int64, error) {
	m := &ch.w
	if m.Length == 0 || !trimMayRemove(ch, t, 0) {
		return 0, nil
	}
	lower, upper := channelEntryBounds(l.shard, ch.cid)
	it, err := b.pb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var count, keptLive uint64
	var looked bool
	if t.Approx && t.Strategy != TrimMaxBytes {
		count, keptLive, looked, err = l.approxTrim(b, ch, it, t)
	} else {
		count, err = trimCount(it, m, t)
	}
	wholeNodes := count // what the node walk removes, before interest caps it
	if err == nil && t.Interest {
		count, err = interestCap(it, ch, count)
	}
	if err == nil && wholeNodes == 0 && looked {
		// Nothing to trim: the oldest node stays whole, and the next
		// appends need not look at it again (trimMayRemove).
		ch.firstNodeLive, ch.firstNodeKnown = keptLive, true
	}
	if err != nil || count == 0 {
		return 0, err
	}
	var removed, bytes uint64
	var lastDel ID
	ok := it.First()
	for ; ok && removed < count; ok = it.Next() {
		_, id, err := decodeEntryKey(it.Key())
		if err != nil {
			return 0, err
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, err
		}
		removed++
		bytes += entrySize(len(v))
		lastDel = id
		ch.entryRemoved(id)
		for _, g := range ch.groups {
			if g.lastID.Less(id) {
				g.trimmedUnread++ // a group never saw this entry
			}
		}
	}
	l.skipTrimmed(b, ch, lastDel)
	m.FirstID = ID{}
	if ok {
		if _, m.FirstID, err = decodeEntryKey(it.Key()); err != nil {
			return 0, err
		}
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	endKey := upper
	if end, ok := lastDel.Next(); ok {
		endKey = entryKey(nil, l.shard, ch.cid, end)
	}
	b.setErr(b.pb.DeleteRange(lower, endKey, nil))
	m.Length -= removed
	m.Bytes -= min(bytes, m.Bytes)
	if looked && removed == wholeNodes { // the node that stays is the one the walk counted
		ch.firstNodeLive, ch.firstNodeKnown = keptLive, true
	}
	ch.trimsSinceNodeClean++
	if t.Approx || ch.trimsSinceNodeClean >= 64 || m.Length == 0 {
		ch.trimsSinceNodeClean = 0
		if err := l.trimNodes(b, ch); err != nil {
			return 0, err
		}
	}
	l.touch(b, ch, true)
	return int64(removed), nil
}

// trimCount returns how many of the oldest entries t removes.
func trimCount(it *pebble.Iterator, m *Meta, t *Trim) (uint64, error) {
	var n uint64
	switch t.Strategy {
	case TrimMaxLen:
		n = m.Length - t.MaxLen
	case TrimMinID:
		for ok := it.First(); ok; ok = it.Next() {
			_, id, err := decodeEntryKey(it.Key())
			if err != nil {
				return 0, err
			}
			if !id.Less(t.MinID) {
				break
			}
			n++
		}
	case TrimMaxBytes:
		left := m.Bytes
		for ok := it.First(); ok && left > t.MaxBytes; ok = it.Next() {
			v, err := it.ValueAndErr()
			if err != nil {
				return 0, err
			}
			left -= min(left, entrySize(len(v)))
			n++
		}
	}
	if t.Limit > 0 {
		n = min(n, uint64(t.Limit))
	}
	return n, it.Error()
}

// firstNodeEntries is how many entries the oldest node holds (see
// approxNodeEntries), when the channel has that many.
func firstNodeEntries(m *Meta) uint64 {
	var first uint64 // append index of the oldest entry
	if m.EntriesAdded > m.Length {
		first = m.EntriesAdded - m.Length
	}
	return approxNodeEntries - first%approxNodeEntries
}

func (l *Log) applyDelete(b *pendingBatch, p op) {
	ch := l.lookup(p.Channel)
	if ch == nil || !ch.exists {
		return
	}
	m := &ch.w
	w := &l.w
	for _, id := range p.Command.IDs {
		w.keyBuf = entryKey(w.keyBuf, l.shard, ch.cid, id)
		v, closer, err := b.pb.Get(w.keyBuf)
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			p.Err = err
			return
		}
		size := entrySize(len(v))
		_ = closer.Close()
		b.setErr(b.pb.Delete(w.keyBuf, nil))
		ch.entryRemoved(id)
		m.Length--
		m.Bytes -= min(size, m.Bytes)
		p.N++
		if m.MaxDeletedID.Less(id) {
			m.MaxDeletedID = id
		}
		if id == m.FirstID {
			if m.FirstID, err = l.firstFrom(b, ch, id); err != nil {
				p.Err = err
				return
			}
		}
	}
	l.touch(b, ch, true)
}

// firstFrom returns the first entry ID of ch after id, or 0-0 if none.
func (l *Log) firstFrom(b *pendingBatch, ch *channel, id ID) (ID, error) {
	_, upper := channelEntryBounds(l.shard, ch.cid)
	start, ok := id.Next()
	if !ok {
		return ID{}, nil
	}
	it, err := b.pb.NewIter(&pebble.IterOptions{LowerBound: entryKey(nil, l.shard, ch.cid, start), UpperBound: upper})
	if err != nil {
		return ID{}, err
	}
	defer it.Close()
	if !it.First() {
		return ID{}, it.Error()
	}
	_, first, err := decodeEntryKey(it.Key())
	return first, err
}

// lastEntry returns the ID of the last stored entry of ch, or 0-0 if none.
func (l *Log) lastEntry(b *pendingBatch, ch *channel) (ID, error) {
	lower, upper := channelEntryBounds(l.shard, ch.cid)
	it, err := b.pb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return ID{}, err
	}
	defer it.Close()
	if !it.Last() {
		return ID{}, it.Error()
	}
	_, last, err := decodeEntryKey(it.Key())
	return last, err
}

func (l *Log) applyDrop(b *pendingBatch, p op) {
	ch := l.lookup(p.Channel)
	if ch == nil || !ch.exists {
		return
	}
	lower, upper := channelEntryBounds(l.shard, ch.cid)
	b.setErr(b.pb.DeleteRange(lower, upper, nil))
	b.setErr(b.pb.Delete(nameKey(l.w.keyBuf, l.shard, p.Channel), nil))
	b.setErr(b.pb.Delete(metaKey(l.w.keyBuf, l.shard, ch.cid), nil))
	l.dropGroups(b, ch)
	lower, upper = prefixBounds(channelPrefix(prefixNode, l.shard, ch.cid))
	b.setErr(b.pb.DeleteRange(lower, upper, nil))
	ch.firstNodeKnown = false
	// The incarnation ends: a channel of this name created later gets a
	// new cid, so the cursors of this one (which name its cid) never apply
	// to it, and its IDs may start again from 0-0, as in Redis.
	ch.cid = 0
	ch.w = Meta{}
	ch.exists = false
	l.touch(b, ch, true)
	p.N = 1
}

func (l *Log) applySetID(b *pendingBatch, p op) {
	ch := l.lookup(p.Channel)
	if ch == nil || !ch.exists {
		p.Err = ErrNoSuchChannel
		return
	}
	// The checks and their order are Redis 7.2's (xsetidCommand).
	m, s := &ch.w, &p.SetID
	if s.HasMaxDeleted && s.LastID.Less(s.MaxDeletedID) {
		p.Err = ErrSetIDBelowMaxDeleted
		return
	}
	if s.LastID.Less(m.MaxDeletedID) {
		p.Err = ErrSetIDBelowDeleted // or a deleted ID could be reused
		return
	}
	if m.Length > 0 {
		top, err := l.lastEntry(b, ch)
		if err != nil {
			p.Err = err
			return
		}
		if s.LastID.Less(top) {
			p.Err = ErrSetIDTooSmall
			return
		}
		if s.HasEntriesAdded && s.EntriesAdded < m.Length {
			p.Err = ErrSetIDEntriesAdded
			return
		}
	}
	m.LastID = s.LastID
	if s.HasEntriesAdded {
		m.EntriesAdded = s.EntriesAdded
	}
	if s.HasMaxDeleted {
		m.MaxDeletedID = s.MaxDeletedID
	}
	l.touch(b, ch, true)
}

// interestCap lowers a trim's count so that it removes no entry a consumer
// group has not acknowledged or not read yet (interest retention).
func interestCap(it *pebble.Iterator, ch *channel, count uint64) (uint64, error) {
	if len(ch.groups) == 0 {
		return count, nil
	}
	floor := MaxID
	for _, g := range ch.groups {
		need, ok := g.lastID.Next()
		if first, has := g.pel.Min(); has && first.id.Less(need) {
			need, ok = first.id, true
		}
		if ok && need.Less(floor) {
			floor = need
		}
	}
	var n uint64
	for valid := it.First(); valid && n < count; valid = it.Next() {
		_, id, err := decodeEntryKey(it.Key())
		if err != nil {
			return 0, err
		}
		if !id.Less(floor) {
			break
		}
		n++
	}
	return n, it.Error()
}
