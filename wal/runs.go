package wal

import (
	"encoding/binary"
	"fmt"
)

// Delivery runs: the entries one XREADGROUP > hands to a consumer, stored
// as one record instead of one record per entry (the key after its
// shard's prefix: keys.go):
//
//	d/<cid BE><gid BE><first ms BE><first seq BE> -> run record (encodeRun)
//
// A run record lists the IDs of the run still pending, all delivered to the
// same consumer at the same time, once. A consume loop that acknowledges
// what it read then costs the store two writes per read (the run, and its
// deletion once every entry is acknowledged) where one record per entry
// cost two per entry; the memtable inserts, flushes and compactions of
// those records were half of a consuming node's CPU.
//
// An entry leaves its run when anything about it changes (a redelivery, a
// claim, a history read, an ack, a dead-lettering, its consumer's
// deletion): a changed entry gets a record of its own (p/, group.go) in
// the same batch, and the run's record is rewritten without it, or deleted
// once it lists nothing, when the batch is sealed. So at every durable
// point an ID is in at most one place, and recovery is the union of the
// run records and the entries' own records (an own record wins, should
// both ever name an ID).
//
// Invariants (the writer goroutine owns all of it):
//  1. A group's runs are ordered by first ID and their ID intervals
//     [first, last] do not overlap; every entry marked in a run lies in the
//     interval of exactly that run, so the run of an entry is the run with
//     the greatest first ID not after it.
//  2. A run's live count is the number of entries marked in it, which all
//     have the run's consumer, delivery time and a delivery count of 1.
//  3. A run whose entries changed in a batch is in group.dirtyRuns until
//     that batch is sealed, and the batch touches its group, so the run's
//     record is rewritten in the same batch as the changes.
//
// New runs are only made of entries after every existing run (after a
// SETID backwards, deliveries get records of their own), which keeps
// invariant 1.

const prefixRun = 'd'

const (
	// minRunEntries: reads that deliver fewer entries store them one by
	// one (a run of one entry saves nothing and costs a run's memory).
	minRunEntries = 4
	// maxRunEntries bounds what a partial ack rewrites.
	maxRunEntries = 256
)

// deliveryRun is a run in memory: 40 bytes per run.
type deliveryRun struct {
	first, last ID // the record's key; the interval its entries lie in
	live        uint32
	dirty       bool // listed in group.dirtyRuns
}

func compareRuns(a, b deliveryRun) int { return compareIDs(a.first, b.first) }

// runOf returns the run that holds e, which is marked in a run.
func (g *group) runOf(e *pendingEntry) *deliveryRun {
	r, ok := g.runs.Floor(deliveryRun{first: e.id})
	if !ok || r.last.Less(e.id) {
		panic(fmt.Sprintf("wal: pending entry %v marked in a run that does not hold it", e.id))
	}
	return r
}

// leaveRun takes e out of its delivery run, if it is in one, before e
// changes or is removed: the run's record will be rewritten without it.
func (g *group) leaveRun(e *pendingEntry) {
	if !e.inRun() {
		return
	}
	e.slotRun &^= inRunBit
	r := g.runOf(e)
	r.live--
	g.markDirty(r)
}

func (g *group) markDirty(r *deliveryRun) {
	if !r.dirty {
		r.dirty = true
		g.dirtyRuns = append(g.dirtyRuns, r.first)
	}
}

// runsEnd is the last ID of the group's last run (zero when it has none):
// a new run must start after it.
func (g *group) runsEnd() ID {
	if g.runs == nil {
		return ID{}
	}
	if r, ok := g.runs.Max(); ok {
		return r.last
	}
	return ID{}
}

// addRun stores ids (new entries, in order, all after runsEnd) as pending
// entries of c delivered once at deliveredMs, in one new run.
func (g *group) addRun(ids []ID, c *consumer, deliveredMs int64) {
	if g.runs == nil {
		g.runs = newChunkSet(compareRuns)
	}
	r := g.runs.Insert(deliveryRun{first: ids[0], last: ids[len(ids)-1], live: uint32(len(ids))})
	g.markDirty(r)
	for _, id := range ids {
		e := g.insertPending(id, c, deliveredMs, 1)
		e.slotRun |= inRunBit
	}
}

// deliverNew records the delivery of new entries ids (in ID order) to c:
// in runs where they qualify, else each with a record of its own.
func (l *Log) deliverNew(b *pendingBatch, ch *channel, g *group, c *consumer, ids []ID, nowMs int64) {
	for len(ids) > 0 {
		// The longest prefix of ids that may form a run: after every run,
		// not pending already (which only a SETID backwards allows).
		n := 0
		if !l.opts.noDeliveryRuns && g.runsEnd().Less(ids[0]) {
			for n < len(ids) && n < maxRunEntries {
				if _, pending := g.getPending(ids[n]); pending {
					break
				}
				n++
			}
		}
		if n >= minRunEntries {
			g.addRun(ids[:n], c, nowMs)
		} else {
			n = max(n, 1)
			for _, id := range ids[:n] {
				l.addPending(b, ch, g, c, id, nowMs)
			}
		}
		ids = ids[n:]
	}
	l.touchGroup(b, ch, g)
}

