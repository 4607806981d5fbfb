package wal

import (
	"cmp"
	"errors"
	"slices"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

// Fields added to a dead-lettered entry, after the original fields.
const (
	DeadLetterReason = "max deliveries exceeded"
)

// setRedelivery tracks whether the writer must scan g.
func (l *Log) setRedelivery(ch *channel, g *group) {
	if l.w.redelivery == nil {
		l.w.redelivery = make(map[*group]*channel)
	}
	if g.cfg.Enabled() && !g.dropped {
		l.w.redelivery[g] = ch
	} else {
		delete(l.w.redelivery, g)
	}
	l.redeliveryGroups.Store(int64(len(l.w.redelivery)))
}

// RedeliveryGroups returns how many groups have a redelivery policy; the
// broker scans only when there is one.
func (l *Log) RedeliveryGroups() int64 { return l.redeliveryGroups.Load() }

func (l *Log) applyGroupConfig(b *pendingBatch, p op) {
	ch, g, err := l.groupFor(p)
	if err != nil {
		p.Err = err
		return
	}
	g.cfg = GroupConfig{}
	if p.Config != nil {
		g.cfg = *p.Config
	}
	g.rescheduleAll()
	l.setRedelivery(ch, g)
	l.touchGroup(b, ch, g)
}

// redeliverDue hands entries whose ack wait ran out to c, oldest first, at
// most limit (0: all); their IDs are appended to p.IDs.
func (l *Log) redeliverDue(b *pendingBatch, ch *channel, g *group, c *consumer, p op, limit int, nowMs int64) {
	if !g.cfg.Enabled() {
		return
	}
	due := g.dueEntries(nowMs, limit, func(e *pendingEntry) bool { return !g.cfg.Exhausted(g.count(e)) })
	for _, id := range due {
		e, _ := g.getPending(id)
		g.redeliver(e, c, nowMs, false)
		l.writePending(b, ch, g, e)
		p.Result.IDs = append(p.Result.IDs, id)
	}
}

// applyRedeliveryScan dead-letters every entry that used up its deliveries
// and whose last ack wait ran out, and lists the channels that have entries
// due for redelivery.
func (l *Log) applyRedeliveryScan(b *pendingBatch, p op, nowMs int64) {
	res := p.Result
	// In a fixed order (channel, then group, by id), not the map's: the
	// dead letters are appended in this order, so every replica must
	// take the same (TestApplyIsDeterministic).
	type scanned struct {
		g  *group
		ch *channel
	}
	groups := make([]scanned, 0, len(l.w.redelivery))
	for g, ch := range l.w.redelivery {
		groups = append(groups, scanned{g, ch})
	}
	slices.SortFunc(groups, func(a, b scanned) int {
		return cmp.Or(cmp.Compare(a.ch.cid, b.ch.cid), cmp.Compare(a.g.gid, b.g.gid))
	})
	for _, s := range groups {
		g, ch := s.g, s.ch
		dead := g.dueEntries(nowMs, 0, func(e *pendingEntry) bool { return g.cfg.Exhausted(g.count(e)) })
		for _, id := range dead {
			if err := l.deadLetter(b, ch, g, id, nowMs, res); err != nil {
				p.Err = err
				return
			}
		}
		if len(g.dueEntries(nowMs, 1, func(e *pendingEntry) bool { return !g.cfg.Exhausted(g.count(e)) })) > 0 {
			res.Due = append(res.Due, []byte(ch.name))
		}
	}
}

// deadLetter moves a pending entry to the group's dead-letter channel (its
// fields, then where it came from and why) and acknowledges it, in one
// batch.
func (l *Log) deadLetter(b *pendingBatch, ch *channel, g *group, id ID, nowMs int64, res *Result) error {
	e, ok := g.getPending(id)
	if !ok {
		return nil
	}
	if g.cfg.DeadLetter != "" {
		var owner string
		if c := g.owner(e); c != nil {
			owner = c.name
		}
		count := g.count(e)
		fields, err := l.entryFields(b, ch, id)
		if err != nil {
			return err
		}
		fields = append(fields,
			[]byte("dlq-channel"), []byte(ch.name),
			[]byte("dlq-id"), []byte(id.String()),
			[]byte("dlq-group"), []byte(g.name),
			[]byte("dlq-consumer"), []byte(owner),
			[]byte("dlq-deliveries"), strconv.AppendInt(nil, count, 10),
			[]byte("dlq-reason"), []byte(DeadLetterReason))
		q := op{&Command{Kind: OpAppend, Channel: []byte(g.cfg.DeadLetter), Spec: IDSpec{Auto: true}, Fields: fields}, &Result{}}
		l.applyAppend(b, q, nowMs)
		if q.Err == nil {
			res.DeadLettered = append(res.DeadLettered, DeadLettered{Channel: q.Channel, ID: q.ID, Fields: fields})
		}
	}
	l.forgetPending(b, ch, g, id)
	return nil
}

// entryFields returns a copy of the fields of entry id as the requests
// applied so far left it (none if it was deleted); b is indexed (the scan
// needs reads).
func (l *Log) entryFields(b *pendingBatch, ch *channel, id ID) ([][]byte, error) {
	val, closer, err := b.pb.Get(entryKey(nil, l.shard, ch.cid, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	fields, err := decodeEntry(nil, val)
	if err != nil {
		return nil, err
	}
	for i, f := range fields {
		fields[i] = append([]byte(nil), f...)
	}
	return fields, nil
}

// Notify wakes the readers waiting on a channel (Watch) without a change:
// the broker uses it when entries become due for redelivery.
func (l *Log) Notify(name []byte) {
	ch := l.lookup(name)
	if ch == nil {
		return
	}
	ch.mu.Lock()
	wake := ch.waitCh
	ch.waitCh = nil
	ch.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}
