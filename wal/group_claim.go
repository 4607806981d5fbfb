package wal

import (
	"errors"
	"math"
	"sort"

	"github.com/cockroachdb/pebble/v2"
)

// Claims move pending entries between the consumers of a group (XCLAIM,
// XAUTOCLAIM, XREADGROUP ... CLAIM), and reference-aware deletes remove
// entries with a say over the groups' pending entries lists (XACKDEL,
// XDELEX, and XTRIM/XADD with KEEPREF, DELREF or ACKED).
//
// Invariants, on top of those of group.go:
//  1. Every op here reads the channel's entries (does an entry still
//     exist?), so it runs on an indexed batch with nothing in flight
//     (needsReads): what it sees is exactly the state every earlier
//     command left, and applying it again to the same state gives the
//     same result. The only clock is the request's time (nowMs).
//  2. A pending entry that changes owner, delivery time or count is
//     rescheduled (group.schedule) and rewritten (encodePending) in the
//     same batch; one that leaves the list is unscheduled first and its
//     key deleted. The consumers it touches are rewritten (writeConsumer)
//     and the group is touched (touchGroup), so its summary and record
//     follow.
//  3. A pending entry whose stream entry is gone is never handed to a
//     consumer: XCLAIM and XAUTOCLAIM drop it from the list (Redis 7),
//     XREADGROUP CLAIM skips it (Redis 8.4).

// errNeedsIndexedBatch is a programming error (an op of this file was
// applied without needsReads sending it to an indexed batch); like a
// failed batch, it stops the log.
var errNeedsIndexedBatch = errors.New("wal: claim or reference-aware delete applied outside an indexed batch")

// entryExists reports whether ch holds id, as of everything applied so far.
func (l *Log) entryExists(b *pendingBatch, ch *channel, id ID) (bool, error) {
	m := &ch.w
	if !ch.exists || m.Length == 0 || id.Less(m.FirstID) || m.LastID.Less(id) {
		return false, nil
	}
	if !b.indexed {
		b.setErr(errNeedsIndexedBatch)
		return false, errNeedsIndexedBatch
	}
	l.w.keyBuf = entryKey(l.w.keyBuf, l.shard, ch.cid, id)
	_, closer, err := b.pb.Get(l.w.keyBuf)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err == nil {
		err = closer.Close()
	}
	b.setErr(err) // a failed read of the batch: this batch must not commit
	return err == nil, err
}

// writePending stores e (its owner, delivery time and count) in b, in a
// record of its own: an entry that changed leaves its delivery run.
func (l *Log) writePending(b *pendingBatch, ch *channel, g *group, e *pendingEntry) {
	g.leaveRun(e)
	l.w.keyBuf = pendingKey(l.w.keyBuf, l.shard, ch.cid, g.gid, e.id)
	l.w.valBuf = encodePending(l.w.valBuf[:0], g, e)
	b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
	l.touchGroup(b, ch, g)
}

// forgetPending removes entry id from the group's pending entries list and
// from storage (its record, or its place in a delivery run), and returns
// its owner and delivery count.
func (l *Log) forgetPending(b *pendingBatch, ch *channel, g *group, id ID) (owner *consumer, count int64, ok bool) {
	owner, count, inRun, ok := g.removePending(id)
	if !ok {
		return nil, 0, false
	}
	if !inRun {
		b.setErr(b.pb.Delete(pendingKey(l.w.keyBuf, l.shard, ch.cid, g.gid, id), nil))
	}
	l.touchGroup(b, ch, g)
	return owner, count, true
}

// dropPending removes entry id from the group's pending entries list.
func (l *Log) dropPending(b *pendingBatch, ch *channel, g *group, id ID) {
	l.forgetPending(b, ch, g, id)
}

// claimEntry makes c the owner of e, delivered at deliveredMs. The delivery
// count is set to retryCount when it is not negative, else counted up
// unless justID.
func (l *Log) claimEntry(b *pendingBatch, ch *channel, g *group, c *consumer, e *pendingEntry, deliveredMs, retryCount int64, justID bool) {
	g.unschedule(e)
	if e.slot() != c.slot {
		g.setOwner(e, c)
	}
	e.deliveredMs = deliveredMs
	switch {
	case retryCount >= 0:
		g.setCount(e, retryCount)
	case !justID:
		g.countOneMore(e)
	}
	g.schedule(e)
	l.writePending(b, ch, g, e)
}

