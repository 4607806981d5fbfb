package wal

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/cockroachdb/pebble/v2"
)

// Groups returns the channel's consumer groups as of the last fsync'd
// batch, sorted by name, and whether the channel exists.
func (l *Log) Groups(name []byte) ([]*GroupInfo, bool) {
	ch := l.lookup(name)
	if ch == nil {
		return nil, false
	}
	ch.mu.Lock()
	groups, live := ch.durableGroups, ch.live
	ch.mu.Unlock()
	out := make([]*GroupInfo, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, live
}

// Group returns one consumer group as of the last fsync'd batch.
func (l *Log) Group(name, group []byte) (*GroupInfo, bool) {
	ch := l.lookup(name)
	if ch == nil {
		return nil, false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	g, ok := ch.durableGroups[string(group)]
	return g, ok && ch.live
}

// PendingQuery selects entries of a group's pending entries list.
type PendingQuery struct {
	Start, End ID     // inclusive
	Count      int    // at most this many; 0: no limit
	Consumer   string // only this consumer's entries when set
	MinIdleMs  int64  // only entries delivered at least this long ago
	NowMs      int64
}

// Pending calls fn for each durable pending entry of the group that q
// selects, in ID order, with the owning consumer's name.
func (l *Log) Pending(name []byte, g *GroupInfo, q PendingQuery, fn func(PendingRecord, string) error) error {
	ch := l.lookup(name)
	if ch == nil {
		return nil
	}
	names := make(map[uint64]string, len(g.Consumers))
	for _, c := range g.Consumers {
		names[c.id] = c.Name
	}
	m, live := l.Meta(name)
	if !live {
		return nil
	}
	v := l.views.acquire()
	if v == nil {
		return ErrClosed
	}
	defer l.views.release(v)
	own, err := newOwnRecords(v.snap, l.shard, m.Incarnation, g.gid, q.Start, q.End)
	if err != nil {
		return err
	}
	defer own.close()
	runs, err := newRunRecords(v.snap, l.shard, m.Incarnation, g.gid, q.Start, q.End)
	if err != nil {
		return err
	}
	defer runs.close()
	n := 0
	for q.Count <= 0 || n < q.Count {
		a, aok, err := own.peek()
		if err != nil {
			return err
		}
		r, rok, err := runs.peek()
		if err != nil {
			return err
		}
		var rec PendingRecord
		switch {
		case !aok && !rok:
			return nil
		case aok && (!rok || !r.ID.Less(a.ID)):
			rec = a
			own.next()
			if rok && r.ID == a.ID {
				runs.next() // an entry's own record wins over a run's
			}
		default:
			rec = r
			runs.next()
		}
		consumer := names[rec.ConsumerID]
		if q.Consumer != "" && consumer != q.Consumer {
			continue
		}
		if q.MinIdleMs > 0 && q.NowMs-rec.DeliveredMs < q.MinIdleMs {
			continue
		}
		if err := fn(rec, consumer); err != nil {
			return err
		}
		n++
	}
	return nil
}

// ownRecords reads, in ID order, the pending entries of a group stored in
// records of their own, from start to end (inclusive).
type ownRecords struct {
	it    *pebble.Iterator
	valid bool
}

func newOwnRecords(snap *pebble.Snapshot, shard uint32, cid, gid uint64, start, end ID) (*ownRecords, error) {
	opts := &pebble.IterOptions{LowerBound: pendingKey(nil, shard, cid, gid, start)}
	if next, ok := end.Next(); ok {
		opts.UpperBound = pendingKey(nil, shard, cid, gid, next)
	} else {
		_, opts.UpperBound = prefixBounds(groupPrefix(prefixPending, shard, cid, gid))
	}
	it, err := snap.NewIter(opts)
	if err != nil {
		return nil, err
	}
	return &ownRecords{it: it, valid: it.First()}, nil
}

func (o *ownRecords) peek() (PendingRecord, bool, error) {
	for ; o.valid; o.valid = o.it.Next() {
		id, ok := decodeGroupIDKey(o.it.Key())
		if !ok {
			continue
		}
		val, err := o.it.ValueAndErr()
		if err != nil {
			return PendingRecord{}, false, err
		}
		owner, delivered, count, err := decodePending(val)
		if err != nil {
			return PendingRecord{}, false, err
		}
		return PendingRecord{ID: id, ConsumerID: owner, DeliveredMs: delivered, Count: count}, true, nil
	}
	return PendingRecord{}, false, o.it.Error()
}

func (o *ownRecords) next()  { o.valid = o.it.Next() }
func (o *ownRecords) close() { _ = o.it.Close() }

// runRecords reads, in ID order, the pending entries of a group stored in
// delivery runs, from start to end (inclusive). Runs do not overlap, so
// their IDs, run after run, are in order.
type runRecords struct {
	it         *pebble.Iterator
	valid      bool
	start, end ID
	rec        runRecord
	ids        []ID // buffer of rec.ids
	i          int
}

func newRunRecords(snap *pebble.Snapshot, shard uint32, cid, gid uint64, start, end ID) (*runRecords, error) {
	lower, upper := prefixBounds(groupPrefix(prefixRun, shard, cid, gid))
	if next, ok := end.Next(); ok {
		upper = runKey(nil, shard, cid, gid, next)
	}
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	r := &runRecords{it: it, start: start, end: end}
	// The run that starts last before start may hold entries after it.
	if r.valid = it.SeekLT(runKey(nil, shard, cid, gid, start)); !r.valid {
		r.valid = it.First()
	}
	return r, nil
}

func (r *runRecords) peek() (PendingRecord, bool, error) {
	for {
		for ; r.i < len(r.rec.ids); r.i++ {
			id := r.rec.ids[r.i]
			if id.Less(r.start) {
				continue
			}
			if r.end.Less(id) {
				r.rec.ids, r.valid = nil, false
				return PendingRecord{}, false, nil
			}
			return PendingRecord{ID: id, ConsumerID: r.rec.consumerID, DeliveredMs: r.rec.deliveredMs, Count: 1}, true, nil
		}
		if !r.valid {
			return PendingRecord{}, false, r.it.Error()
		}
		first, ok := decodeGroupIDKey(r.it.Key())
		if !ok {
			r.valid = r.it.Next()
			continue
		}
		val, err := r.it.ValueAndErr()
		if err != nil {
			return PendingRecord{}, false, err
		}
		if r.rec, err = decodeRun(first, val, r.ids[:0]); err != nil {
			return PendingRecord{}, false, err
		}
		r.ids, r.i = r.rec.ids, 0
		r.valid = r.it.Next()
	}
}

func (r *runRecords) next()  { r.i++ }
func (r *runRecords) close() { _ = r.it.Close() }

func be64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// appendDelivered appends an entry a group read delivered to d (see
// Delivered): its ID and its stored value.
func appendDelivered(d Delivered, id ID, value []byte) Delivered {
	d = binary.BigEndian.AppendUint64(d, id.Ms)
	d = binary.BigEndian.AppendUint64(d, id.Seq)
	d = binary.AppendUvarint(d, uint64(len(value)))
	return append(d, value...)
}

// EachDelivered calls fn for each entry of d, in order, and returns how
// many it called it for. The entry and its fields (decoded into fields,
// which is reused) are valid during the call only.
func EachDelivered(d Delivered, fields [][]byte, fn func(*Entry) error) (int, error) {
	var e Entry
	n := 0
	for len(d) > 0 {
		if len(d) < 16 {
			return n, fmt.Errorf("%w: delivered entries", ErrCorrupt)
		}
		e.ID = ID{Ms: be64(d), Seq: be64(d[8:])}
		l, k := binary.Uvarint(d[16:])
		if k <= 0 || l > uint64(len(d)-16-k) {
			return n, fmt.Errorf("%w: delivered entries", ErrCorrupt)
		}
		value := d[16+k : 16+k+int(l)]
		d = d[16+k+int(l):]
		var err error
		if e.Fields, err = decodeEntry(fields[:0], value); err != nil {
			return n, err
		}
		if err := fn(&e); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
