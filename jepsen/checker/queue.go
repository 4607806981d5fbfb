package checker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// Consumer groups (the queue workload). Against the channel's final log:
//
//   - every entry is, after the final drain, acknowledged by the group (an
//     XACK that returned 1, or one whose outcome is unknown) or moved to the
//     dead-letter channel, never both and never twice (queue-lost,
//     dead-letter);
//   - a delivery (XREADGROUP, XAUTOCLAIM) returns entries the log holds at
//     those IDs (phantom, uncommitted-read, wrong-id);
//   - an entry delivered again is explained: it was not acknowledged before
//     (an XACK that returned 1 completed before the delivery began makes it
//     a duplicate), and a redelivery through ">" needs a group with an ack
//     wait, at least that long after the previous delivery began;
//   - XPENDING and the dead-letter channel count at least the deliveries
//     clients saw (delivery-count); a dead-lettered entry used up
//     MAXDELIVER deliveries.

// redeliverySlackNs absorbs the difference between the server's clock
// (which stamps deliveries) and the harness's.
const redeliverySlackNs = 100e6

// delivery is one entry handed to a consumer by a completed operation.
type delivery struct {
	inv, done history.Op
	entry     history.Entry
}

// ackEvent is one pipelined XACK that included an ID.
type ackEvent struct {
	inv, done history.Op
	acked     bool // it returned 1 (done.Type OK)
}

// queueLog is what the history says about one consumer group.
type queueLog struct {
	channel, group string
	policy         *history.GroupPolicy
	deliveries     map[string][]delivery // by ID, in completion order
	acks           map[string][]ackEvent // by ID
	pending        []history.Op          // completed XPENDINGs
	crashed        map[int]int64         // process -> time it crashed (dropped its connection)
	broken         map[int]int64         // process -> time an operation of it had an unknown outcome
	drained        bool
	drainOp        int
}

// QueueStats count what the queue workload did.
type QueueStats struct {
	Deliveries       int            `json:"deliveries"`
	Redeliveries     int            `json:"redeliveries"`
	RedeliveryBy     map[string]int `json:"redeliveries_by_reason"`
	Acked            int            `json:"acked_entries"`
	AckedUnknown     int            `json:"acked_by_unknown_xack"`
	DeadLettered     int            `json:"dead_lettered"`
	Crashes          int            `json:"consumer_crashes"`
	LostAcknowledged int            `json:"lost_acknowledged_xadds"`
	RetriedValues    int            `json:"values_delivered_under_two_ids"`
	OverMaxDeliver   int            `json:"entries_delivered_over_max_deliver"`
}

func (m *model) queue(channel, group string) *queueLog {
	key := channel + "\x00" + group
	if m.queues == nil {
		m.queues = map[string]*queueLog{}
	}
	q := m.queues[key]
	if q == nil {
		q = &queueLog{channel: channel, group: group, deliveries: map[string][]delivery{}, acks: map[string][]ackEvent{},
			crashed: map[int]int64{}, broken: map[int]int64{}, drainOp: -1}
		m.queues[key] = q
	}
	return q
}

// collectQueues pairs the queue workload's invocations and completions.
func (m *model) collectQueues() {
	open := map[int]history.Op{}
	for _, op := range m.ops {
		switch op.F {
		case history.FGroupCreate, history.FReadGroup, history.FAutoClaim, history.FXAck, history.FPending, history.FDrain:
		case history.FCrash:
			m.queue(op.Channel, op.Group).crashed[op.Process] = op.Time
			continue
		case history.FDeadLetters:
			if op.Type == history.OK {
				m.deadLetters = append(m.deadLetters, op)
			}
			continue
		default:
			continue
		}
		if op.Type == history.Invoke {
			open[op.Process] = op
			continue
		}
		inv, ok := open[op.Process]
		if !ok {
			continue
		}
		delete(open, op.Process)
		q := m.queue(op.Channel, op.Group)
		if op.Type == history.Info {
			q.broken[op.Process] = op.Time
		}
		m.queueOp(q, inv, op)
	}
}

func (m *model) queueOp(q *queueLog, inv, done history.Op) {
	switch done.F {
	case history.FGroupCreate:
		if done.Type == history.OK && done.Policy != nil {
			q.policy = done.Policy
		}
	case history.FReadGroup, history.FAutoClaim:
		c := m.channel(q.channel)
		for _, e := range done.Entries {
			q.deliveries[e.ID] = append(q.deliveries[e.ID], delivery{inv: inv, done: done, entry: e})
			m.observe(c, e, done.Index)
		}
	case history.FXAck:
		acked := map[string]bool{}
		for _, id := range done.Acked {
			acked[id] = true
		}
		for _, id := range inv.IDs {
			q.acks[id] = append(q.acks[id], ackEvent{inv: inv, done: done, acked: acked[id]})
		}
	case history.FPending:
		if done.Type == history.OK {
			q.pending = append(q.pending, done)
		}
	case history.FDrain:
		if done.Type == history.OK {
			q.drained, q.drainOp = true, done.Index
		}
	}
}