// claimGroup finds the group p names and the consumer that claims, which
// is created if needed (Redis 7.2: before anything is claimed) and marked
// seen.
func (l *Log) claimGroup(b *pendingBatch, p op, nowMs int64) (*channel, *group, *consumer, error) {
	if p.Claim == nil {
		return nil, nil, nil, errors.New("wal: claim command without its ClaimInput")
	}
	ch, g, err := l.groupFor(p)
	if err != nil {
		return nil, nil, nil, ErrNoGroup
	}
	c, created := l.consumerFor(b, ch, g, p.Consumer, nowMs, true)
	p.ConsumerCreated = created
	c.seenMs = nowMs
	l.touchGroup(b, ch, g)
	return ch, g, c, nil
}

// idleEnough reports whether e may be claimed by a claim with minIdleMs.
func idleEnough(e *pendingEntry, minIdleMs, nowMs int64) bool {
	return minIdleMs <= 0 || nowMs-e.deliveredMs >= minIdleMs
}

// applyClaim serves XCLAIM: each ID of p.IDs that is pending (or, with
// FORCE, exists in the channel) and idle enough becomes the consumer's,
// in the order given; pending IDs whose entry is gone leave the list. The
// claimed IDs replace p.IDs.
func (l *Log) applyClaim(b *pendingBatch, p op, nowMs int64) {
	ch, g, c, err := l.claimGroup(b, p, nowMs)
	if err != nil {
		p.Err = err
		return
	}
	a := p.Claim
	if g.lastID.Less(a.LastID) {
		g.lastID = a.LastID // the entries-read counter stays, as in Redis
	}
	deliveredMs := claimDeliveryMs(a, nowMs)
	// New memory: a command is an input and stays as it was given.
	claimed := make([]ID, 0, len(p.Command.IDs))
	for _, id := range p.Command.IDs {
		exists, err := l.entryExists(b, ch, id)
		if err != nil {
			p.Err = err
			return
		}
		e, pending := g.getPending(id)
		switch {
		case !exists:
			if pending {
				l.dropPending(b, ch, g, id)
			}
			continue
		case !pending && !a.Force:
			continue
		case !pending:
			e = g.insertPending(id, nil, 0, 1) // FORCE: no owner, so no idle check
		case !idleEnough(e, a.MinIdleMs, nowMs):
			continue
		case g.exhausted(e) && (a.RetryCount < 0 || g.cfg.Exhausted(a.RetryCount)):
			continue // MAXDELIVER used up, and no RETRYCOUNT that resets it
		}
		l.claimEntry(b, ch, g, c, e, deliveredMs, a.RetryCount, a.JustID)
		c.activeMs = nowMs
		claimed = append(claimed, id)
	}
	p.Result.IDs, p.N = claimed, int64(len(claimed))
	l.writeConsumer(b, ch, g, c)
}

// claimDeliveryMs is the delivery time XCLAIM sets: IDLE or TIME when
// given and sane (not negative, not in the future), else the request's
// time.
func claimDeliveryMs(a *ClaimInput, nowMs int64) int64 {
	ms := nowMs
	switch a.Delivery {
	case DeliveryIdle:
		ms = nowMs - a.DeliveryMs
		if a.DeliveryMs < 0 && ms < nowMs { // wrapped around, as C would
			ms = -1
		}
	case DeliveryTime:
		ms = a.DeliveryMs
	}
	if ms < 0 || ms > nowMs {
		ms = nowMs
	}
	return ms
}

// autoClaimAttemptsPerCount bounds XAUTOCLAIM's scan: COUNT times this many
// pending entries at most, as Redis does.
const autoClaimAttemptsPerCount = 10

// applyAutoClaim serves XAUTOCLAIM: it scans the pending entries list from
// Claim.Start, claiming idle entries until Count entries were claimed or
// dropped (entries no longer in the channel leave the list and are listed
// in Claim.Deleted) or Count*10 entries were looked at. The claimed IDs
// are in p.IDs; Claim.Next is where to go on.
func (l *Log) applyAutoClaim(b *pendingBatch, p op, nowMs int64) {
	ch, g, c, err := l.claimGroup(b, p, nowMs)
	if err != nil {
		p.Err = err
		return
	}
	a := p.Claim
	count := int64(max(p.Count, 1))
	attempts := count * autoClaimAttemptsPerCount
	if attempts/autoClaimAttemptsPerCount != count {
		attempts = math.MaxInt64
	}
	p.Result.IDs, p.Deleted = nil, nil
	cursor, more := a.Start, true
	for ; more && attempts > 0 && count > 0; attempts-- {
		e := g.firstPendingFrom(cursor)
		if e == nil {
			more = false
			break
		}
		id := e.id
		cursor, more = id.Next()
		exists, err := l.entryExists(b, ch, id)
		if err != nil {
			p.Err = err
			return
		}
		if !exists {
			l.dropPending(b, ch, g, id) // e is no longer valid
			p.Deleted = append(p.Deleted, id)
			count--
			continue
		}
		if !idleEnough(e, a.MinIdleMs, nowMs) || g.exhausted(e) {
			continue
		}
		l.claimEntry(b, ch, g, c, e, nowMs, -1, a.JustID)
		c.activeMs = nowMs
		p.Result.IDs = append(p.Result.IDs, id)
		count--
	}
	p.Next = ID{}
	if more {
		if e := g.firstPendingFrom(cursor); e != nil {
			p.Next = e.id
		}
	}
	p.N = int64(len(p.Result.IDs))
	l.writeConsumer(b, ch, g, c)
}

