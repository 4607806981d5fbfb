package wal

import (
	"github.com/cockroachdb/pebble/v2"
)

// touchedGroup is a group changed by a batch, with its summary taken when
// the batch is sealed.
type touchedGroup struct {
	ch   *channel
	g    *group
	info *GroupInfo // nil when the group was destroyed
	// wake: the group held a read back and now has room (group_limit.go).
	wake bool
}

func (l *Log) touchGroup(b *pendingBatch, ch *channel, g *group) {
	if g.lastBatch == b.num {
		return
	}
	g.lastBatch = b.num
	b.touchedGroups = append(b.touchedGroups, touchedGroup{ch: ch, g: g})
}

// sealGroups writes every touched group's record and snapshots its summary.
func (l *Log) sealGroups(b *pendingBatch) {
	for i := range b.touchedGroups {
		t := &b.touchedGroups[i]
		if t.g.dropped {
			continue
		}
		l.flushRuns(b, t.ch, t.g)
		l.w.keyBuf = groupKey(l.w.keyBuf, l.shard, t.ch.cid, []byte(t.g.name))
		l.w.valBuf = encodeGroup(l.w.valBuf[:0], t.g)
		b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
		t.info = t.g.info()
		t.wake = t.g.roomAppeared()
	}
}

// publishGroups makes the sealed summaries the readers' view: one new map
// per channel per batch, whatever the number of groups touched.
func publishGroups(touched []touchedGroup) {
	if len(touched) == 0 {
		return
	}
	byChannel := make(map[*channel][]touchedGroup, 1)
	for _, t := range touched {
		byChannel[t.ch] = append(byChannel[t.ch], t)
	}
	for ch, ts := range byChannel {
		ch.mu.Lock()
		next := make(map[string]*GroupInfo, len(ch.durableGroups)+1)
		for k, v := range ch.durableGroups {
			next[k] = v
		}
		wakeReaders := false
		for _, t := range ts {
			if t.info == nil {
				delete(next, t.g.name)
				wakeReaders = true
			} else {
				next[t.g.name] = t.info
				wakeReaders = wakeReaders || t.wake
			}
		}
		ch.durableGroups = next
		var wake chan struct{}
		if wakeReaders {
			// Readers blocked on a group learn that it is gone, or that
			// it has room for new entries again (Watch).
			wake, ch.waitCh = ch.waitCh, nil
		}
		ch.mu.Unlock()
		if wake != nil {
			close(wake)
		}
	}
}

// groupFor finds the channel and group a command names.
func (l *Log) groupFor(p op) (*channel, *group, error) {
	ch := l.lookup(p.Channel)
	if ch == nil || !ch.exists {
		return nil, nil, ErrNoStream
	}
	g := ch.groups[string(p.Group)]
	if g == nil {
		return ch, nil, ErrNoGroup
	}
	return ch, g, nil
}

func (l *Log) applyGroupCreate(b *pendingBatch, p op) {
	ch := l.lookup(p.Channel)
	if ch == nil || !ch.exists {
		if !p.MkStream {
			p.Err = ErrNoStream
			return
		}
		ch = l.channelForWrite(b, p.Channel)
		p.Created = true
	}
	if ch.groups[string(p.Group)] != nil {
		p.Err = ErrGroupExists
		return
	}
	g := newGroup(string(p.Group), l.allocID(b))
	l.setGroupCursor(ch, g, p)
	if p.Config != nil {
		g.cfg = *p.Config
	}
	ch.addGroup(g)
	l.setRedelivery(ch, g)
	l.touchGroup(b, ch, g)
}

func (l *Log) setGroupCursor(ch *channel, g *group, p op) {
	if p.AtLastID {
		g.lastID, g.entriesRead = ch.w.LastID, int64(ch.w.EntriesAdded)
		return
	}
	g.lastID, g.entriesRead = p.Spec.ID, p.EntriesRead
}

func (l *Log) applyGroupSetID(b *pendingBatch, p op) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		p.Err = err
		return
	}
	l.setGroupCursor(ch, g, p)
	l.touchGroup(b, ch, g)
}

func (l *Log) applyGroupDestroy(b *pendingBatch, p op) {
	ch, g, err := l.groupFor(p)
	if err == ErrNoGroup {
		return
	}
	if err != nil {
		p.Err = err
		return
	}
	b.setErr(b.pb.Delete(groupKey(l.w.keyBuf, l.shard, ch.cid, p.Group), nil))
	for _, kind := range []byte{prefixConsumer, prefixPending, prefixRun} {
		lower, upper := prefixBounds(groupPrefix(kind, l.shard, ch.cid, g.gid))
		b.setErr(b.pb.DeleteRange(lower, upper, nil))
	}
	delete(ch.groups, g.name)
	delete(ch.groupByGID, g.gid)
	g.dropped = true
	l.setRedelivery(ch, g)
	l.touchGroup(b, ch, g)
	p.N = 1
}