// flushRuns writes, deletes or rewrites the record of every run of g that
// changed in this batch. Called as the batch is sealed.
func (l *Log) flushRuns(b *pendingBatch, ch *channel, g *group) {
	for _, first := range g.dirtyRuns {
		r, ok := g.runs.Get(deliveryRun{first: first})
		if !ok || !r.dirty {
			b.setErr(fmt.Errorf("wal: dirty delivery run %v of group %q is missing", first, g.name))
			return
		}
		r.dirty = false
		l.w.keyBuf = runKey(l.w.keyBuf, l.shard, ch.cid, g.gid, first)
		if r.live == 0 {
			b.setErr(b.pb.Delete(l.w.keyBuf, nil))
			g.runs.Delete(deliveryRun{first: first})
			continue
		}
		rec, err := g.runRecordOf(r, l.w.ids)
		l.w.ids = rec.ids
		if err != nil {
			b.setErr(err)
			return
		}
		l.w.valBuf = appendRun(l.w.valBuf[:0], first, rec)
		b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
	}
	g.dirtyRuns = g.dirtyRuns[:0]
}

// runRecordOf collects what r's record must say (its entries still in the
// run, into ids, reused) and checks the run's invariants.
func (g *group) runRecordOf(r *deliveryRun, ids []ID) (runRecord, error) {
	var (
		owner uint32
		at    int64
		bad   error
	)
	ids = ids[:0]
	g.pel.Ascend(pendingEntry{id: r.first}, func(e *pendingEntry) bool {
		if r.last.Less(e.id) {
			return false
		}
		if !e.inRun() {
			return true
		}
		if len(ids) == 0 {
			owner, at = e.slot(), e.deliveredMs
		} else if e.slot() != owner || e.deliveredMs != at || g.count(e) != 1 {
			bad = fmt.Errorf("wal: entry %v of a delivery run changed without leaving it", e.id)
			return false
		}
		ids = append(ids, e.id)
		return true
	})
	switch {
	case bad != nil:
		return runRecord{ids: ids}, bad
	case len(ids) != int(r.live):
		return runRecord{ids: ids}, fmt.Errorf("wal: delivery run %v holds %d entries, counted %d", r.first, len(ids), r.live)
	case g.slots[owner] == nil:
		return runRecord{ids: ids}, fmt.Errorf("wal: delivery run %v has no consumer", r.first)
	}
	return runRecord{consumerID: g.slots[owner].id, deliveredMs: at, ids: ids}, nil
}

// appendRun encodes the record of a run whose key holds first: version 1,
// the consumer's ID, the delivery time, the number of IDs, then each ID as
// the change from the one before (starting from first): the ms
// difference, then the seq difference when the ms is the same, else the
// seq.
func appendRun(dst []byte, first ID, rec runRecord) []byte {
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, rec.consumerID)
	dst = binary.AppendVarint(dst, rec.deliveredMs)
	dst = binary.AppendUvarint(dst, uint64(len(rec.ids)))
	prev := first
	for _, id := range rec.ids {
		dst = binary.AppendUvarint(dst, id.Ms-prev.Ms)
		if id.Ms == prev.Ms {
			dst = binary.AppendUvarint(dst, id.Seq-prev.Seq)
		} else {
			dst = binary.AppendUvarint(dst, id.Seq)
		}
		prev = id
	}
	return dst
}

// runRecord is a decoded run record.
type runRecord struct {
	consumerID  uint64
	deliveredMs int64
	ids         []ID
}

// decodeRun decodes the record of the run whose key holds first, appending
// its IDs to ids (reused).
func decodeRun(first ID, b []byte, ids []ID) (runRecord, error) {
	bad := fmt.Errorf("%w: delivery run %v", ErrCorrupt, first)
	if len(b) == 0 || b[0] != 1 {
		return runRecord{}, bad
	}
	b = b[1:]
	var rec runRecord
	var k int
	if rec.consumerID, k = binary.Uvarint(b); k <= 0 {
		return runRecord{}, bad
	}
	b = b[k:]
	if rec.deliveredMs, k = binary.Varint(b); k <= 0 {
		return runRecord{}, bad
	}
	b = b[k:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n == 0 || n > uint64(len(b)) {
		return runRecord{}, bad
	}
	b = b[k:]
	prev := first
	for i := uint64(0); i < n; i++ {
		dms, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return runRecord{}, bad
		}
		s, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 {
			return runRecord{}, bad
		}
		b = b[k1+k2:]
		id := ID{Ms: prev.Ms + dms, Seq: s}
		if dms == 0 {
			id.Seq = prev.Seq + s
		}
		if id.Ms < prev.Ms || (i > 0 && !prev.Less(id)) || (i == 0 && id.Less(first)) {
			return runRecord{}, bad // out of order, or wrapped around
		}
		ids = append(ids, id)
		prev = id
	}
	if len(b) != 0 {
		return runRecord{}, bad
	}
	rec.ids = ids
	return rec, nil
}

// loadRun adds a stored run to g (Open).
func (g *group) loadRun(first ID, rec runRecord) error {
	c := g.byID[rec.consumerID]
	if c == nil {
		return fmt.Errorf("%w: delivery run %v of unknown consumer %d", ErrCorrupt, first, rec.consumerID)
	}
	if end := g.runsEnd(); g.runs != nil && g.runs.Len() > 0 && !end.Less(first) {
		return fmt.Errorf("%w: delivery run %v overlaps the one before", ErrCorrupt, first)
	}
	if g.runs == nil {
		g.runs = newChunkSet(compareRuns)
	}
	g.runs.Insert(deliveryRun{first: first, last: rec.ids[len(rec.ids)-1], live: uint32(len(rec.ids))})
	for _, id := range rec.ids {
		e := g.pel.Insert(pendingEntry{id: id, deliveredMs: rec.deliveredMs})
		g.setOwner(e, c)
		g.setCount(e, 1)
		e.slotRun |= inRunBit
	}
	return nil
}