// firstPendingFrom returns the first pending entry at or after id, or nil;
// the pointer is valid until the list changes.
func (g *group) firstPendingFrom(id ID) *pendingEntry {
	var found *pendingEntry
	g.pel.Ascend(pendingEntry{id: id}, func(e *pendingEntry) bool {
		found = e
		return false
	})
	return found
}

// applyClaimIdle serves the CLAIM option of XREADGROUP ... >: the pending
// entries idle at least Claim.MinIdleMs go to the consumer, idlest first
// (by delivery time, then ID), at most p.Count of them (0: all); entries
// no longer in the channel are skipped and stay pending, as in Redis 8.4.
// NOACK does not apply to them. With Claim.ThenRead the command then
// delivers new entries as OpGroupRead does, up to the rest of p.Count.
func (l *Log) applyClaimIdle(b *pendingBatch, p op, nowMs int64) {
	ch, g, c, err := l.claimGroup(b, p, nowMs)
	if err != nil {
		p.Err = err
		return
	}
	a := p.Claim
	p.Claimed = p.Claimed[:0]
	idle, err := l.idleEntries(b, ch, g, p, p.Count, nowMs)
	if err != nil {
		p.Err = err
		return
	}
	for _, id := range idle {
		e, _ := g.getPending(id)
		p.Claimed = append(p.Claimed, ClaimedEntry{ID: id, IdleMs: max(nowMs-e.deliveredMs, 0), Count: g.count(e)})
		l.claimEntry(b, ch, g, c, e, nowMs, -1, false)
	}
	if len(idle) > 0 {
		c.activeMs = nowMs
	}
	l.writeConsumer(b, ch, g, c)
	if !a.ThenRead {
		return
	}
	count := p.Count
	if count > 0 {
		if len(idle) >= count {
			return // COUNT is used up by the claimed entries
		}
		p.Count = count - len(idle)
		defer func() { p.Count = count }()
	}
	l.applyGroupRead(b, p, nowMs)
}

// idleEntries returns the IDs of the pending entries of g that still exist
// and are idle at least a.MinIdleMs, idlest first, at most limit of them
// (0: all), and sets p.WakeMs from those it leaves.
func (l *Log) idleEntries(b *pendingBatch, ch *channel, g *group, p op, limit int, nowMs int64) ([]ID, error) {
	a := p.Claim
	var candidates []pendingEntry
	p.WakeMs = 0
	g.pel.Scan(func(e *pendingEntry) bool {
		if g.exhausted(e) {
			return true // the broker dead-letters it
		}
		if idleEnough(e, a.MinIdleMs, nowMs) {
			candidates = append(candidates, *e)
		} else if wake := satAdd(e.deliveredMs, a.MinIdleMs); p.WakeMs == 0 || wake < p.WakeMs {
			p.WakeMs = wake
		}
		return true
	})
	sort.Slice(candidates, func(i, j int) bool {
		x, y := candidates[i], candidates[j]
		if x.deliveredMs != y.deliveredMs {
			return x.deliveredMs < y.deliveredMs
		}
		return x.id.Less(y.id)
	})
	var out []ID
	for _, e := range candidates {
		if limit > 0 && len(out) >= limit {
			// Left pending and already idle: a reader may come back at once.
			p.WakeMs = nowMs
			break
		}
		exists, err := l.entryExists(b, ch, e.id)
		if err != nil {
			return nil, err
		}
		if exists {
			out = append(out, e.id)
		}
	}
	return out, nil
}