// consumerFor returns the named consumer, creating it when create is set.
func (l *Log) consumerFor(b *pendingBatch, ch *channel, g *group, name []byte, nowMs int64, create bool) (*consumer, bool) {
	if c := g.consumers[string(name)]; c != nil {
		return c, false
	}
	if !create {
		return nil, false
	}
	c := &consumer{name: string(name), id: g.nextCID, seenMs: nowMs}
	g.nextCID++
	g.addConsumer(c)
	l.writeConsumer(b, ch, g, c)
	return c, true
}

func (l *Log) writeConsumer(b *pendingBatch, ch *channel, g *group, c *consumer) {
	l.w.keyBuf = consumerKey(l.w.keyBuf, l.shard, ch.cid, g.gid, c.name)
	l.w.valBuf = encodeConsumer(l.w.valBuf[:0], c)
	b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
}

func (l *Log) applyConsumerCreate(b *pendingBatch, p op, nowMs int64) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		p.Err = err
		return
	}
	if _, created := l.consumerFor(b, ch, g, p.Consumer, nowMs, true); created {
		p.N, p.ConsumerCreated = 1, true
	}
	l.touchGroup(b, ch, g)
}

func (l *Log) applyConsumerDelete(b *pendingBatch, p op) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		p.Err = err
		return
	}
	c := g.consumers[string(p.Consumer)]
	if c == nil {
		return
	}
	owned := g.ownedBy(c)
	for _, id := range owned {
		l.forgetPending(b, ch, g, id)
	}
	p.N, p.ConsumerDeleted = int64(len(owned)), true
	b.setErr(b.pb.Delete(consumerKey(l.w.keyBuf, l.shard, ch.cid, g.gid, c.name), nil))
	g.removeConsumer(c)
	l.touchGroup(b, ch, g)
}

// applyGroupRead delivers up to p.Count entries after the group's cursor to
// the consumer, adding them to the pending entries list (unless NoAck). The
// delivered entries are contiguous in the log: p.ID..p.LastID. It delivers
// every entry applied before it, durable or not (the same on every
// replica, however requests were batched): the delivery is in the same
// atomic batch as those entries or a later one, so it is acknowledged only
// once they are durable (needsReads puts a read of entries not yet
// durable on an indexed batch, which sees them).
func (l *Log) applyGroupRead(b *pendingBatch, p op, nowMs int64) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		p.Err = ErrNoGroup
		return
	}
	c, created := l.consumerFor(b, ch, g, p.Consumer, nowMs, true)
	p.ConsumerCreated = p.ConsumerCreated || created // OpClaimIdle may have created it
	c.seenMs = nowMs
	l.touchGroup(b, ch, g)
	defer l.writeConsumer(b, ch, g, c)
	p.Result.IDs = p.Result.IDs[:0]
	l.redeliverDue(b, ch, g, c, p, p.Count, nowMs)
	if len(p.Result.IDs) > 0 {
		c.activeMs = nowMs
		if p.Count > 0 && len(p.Result.IDs) >= p.Count {
			return
		}
	}
	if !ch.exists || !g.lastID.Less(ch.w.LastID) {
		return
	}
	if err := l.deliverRange(b, ch, g, c, p, ch.w.LastID, nowMs); err != nil {
		p.Err = err
		return
	}
	if p.N > 0 {
		c.activeMs = nowMs
		l.advanceEntriesRead(ch, g, p)
		g.lastID = p.LastID
	}
}

