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
	v := l.views.acquire()
	if v == nil {
		return ErrClosed
	}
	defer l.views.release(v)
	opts := &pebble.IterOptions{LowerBound: pendingKey(nil, ch.cid, g.gid, q.Start)}
	if end, ok := q.End.Next(); ok {
		opts.UpperBound = pendingKey(nil, ch.cid, g.gid, end)
	} else {
		_, opts.UpperBound = prefixBounds(groupPrefix(prefixPending, ch.cid, g.gid))
	}
	it, err := v.snap.NewIter(opts)
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok && (q.Count <= 0 || n < q.Count); ok = it.Next() {
		k := it.Key()
		if len(k) != 34 {
			continue
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		owner, delivered, count, err := decodePending(val)
		if err != nil {
			return err
		}
		consumer := names[owner]
		if q.Consumer != "" && consumer != q.Consumer {
			continue
		}
		if q.MinIdleMs > 0 && q.NowMs-delivered < q.MinIdleMs {
			continue
		}
		rec := PendingRecord{ID: ID{be64(k[18:]), be64(k[26:])}, ConsumerID: owner, DeliveredMs: delivered, Count: count}
		if err := fn(rec, consumer); err != nil {
			return err
		}
		n++
	}
	return it.Error()
}

func be64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// Delivered is the entries a group read delivered (Proposal.WantEntries),
// copied from the log as the writer read them: for each, its ID (16 bytes)
// and its stored value (uvarint length, bytes).
type Delivered []byte

func (d Delivered) append(id ID, value []byte) Delivered {
	d = binary.BigEndian.AppendUint64(d, id.Ms)
	d = binary.BigEndian.AppendUint64(d, id.Seq)
	d = binary.AppendUvarint(d, uint64(len(value)))
	return append(d, value...)
}

// Each calls fn for each entry, in order, and returns how many it called
// it for. The entry and its fields (decoded into fields, which is reused)
// are valid during the call only.
func (d Delivered) Each(fields [][]byte, fn func(*Entry) error) (int, error) {
	var e Entry
	n := 0
	for len(d) > 0 {
		if len(d) < 16 {
			return n, fmt.Errorf("%w: delivered entries", ErrCorrupt)
		}
		e.ID = ID{be64(d), be64(d[8:])}
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