// satAdd adds two non-negative times without overflowing.
func satAdd(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// referenced reports whether some group of ch still needs entry id: it has
// not read it yet, or it is in its pending entries list (Redis's
// streamEntryIsReferenced).
func (ch *channel) referenced(id ID) bool {
	for _, g := range ch.groups {
		if g.lastID.Less(id) {
			return true
		}
		if _, ok := g.getPending(id); ok {
			return true
		}
	}
	return false
}

// dropReferences removes id from every group's pending entries list
// (DELREF).
func (l *Log) dropReferences(b *pendingBatch, ch *channel, id ID) {
	for _, g := range ch.groups {
		if _, ok := g.getPending(id); ok {
			l.dropPending(b, ch, g, id)
		}
	}
}

// deleteEntry deletes one entry as XDEL does (the channel's length, bytes,
// first ID and largest deleted ID follow) and reports whether it existed.
func (l *Log) deleteEntry(b *pendingBatch, ch *channel, id ID) (bool, error) {
	if !ch.exists {
		return false, nil
	}
	if !b.indexed {
		b.setErr(errNeedsIndexedBatch)
		return false, errNeedsIndexedBatch
	}
	key := entryKey(l.w.keyBuf, l.shard, ch.cid, id)
	l.w.keyBuf = key
	v, closer, err := b.pb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		b.setErr(err)
		return false, err
	}
	size := entrySize(len(v))
	if err := closer.Close(); err != nil {
		b.setErr(err)
		return false, err
	}
	b.setErr(b.pb.Delete(key, nil))
	ch.entryRemoved(id)
	m := &ch.w
	m.Length--
	m.Bytes -= min(size, m.Bytes)
	if m.MaxDeletedID.Less(id) {
		m.MaxDeletedID = id
	}
	if id == m.FirstID {
		if m.FirstID, err = l.firstFrom(b, ch, id); err != nil {
			b.setErr(err)
			return true, err
		}
	}
	l.touch(b, ch, true)
	return true, nil
}

// applyDeleteEx serves XDELEX: each ID of p.IDs is deleted as p.Ref says,
// with its result in p.Codes. A missing channel deletes nothing.
func (l *Log) applyDeleteEx(b *pendingBatch, p op) {
	p.Codes = make([]int8, len(p.Command.IDs))
	ch := l.lookup(p.Channel)
	for i, id := range p.Command.IDs {
		p.Codes[i] = CodeNotFound
		if ch == nil || !ch.exists {
			continue
		}
		switch p.Ref {
		case RefAcked:
			if ch.referenced(id) {
				p.Codes[i] = CodeReferenced
				continue
			}
		case RefDelete:
			l.dropReferences(b, ch, id) // even when the entry itself is gone
		}
		deleted, err := l.deleteEntry(b, ch, id)
		if err != nil {
			p.Err = err
			return
		}
		if deleted {
			p.Codes[i] = CodeDeleted
			p.N++
		}
	}
}

// applyAckDel serves XACKDEL: each ID of p.IDs pending in the group is
// acknowledged, then deleted from the channel as p.Ref says (code 1, also
// when the entry was already gone, or 2 when ACKED finds another group
// still needs it); an ID that is not pending is left alone (-1). A missing
// channel or group answers -1 for every ID.
func (l *Log) applyAckDel(b *pendingBatch, p op) {
	p.Codes = make([]int8, len(p.Command.IDs))
	for i := range p.Codes {
		p.Codes[i] = CodeNotFound
	}
	ch, g, err := l.groupFor(p)
	if err != nil {
		return
	}
	for i, id := range p.Command.IDs {
		if _, ok := g.getPending(id); !ok {
			continue
		}
		l.dropPending(b, ch, g, id)
		switch p.Ref {
		case RefAcked:
			if ch.referenced(id) {
				p.Codes[i] = CodeReferenced
				continue
			}
		case RefDelete:
			l.dropReferences(b, ch, id)
		}
		deleted, err := l.deleteEntry(b, ch, id)
		if err != nil {
			p.Err = err
			return
		}
		if deleted {
			p.N++
		}
		p.Codes[i] = CodeDeleted
	}
}

// applyTrimRef serves XTRIM with a reference policy; KEEPREF trims as
// OpTrim does.
func (l *Log) applyTrimRef(b *pendingBatch, p op) {
	ch := l.lookup(p.Channel)
	if ch == nil || !ch.exists {
		return
	}
	p.N, p.Err = l.trimRef(b, ch, &p.Trim, p.Ref)
}