func (l *Log) deliverRange(b *pendingBatch, ch *channel, g *group, c *consumer, p op, upper ID, nowMs int64) error {
	start, _ := g.lastID.Next()
	end, ok := upper.Next()
	l.w.ids = l.w.ids[:0]
	defer func() {
		if cap(l.w.ids) > 1<<16 {
			l.w.ids = nil // an unbounded read: do not keep its buffer
		}
	}()
	opts := &pebble.IterOptions{LowerBound: entryKey(nil, l.shard, ch.cid, start)}
	if ok {
		opts.UpperBound = entryKey(nil, l.shard, ch.cid, end)
	} else {
		_, opts.UpperBound = channelEntryBounds(l.shard, ch.cid)
	}
	var it *pebble.Iterator
	var err error
	if b.indexed {
		it, err = b.pb.NewIter(opts)
	} else {
		// Every entry of ch is durable (needsReads): the durable view
		// has them, and costs less than an indexed batch.
		v := l.views.acquire()
		if v == nil {
			return ErrClosed
		}
		defer l.views.release(v)
		it, err = v.snap.NewIter(opts)
	}
	if err != nil {
		return err
	}
	defer it.Close()
	limit := int64(p.Count - len(p.Result.IDs)) // redelivered entries count against COUNT
	room := g.pendingRoom(p)                    // -1: no pending limit (group_limit.go)
	valid := it.First()
	for ; valid && (p.Count <= 0 || p.N < limit) && (room < 0 || p.N < room); valid = it.Next() {
		_, id, err := decodeEntryKey(it.Key())
		if err != nil {
			return err
		}
		if p.N == 0 {
			p.ID = id
		}
		if p.WantEntries {
			v, err := it.ValueAndErr()
			if err != nil {
				return err
			}
			p.Entries = appendDelivered(p.Entries, id, v)
		}
		p.LastID = id
		p.N++
		if !p.NoAck {
			l.w.ids = append(l.w.ids, id)
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if valid && room >= 0 && p.N >= room && (p.Count <= 0 || p.N < limit) {
		g.holdBack(p) // an entry is left that COUNT would have taken
	}
	l.deliverNew(b, ch, g, c, l.w.ids, nowMs)
	return nil
}

// redeliver hands a pending entry to c once more; restart sets its
// delivery count to 1 instead of counting one more.
func (g *group) redeliver(e *pendingEntry, c *consumer, nowMs int64, restart bool) {
	g.unschedule(e)
	g.setOwner(e, c)
	e.deliveredMs = nowMs
	if restart {
		g.setCount(e, 1)
	} else {
		g.countOneMore(e)
	}
	g.schedule(e)
}

// addPending records a delivery of id to c. An entry already pending (the
// cursor was moved back with SETID) changes owner, and its delivery count
// starts again at 1, as in Redis.
func (l *Log) addPending(b *pendingBatch, ch *channel, g *group, c *consumer, id ID, nowMs int64) {
	e, ok := g.getPending(id)
	if ok {
		g.redeliver(e, c, nowMs, true)
	} else {
		e = g.insertPending(id, c, nowMs, 1)
	}
	l.writePending(b, ch, g, e)
}

// advanceEntriesRead keeps the group's entries-read counter, as Redis does:
// counted while no entry after the cursor was deleted, else estimated.
func (l *Log) advanceEntriesRead(ch *channel, g *group, p op) {
	m := &ch.w
	if m.HasTombstonesFrom(p.ID) {
		g.entriesRead = m.EstimateEntriesRead(p.LastID)
		return
	}
	if g.entriesRead != EntriesReadUnknown {
		g.entriesRead += p.N
		return
	}
	// Redis estimates at the first entry delivered, then counts.
	if first := m.EstimateEntriesRead(p.ID); first != EntriesReadUnknown {
		g.entriesRead = first + p.N - 1
		return
	}
	g.entriesRead = m.EstimateEntriesRead(p.LastID)
}

func (l *Log) applyAck(b *pendingBatch, p op) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		return // XACK on a missing key or group acknowledges nothing
	}
	for _, id := range p.Command.IDs {
		if _, _, ok := l.forgetPending(b, ch, g, id); ok {
			p.N++
		}
	}
	if p.N > 0 {
		l.touchGroup(b, ch, g)
	}
}

// applyGroupHistory serves XREADGROUP with an ID: the consumer's pending
// entries after p.Spec.ID (at most p.Count), each counted as delivered once
// more, as Redis does. Their IDs replace p.IDs.
func (l *Log) applyGroupHistory(b *pendingBatch, p op, nowMs int64) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		p.Err = ErrNoGroup
		return
	}
	c, created := l.consumerFor(b, ch, g, p.Consumer, nowMs, true)
	p.ConsumerCreated = created
	c.seenMs = nowMs
	p.Result.IDs = p.Result.IDs[:0]
	start, ok := p.Spec.ID.Next()
	if ok {
		g.pel.Ascend(pendingEntry{id: start}, func(e *pendingEntry) bool {
			if e.slot() != c.slot || g.exhausted(e) {
				return true
			}
			g.unschedule(e)
			e.deliveredMs = nowMs
			g.countOneMore(e)
			g.schedule(e)
			l.writePending(b, ch, g, e)
			p.Result.IDs = append(p.Result.IDs, e.id)
			return p.Count <= 0 || len(p.Result.IDs) < p.Count
		})
	}
	p.N = int64(len(p.Result.IDs))
	l.writeConsumer(b, ch, g, c)
	l.touchGroup(b, ch, g)
}

// dropGroups removes every group of a channel being dropped.
func (l *Log) dropGroups(b *pendingBatch, ch *channel) {
	for _, kind := range []byte{prefixGroup, prefixConsumer, prefixPending, prefixRun} {
		lower, upper := prefixBounds(channelPrefix(kind, l.shard, ch.cid))
		b.setErr(b.pb.DeleteRange(lower, upper, nil))
	}
	for _, g := range ch.groups {
		g.dropped = true
		l.setRedelivery(ch, g)
		l.touchGroup(b, ch, g)
	}
	ch.groups, ch.groupByGID = nil, nil
}

// skipTrimmed moves every group whose cursor fell behind a trim past the
// trimmed entries, counting them as lost to it (they also count as read,
// so the group's lag stays true), and says so in the log.
func (l *Log) skipTrimmed(b *pendingBatch, ch *channel, lastDel ID) {
	for _, g := range ch.groups {
		n := g.trimmedUnread
		g.trimmedUnread = 0
		if n == 0 {
			continue
		}
		g.lost += n
		if g.entriesRead != EntriesReadUnknown {
			g.entriesRead += n
		}
		g.lastID = lastDel
		l.touchGroup(b, ch, g)
		l.opts.Logger.Warn("wal: trimming removed entries a consumer group had not read",
			"channel", ch.name, "group", g.name, "lost", n, "lost_total", g.lost, "cursor", lastDel.String())
	}
}
