package wal

import (
	"cmp"
	"math"
	"slices"
)

// A group's pending entries list (PEL) in memory: one million unacked
// entries must cost well under 64 MB. Entries are kept by value, 32 bytes
// each, in a chunkSet ordered by ID (no object and no pointer per entry);
// the owner is a consumer's slot number, not a pointer. A group with a
// redelivery policy also keeps its schedule, (due time, ID) pairs of 24
// bytes, in a second chunkSet; a group without one keeps none.
//
// Invariants (the writer goroutine owns all of it):
//  1. Every entry's owner is 0 (none: only while XCLAIM FORCE creates it)
//     or the slot of a live consumer of the group, and each consumer's
//     pending count is the number of entries it owns.
//  2. When g.cfg.Enabled(), g.due holds exactly one (dueMs(e), e.id) per
//     entry, else g.due is nil. So a change to an entry's delivery time or
//     count goes unschedule, change, schedule; a removal goes through
//     removePending.
//  3. An entry's count is its delivery count, or bigCount when that does
//     not fit (XCLAIM RETRYCOUNT may set any int64): the count is then in
//     g.bigCounts. Read and write it with count and setCount.

type pendingEntry struct {
	id          ID
	deliveredMs int64
	count       uint32 // deliveries, or bigCount: see group.bigCounts
	// slotRun is the owning consumer's slot (group.slots; 0: none), with
	// inRunBit set while the entry is stored in a delivery run (runs.go)
	// rather than in a record of its own. Read it with slot and inRun.
	slotRun uint32
}

// inRunBit marks a pending entry stored in a delivery run.
const inRunBit = 1 << 31

// slot is the owning consumer's slot; 0: none.
func (e *pendingEntry) slot() uint32 { return e.slotRun &^ inRunBit }

// inRun reports whether e is stored in a delivery run.
func (e *pendingEntry) inRun() bool { return e.slotRun&inRunBit != 0 }

// bigCount marks a delivery count kept in group.bigCounts.
const bigCount = math.MaxUint32

// dueKey is an entry of a group's redelivery schedule.
type dueKey struct {
	atMs int64 // when entry id is due (see group_config.go)
	id   ID
}