// trimRef trims ch as t says, with a reference policy (XADD and XTRIM with
// KEEPREF, DELREF or ACKED). KEEPREF is the plain trim (one range
// deletion). DELREF and ACKED go entry by entry from the oldest, as Redis
// does for them (so "~" trims exactly, up to LIMIT, even without groups):
// DELREF also removes each deleted entry from every group's pending
// entries list; ACKED skips the entries some group still needs and goes
// on, until the channel is within the bound or LIMIT entries were deleted.
// Like every trim, it leaves the largest deleted ID alone.
func (l *Log) trimRef(b *pendingBatch, ch *channel, t *Trim, ref RefPolicy) (int64, error) {
	if ref == RefKeep {
		return l.trim(b, ch, t)
	}
	exact := *t
	exact.Approx = false // Redis trims whole nodes only with KEEPREF; LIMIT still applies
	if len(ch.groups) == 0 {
		return l.trim(b, ch, &exact) // nothing references the entries
	}
	m := &ch.w
	if m.Length == 0 || !trimMayRemove(ch, &exact, 0) {
		return 0, nil
	}
	if !b.indexed {
		b.setErr(errNeedsIndexedBatch)
		return 0, errNeedsIndexedBatch
	}
	r, err := l.scanRefTrim(b, ch, &exact, ref)
	if err == nil && r.deleted > 0 && !r.hasFirst && m.Length > 0 {
		// The oldest survivor is where the scan stopped, or after it.
		r.first, err = l.firstFrom(b, ch, r.lastDel)
	}
	if err != nil {
		b.setErr(err) // the channel's state is half changed: this batch must not commit
		return 0, err
	}
	if r.deleted == 0 {
		return 0, nil
	}
	_, upper := channelEntryBounds(l.shard, ch.cid)
	for _, run := range r.runs {
		end := upper
		if next, ok := run[1].Next(); ok {
			end = entryKey(nil, l.shard, ch.cid, next)
		}
		b.setErr(b.pb.DeleteRange(entryKey(nil, l.shard, ch.cid, run[0]), end, nil))
	}
	l.skipTrimmed(b, ch, r.lastDel)
	m.FirstID = ID{}
	if m.Length > 0 {
		m.FirstID = r.first
	}
	l.touch(b, ch, true)
	return r.deleted, nil
}

// refTrim is what a reference-aware trim removes.
type refTrim struct {
	runs     [][2]ID // runs of deleted entries with no survivor between
	deleted  int64
	lastDel  ID
	first    ID // the oldest entry that stays, when hasFirst
	hasFirst bool
}

// scanRefTrim walks ch's entries from the oldest and picks those trimRef
// deletes, updating the channel's length and bytes and the groups'
// references and unread counts as it goes; the entries themselves are
// deleted by the caller.
func (l *Log) scanRefTrim(b *pendingBatch, ch *channel, t *Trim, ref RefPolicy) (refTrim, error) {
	var r refTrim
	m := &ch.w
	lower, upper := channelEntryBounds(l.shard, ch.cid)
	it, err := b.pb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return r, err
	}
	defer it.Close()
	inRun := false
	for ok := it.First(); ok && !trimDone(m, t, r.deleted); ok = it.Next() {
		_, id, err := decodeEntryKey(it.Key())
		if err != nil {
			return r, err
		}
		if t.Strategy == TrimMinID && !id.Less(t.MinID) {
			break
		}
		if ref == RefAcked && ch.referenced(id) {
			if !r.hasFirst {
				r.first, r.hasFirst = id, true
			}
			inRun = false
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return r, err
		}
		if ref == RefDelete {
			l.dropReferences(b, ch, id)
		}
		for _, g := range ch.groups {
			if g.lastID.Less(id) {
				g.trimmedUnread++ // (DELREF) a group never saw this entry
			}
		}
		if inRun {
			r.runs[len(r.runs)-1][1] = id
		} else {
			r.runs, inRun = append(r.runs, [2]ID{id, id}), true
		}
		ch.entryRemoved(id)
		m.Length--
		m.Bytes -= min(entrySize(len(v)), m.Bytes)
		r.deleted++
		r.lastDel = id
	}
	return r, it.Error()
}

// trimDone reports whether a reference-aware trim has done what t asks
// (MINID stops at the first entry it keeps, in trimRef).
func trimDone(m *Meta, t *Trim, deleted int64) bool {
	if t.Limit > 0 && deleted >= t.Limit {
		return true
	}
	switch t.Strategy {
	case TrimMaxLen:
		return m.Length <= t.MaxLen
	case TrimMaxBytes:
		return m.Bytes <= t.MaxBytes
	case TrimMinID:
		return m.Length == 0
	}
	return true
}