// checkQueues runs every queue rule.
func (m *model) checkQueues() {
	dead := m.deadLetterIndex()
	for _, q := range m.sortedQueues() {
		c := m.channel(q.channel)
		m.checkDeliveries(c, q)
		m.checkRedeliveries(q)
		m.checkPendingCounts(q)
		m.checkMaxDeliver(q)
		m.checkGroupDone(c, q, dead[q.channel])
	}
	m.checkDeadLetters(dead)
}

func (m *model) sortedQueues() []*queueLog {
	var out []*queueLog
	for _, q := range m.queues {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].channel < out[j].channel })
	return out
}

// checkDeliveries: every delivered entry is in the final log at its ID.
func (m *model) checkDeliveries(c *channelLog, q *queueLog) {
	for _, ds := range q.deliveries {
		for _, d := range ds {
			e := d.entry
			switch {
			case !c.written(e.Value):
				m.rep.add(Anomaly{Kind: KindPhantom, Channel: c.name, Value: e.Value, ID: e.ID,
					Detail: fmt.Sprintf("%s (consumer %s) delivered %s, a value no client wrote", d.done.F, d.done.Consumer, describeEntry(e)), Ops: []int{d.done.Index}})
			case c.finalOp >= 0:
				m.position(c, d.done, e)
			}
		}
	}
}

// checkRedeliveries: a second delivery of an ID must come before any
// acknowledgement of it, and a ">" redelivery needs an ack wait.
func (m *model) checkRedeliveries(q *queueLog) {
	for id, ds := range q.deliveries {
		for i, d := range ds {
			if a, ok := q.ackedBefore(id, m.invokeOf(d)); ok {
				m.rep.add(Anomaly{Kind: KindDuplicate, Channel: q.channel, Value: d.entry.Value, ID: id,
					Detail: fmt.Sprintf("%s (consumer %s) delivered %s at %s after an XACK of it returned 1 at %s", d.done.F, d.done.Consumer, describeEntry(d.entry), fmtTime(d.done.Time), fmtTime(a.done.Time)),
					Ops:    []int{a.done.Index, d.done.Index}})
				continue
			}
			if i == 0 {
				continue
			}
			prev := ds[i-1]
			if d.done.F == history.FReadGroup && d.inv.From == ">" {
				m.checkAckWait(q, prev, d)
			}
		}
	}
}

func (m *model) invokeOf(d delivery) int64 { return d.inv.Time }

// ackedBefore returns an XACK of id that returned 1 and completed before t.
func (q *queueLog) ackedBefore(id string, t int64) (ackEvent, bool) {
	for _, a := range q.acks[id] {
		if a.acked && a.done.Time < t {
			return a, true
		}
	}
	return ackEvent{}, false
}

// concurrent reports whether two operations overlapped in time.
func concurrent(a, b delivery) bool {
	return a.inv.Time < b.done.Time && b.inv.Time < a.done.Time
}

// checkAckWait: XREADGROUP ">" hands out an entry delivered before only
// when the group has an ack wait and it ran out.
func (m *model) checkAckWait(q *queueLog, prev, d delivery) {
	switch {
	case q.policy == nil || q.policy.AckWaitMs <= 0:
		m.rep.add(Anomaly{Kind: KindDuplicate, Channel: q.channel, Value: d.entry.Value, ID: d.entry.ID,
			Detail: fmt.Sprintf("XREADGROUP > (consumer %s) delivered %s again, first delivered to %s, in a group without an ack wait", d.done.Consumer, describeEntry(d.entry), prev.done.Consumer),
			Ops:    []int{prev.done.Index, d.done.Index}})
	case d.done.Time+redeliverySlackNs < prev.inv.Time+q.policy.AckWaitMs*1e6 &&
		!(concurrent(prev, d) && prev.done.F == history.FReadGroup && prev.inv.From == ">" &&
			prev.done.Time+redeliverySlackNs >= d.inv.Time+q.policy.AckWaitMs*1e6):
		// (Two deliveries whose operations overlap may have been served
		// in either order: the one that completed first may be the
		// redelivery, after the other's ack wait; e.g. a read invoked
		// before a pause, served after it with the wait run out.)
		m.rep.add(Anomaly{Kind: KindDuplicate, Channel: q.channel, Value: d.entry.Value, ID: d.entry.ID,
			Detail: fmt.Sprintf("XREADGROUP > (consumer %s) redelivered %s %s after its delivery to %s began, before the ack wait of %d ms", d.done.Consumer, describeEntry(d.entry), fmtTime(d.done.Time-prev.inv.Time), prev.done.Consumer, q.policy.AckWaitMs),
			Ops:    []int{prev.done.Index, d.done.Index}})
	}
}