func compareIDs(a, b ID) int {
	if c := cmp.Compare(a.Ms, b.Ms); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

func comparePending(a, b pendingEntry) int { return compareIDs(a.id, b.id) }

func compareDue(a, b dueKey) int {
	if c := cmp.Compare(a.atMs, b.atMs); c != 0 {
		return c
	}
	return compareIDs(a.id, b.id)
}

func newPEL() *chunkSet[pendingEntry] { return newChunkSet(comparePending) }

// addConsumer registers c with g and gives it a slot.
func (g *group) addConsumer(c *consumer) {
	if n := len(g.freeSlots); n > 0 {
		c.slot = g.freeSlots[n-1]
		g.freeSlots = g.freeSlots[:n-1]
		g.slots[c.slot] = c
	} else {
		if len(g.slots) == 0 {
			g.slots = append(g.slots, nil) // slot 0 is "no owner"
		}
		if len(g.slots) >= inRunBit {
			panic("wal: too many consumers in one group")
		}
		c.slot = uint32(len(g.slots))
		g.slots = append(g.slots, c)
	}
	g.consumers[c.name], g.byID[c.id] = c, c
}

// removeConsumer forgets c, which owns no entry.
func (g *group) removeConsumer(c *consumer) {
	if c.pending != 0 || g.slots[c.slot] != c {
		panic("wal: removing a consumer that owns pending entries or is not registered")
	}
	g.slots[c.slot] = nil
	g.freeSlots = append(g.freeSlots, c.slot)
	delete(g.consumers, c.name)
	delete(g.byID, c.id)
}

// owner returns the consumer that owns e, or nil.
func (g *group) owner(e *pendingEntry) *consumer { return g.slots[e.slot()] }

// setOwner makes c (nil: none) the owner of e.
func (g *group) setOwner(e *pendingEntry, c *consumer) {
	if old := g.owner(e); old != nil {
		old.pending--
	}
	e.slotRun &= inRunBit
	if c != nil {
		e.slotRun |= c.slot
		c.pending++
	}
}

// count returns e's delivery count.
func (g *group) count(e *pendingEntry) int64 {
	if e.count == bigCount {
		return g.bigCounts[e.id]
	}
	return int64(e.count)
}

// setCount sets e's delivery count.
func (g *group) setCount(e *pendingEntry, n int64) {
	if n >= 0 && n < bigCount {
		if e.count == bigCount {
			delete(g.bigCounts, e.id)
		}
		e.count = uint32(n)
		return
	}
	if g.bigCounts == nil {
		g.bigCounts = make(map[ID]int64)
	}
	e.count, g.bigCounts[e.id] = bigCount, n
}

// countOneMore counts one more delivery of e (saturating).
func (g *group) countOneMore(e *pendingEntry) {
	if n := g.count(e); n < math.MaxInt64 {
		g.setCount(e, n+1)
	}
}

// getPending returns the pending entry id; the pointer is valid until the
// list changes (an insert or a removal).
func (g *group) getPending(id ID) (*pendingEntry, bool) {
	return g.pel.Get(pendingEntry{id: id})
}

// insertPending adds a new pending entry owned by c (may be nil), delivered
// count times, and schedules it.
func (g *group) insertPending(id ID, c *consumer, deliveredMs, count int64) *pendingEntry {
	e := g.pel.Insert(pendingEntry{id: id, deliveredMs: deliveredMs})
	g.setOwner(e, c)
	g.setCount(e, count)
	g.schedule(e)
	return e
}

// removePending removes entry id from the list (and from its delivery
// run), and returns its owner and delivery count, and whether it was in a
// run rather than in a record of its own.
func (g *group) removePending(id ID) (owner *consumer, count int64, inRun, ok bool) {
	ci, pos, ok := g.pel.find(pendingEntry{id: id})
	if !ok {
		return nil, 0, false, false
	}
	e := g.pel.at(ci, pos)
	inRun = e.inRun()
	g.leaveRun(e)
	g.unschedule(e)
	owner, count = g.owner(e), g.count(e)
	g.setOwner(e, nil)
	g.setCount(e, 0)
	g.pel.deleteAt(ci, pos)
	return owner, count, inRun, true
}

// ownedBy returns the IDs of the entries c owns.
func (g *group) ownedBy(c *consumer) []ID {
	var ids []ID
	g.pel.Scan(func(e *pendingEntry) bool {
		if e.slot() == c.slot {
			ids = append(ids, e.id)
		}
		return true
	})
	return ids
}

// dueMs is when e is due for redelivery under g's policy.
func (g *group) dueMs(e *pendingEntry) int64 {
	return e.deliveredMs + g.cfg.WaitMs(g.count(e))
}

// schedule indexes e by when it is due, when g has a redelivery policy.
// Call it after any change to e's delivery time or count, with unschedule
// before the change.
func (g *group) schedule(e *pendingEntry) {
	if !g.cfg.Enabled() {
		return
	}
	if g.due == nil {
		g.due = newChunkSet(compareDue)
	}
	g.due.Insert(dueKey{atMs: g.dueMs(e), id: e.id})
}

// unschedule removes e from the redelivery schedule.
func (g *group) unschedule(e *pendingEntry) {
	if g.due != nil {
		g.due.Delete(dueKey{atMs: g.dueMs(e), id: e.id})
	}
}

// rescheduleAll rebuilds the redelivery schedule (after a config change,
// or at load), in due order so that its chunks fill.
func (g *group) rescheduleAll() {
	g.due = nil
	if !g.cfg.Enabled() || g.pel.Len() == 0 {
		return
	}
	keys := make([]dueKey, 0, g.pel.Len())
	g.pel.Scan(func(e *pendingEntry) bool {
		keys = append(keys, dueKey{atMs: g.dueMs(e), id: e.id})
		return true
	})
	slices.SortFunc(keys, compareDue)
	g.due = newChunkSet(compareDue)
	for _, k := range keys {
		g.due.Insert(k)
	}
}

// dueEntries returns the IDs of up to limit (0: no limit) pending entries
// due at nowMs for which want is true, earliest first.
func (g *group) dueEntries(nowMs int64, limit int, want func(*pendingEntry) bool) []ID {
	if g.due == nil {
		return nil
	}
	var out []ID
	var stale []dueKey
	g.due.Scan(func(k *dueKey) bool {
		if k.atMs > nowMs {
			return false
		}
		e, ok := g.getPending(k.id)
		if !ok || g.dueMs(e) != k.atMs {
			stale = append(stale, *k) // invariant 2 broken: repair, go on
			return true
		}
		if want(e) {
			out = append(out, e.id)
		}
		return limit <= 0 || len(out) < limit
	})
	if len(stale) > 0 {
		g.rescheduleAll()
		return g.dueEntries(nowMs, limit, want)
	}
	return out
}