// checkMaxDeliver: in a group with MAXDELIVER, an entry is not delivered
// more often (it was bug 5: own-pending re-reads and claims delivered
// exhausted entries and restarted their ack wait).
func (m *model) checkMaxDeliver(q *queueLog) {
	if q.policy == nil || q.policy.MaxDeliver <= 0 {
		return
	}
	for id, ds := range q.deliveries {
		if int64(len(ds)) <= q.policy.MaxDeliver {
			continue
		}
		m.queueStats.OverMaxDeliver++
		d := ds[q.policy.MaxDeliver]
		m.rep.add(Anomaly{Kind: KindOverMaxDeliver, Channel: q.channel, Value: d.entry.Value, ID: id,
			Detail: fmt.Sprintf("%s delivered %d times, MAXDELIVER %d; delivery %d by %s from %q (consumer %s)", describeEntry(d.entry), len(ds), q.policy.MaxDeliver, q.policy.MaxDeliver+1, d.done.F, d.inv.From, d.done.Consumer),
			Ops:    []int{ds[0].done.Index, d.done.Index}})
	}
}

// checkPendingCounts: XPENDING's delivery count of an entry is at least
// the number of its deliveries that completed before XPENDING began.
func (m *model) checkPendingCounts(q *queueLog) {
	for _, p := range q.pending {
		began := m.invokeTime(p)
		for _, e := range p.Pending {
			seen := 0
			for _, d := range q.deliveries[e.ID] {
				if d.done.Time < began {
					seen++
				}
			}
			if e.Deliveries < int64(seen) {
				m.rep.add(Anomaly{Kind: KindDeliveryCount, Channel: q.channel, ID: e.ID,
					Detail: fmt.Sprintf("XPENDING counted %d deliveries of %s, clients saw %d", e.Deliveries, e.ID, seen), Ops: []int{p.Index}})
			}
		}
	}
}

// deadLetter is one dead-letter entry and the read that returned it.
type deadLetter struct {
	history.DeadLetter
	channel string // the dead-letter channel
	op      int
}

// deadLetterIndex groups the final dead-letter reads' entries by source
// channel (the first final read of each dead-letter channel).
func (m *model) deadLetterIndex() map[string][]deadLetter {
	out := map[string][]deadLetter{}
	seen := map[string]bool{}
	for _, op := range m.deadLetters {
		if !op.Final || seen[op.Channel] {
			continue
		}
		seen[op.Channel] = true
		for _, d := range op.DeadLetters {
			out[d.Source] = append(out[d.Source], deadLetter{DeadLetter: d, channel: op.Channel, op: op.Index})
		}
	}
	return out
}

// checkGroupDone: after the drain, every entry of the final log was
// acknowledged by the group or dead-lettered, not both.
func (m *model) checkGroupDone(c *channelLog, q *queueLog, dead []deadLetter) {
	if c.finalOp < 0 {
		return
	}
	if !q.drained {
		m.rep.add(Anomaly{Kind: KindNoDrain, Channel: q.channel, Detail: fmt.Sprintf("group %s could not be drained after the faults healed", q.group)})
		return
	}
	deadBy := map[string]int{}
	for _, d := range dead {
		deadBy[d.SourceID]++
	}
	for _, e := range c.final {
		acked, unknown := q.ackState(e.ID)
		switch {
		case deadBy[e.ID] > 0 && acked:
			m.rep.add(Anomaly{Kind: KindDeadLetter, Channel: c.name, Value: e.Value, ID: e.ID,
				Detail: fmt.Sprintf("%s was dead-lettered and also acknowledged by an XACK that returned 1", describeEntry(e)), Ops: []int{c.finalOp}})
		case deadBy[e.ID] > 0 || acked:
		case unknown:
			m.queueStats.AckedUnknown++
		default:
			m.reportQueueLost(c, q, e)
		}
	}
}

// ackState: whether an XACK of id returned 1, or one with an unknown
// outcome included it.
func (q *queueLog) ackState(id string) (acked, unknown bool) {
	for _, a := range q.acks[id] {
		acked = acked || a.acked
		unknown = unknown || a.done.Type != history.OK && a.done.Type != history.Fail
	}
	return acked, unknown
}

func (m *model) reportQueueLost(c *channelLog, q *queueLog, e history.Entry) {
	ackedXAdd := false
	for _, a := range c.writes[e.Value] {
		ackedXAdd = ackedXAdd || a.ok()
	}
	what := "an entry whose XADD had an unknown outcome"
	if ackedXAdd {
		what = "an acknowledged XADD"
		m.queueStats.LostAcknowledged++
	}
	var consumers []string
	for _, d := range q.deliveries[e.ID] {
		consumers = append(consumers, d.done.Consumer)
	}
	m.rep.add(Anomaly{Kind: KindQueueLost, Channel: c.name, Value: e.Value, ID: e.ID,
		Detail: fmt.Sprintf("%s, %s, was neither acknowledged by group %s nor dead-lettered after the final drain (delivered %d times: %s)", describeEntry(e), what, q.group, len(consumers), strings.Join(consumers, ", ")),
		Ops:    []int{c.finalOp, q.drainOp}})
}

// checkDeadLetters: each dead-letter entry names an entry of its source's
// final log, holds its value, once, after MAXDELIVER deliveries (and at
// least as many as clients saw).
func (m *model) checkDeadLetters(dead map[string][]deadLetter) {
	for source, ds := range dead {
		c := m.channels[source]
		var q *queueLog
		for _, cand := range m.queues {
			if cand.channel == source {
				q = cand
			}
		}
		seen := map[string]int{}
		for _, d := range ds {
			bad := func(format string, args ...any) {
				m.rep.add(Anomaly{Kind: KindDeadLetter, Channel: d.channel, Value: d.Value, ID: d.ID,
					Detail: fmt.Sprintf("dead letter %s (from %s %s): ", d.ID, source, d.SourceID) + fmt.Sprintf(format, args...), Ops: []int{d.op}})
			}
			switch {
			case d.Fields != "":
				bad("unexpected fields %s", d.Fields)
			case c == nil || q == nil:
				bad("no queue writes to %s", source)
			case c.finalOp >= 0 && !holds(c, d.SourceID, d.Value):
				bad("the final log of %s does not hold %q at %s", source, d.Value, d.SourceID)
			case q.policy == nil || q.policy.DeadLetter != d.channel:
				bad("the group's policy has no dead-letter channel %s", d.channel)
			case seen[d.SourceID] > 0:
				bad("dead-lettered %d times", seen[d.SourceID]+1)
			case q.policy.MaxDeliver > 0 && d.Deliveries < q.policy.MaxDeliver:
				bad("after %d deliveries, MAXDELIVER is %d", d.Deliveries, q.policy.MaxDeliver)
			case d.Deliveries < int64(len(q.deliveries[d.SourceID])):
				m.rep.add(Anomaly{Kind: KindDeliveryCount, Channel: d.channel, ID: d.SourceID, Value: d.Value,
					Detail: fmt.Sprintf("dead letter counts %d deliveries of %s, clients saw %d", d.Deliveries, d.SourceID, len(q.deliveries[d.SourceID])), Ops: []int{d.op}})
			}
			seen[d.SourceID]++
			m.queueStats.DeadLettered++
		}
	}
}

// countQueue fills the queue statistics: deliveries, redeliveries by
// reason, acked entries, crashes, values delivered under two IDs.
func (m *model) countQueue() *QueueStats {
	if len(m.queues) == 0 {
		return nil
	}
	s := &m.queueStats
	s.RedeliveryBy = map[string]int{}
	for _, q := range m.queues {
		s.Crashes += len(q.crashed)
		valueIDs := map[string]map[string]bool{}
		for id, ds := range q.deliveries {
			s.Deliveries += len(ds)
			for i, d := range ds {
				if valueIDs[d.entry.Value] == nil {
					valueIDs[d.entry.Value] = map[string]bool{}
				}
				valueIDs[d.entry.Value][id] = true
				if i > 0 {
					s.Redeliveries++
					s.RedeliveryBy[q.reason(ds[i-1], d)]++
				}
			}
		}
		for id := range q.acks {
			if acked, _ := q.ackState(id); acked {
				s.Acked++
			}
		}
		for _, ids := range valueIDs {
			if len(ids) > 1 {
				s.RetriedValues++
			}
		}
	}
	return s
}

// reason explains a redelivery: what the previous holder did, and how the
// entry came back.
func (q *queueLog) reason(prev, d delivery) string {
	how := "ack wait ran out (XREADGROUP >)"
	switch {
	case d.done.F == history.FAutoClaim:
		how = "claimed idle (XAUTOCLAIM)"
	case d.inv.From != ">":
		how = "own pending re-read (XREADGROUP 0)"
	}
	why := "holder did not ack (poison, or still processing)"
	if t, ok := q.crashed[prev.done.Process]; ok && t >= prev.done.Time {
		why = "holder crashed before acking"
	} else if t, ok := q.broken[prev.done.Process]; ok && t >= prev.done.Time {
		why = "holder's connection broke before its ack"
	} else {
		for _, a := range q.acks[d.entry.ID] {
			if a.done.Type == history.Info && a.inv.Process == prev.done.Process {
				why = "holder's XACK outcome unknown"
			}
		}
		if prev.done.Consumer == d.done.Consumer && d.inv.From == "0" {
			why = "holder reconnected"
		}
	}
	return how + "; " + why
}
