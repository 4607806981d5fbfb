package checker

import (
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/jepsen/history"
)

var (
	qa, qb, qc = e("1-0", "a"), e("2-0", "b"), e("3-0", "c")
	queueFinal = []history.Entry{qa, qb, qc}
)

// queue ops of one consumer group on channel "q", group "g".
func (b *builder) groupCreate(proc int, policy *history.GroupPolicy) {
	b.add(history.Op{Process: proc, Type: history.Invoke, F: history.FGroupCreate, Channel: "q", Group: "g", Policy: policy})
	b.add(history.Op{Process: proc, Type: history.OK, F: history.FGroupCreate, Channel: "q", Group: "g", Policy: policy})
}

func (b *builder) deliver(proc int, f, consumer, from string, es ...history.Entry) {
	b.add(history.Op{Process: proc, Type: history.Invoke, F: f, Channel: "q", Group: "g", Consumer: consumer, From: from})
	b.add(history.Op{Process: proc, Type: history.OK, F: f, Channel: "q", Group: "g", Consumer: consumer, From: from, Entries: es})
}

func (b *builder) xack(proc int, consumer string, ids []string, acked ...string) {
	b.add(history.Op{Process: proc, Type: history.Invoke, F: history.FXAck, Channel: "q", Group: "g", Consumer: consumer, IDs: ids})
	b.add(history.Op{Process: proc, Type: history.OK, F: history.FXAck, Channel: "q", Group: "g", Consumer: consumer, IDs: ids, Acked: acked})
}

func (b *builder) crash(proc int, consumer string) {
	b.add(history.Op{Process: proc, Type: history.Info, F: history.FCrash, Channel: "q", Group: "g", Consumer: consumer})
}

// finishQueue: the drain (XPENDING shows pending, then done), the final
// read of q and, with policy, of its dead-letter channel.
func (b *builder) finishQueue(pending []history.Pending, dead ...history.DeadLetter) {
	b.add(history.Op{Process: 90, Type: history.Invoke, F: history.FDrain, Channel: "q", Group: "g"})
	b.add(history.Op{Process: 91, Type: history.Invoke, F: history.FPending, Channel: "q", Group: "g", Consumer: "drain"})
	b.add(history.Op{Process: 91, Type: history.OK, F: history.FPending, Channel: "q", Group: "g", Consumer: "drain", Pending: pending})
	b.add(history.Op{Process: 90, Type: history.OK, F: history.FDrain, Channel: "q", Group: "g", Final: true})
	b.add(history.Op{Process: 92, Type: history.Invoke, F: history.FDeadLetters, Channel: "q.dlq", Final: true})
	b.add(history.Op{Process: 92, Type: history.OK, F: history.FDeadLetters, Channel: "q.dlq", Final: true, DeadLetters: dead})
	b.read(93, "q", true, queueFinal...)
}

// acceptedQueue: a, b, c written; c0 gets a and b and acks them; c1 gets
// c and crashes; c1 reconnects, re-reads its pending c and acks it.
func acceptedQueue(policy *history.GroupPolicy) *builder {
	b := &builder{}
	b.groupCreate(1, policy)
	b.write(2, history.FXAdd, "q", "a", history.OK, "1-0")
	b.write(2, history.FXAdd, "q", "b", history.OK, "2-0")
	b.write(2, history.FXAdd, "q", "c", history.OK, "3-0")
	b.deliver(10, history.FReadGroup, "c0", ">", qa, qb)
	b.xack(10, "c0", []string{"1-0", "2-0"}, "1-0", "2-0")
	b.deliver(11, history.FReadGroup, "c1", ">", qc)
	b.crash(11, "c1")
	b.deliver(12, history.FReadGroup, "c1", "0", qc)
	return b
}

func TestAcceptedQueuePasses(t *testing.T) {
	b := acceptedQueue(nil)
	b.xack(12, "c1", []string{"3-0"}, "3-0")
	b.finishQueue(nil)
	res := check(t, b)
	if !res.Valid || len(res.Counts) != 0 {
		t.Fatalf("a correct queue history was rejected: %v %+v", res.Counts, res.Examples)
	}
	q := res.Stats.Queue
	if q == nil || q.Deliveries != 4 || q.Redeliveries != 1 || q.Acked != 3 || q.Crashes != 1 || q.LostAcknowledged != 0 {
		t.Fatalf("queue stats: %+v", q)
	}
	if q.RedeliveryBy["own pending re-read (XREADGROUP 0); holder crashed before acking"] != 1 {
		t.Fatalf("redelivery not explained by the crash: %v", q.RedeliveryBy)
	}
}

func TestCatchesLostQueueAck(t *testing.T) {
	b := acceptedQueue(nil)
	b.xack(12, "c1", []string{"3-0"}) // returned 0: c was not pending any more, and nothing dead-lettered it
	b.finishQueue(nil)
	res := check(t, b)
	wantKind(t, res, KindQueueLost, "neither acknowledged by group g nor dead-lettered")
	if res.Stats.Queue.LostAcknowledged != 1 {
		t.Fatalf("lost acknowledged XADDs: %+v", res.Stats.Queue)
	}
}

func TestUnknownXAckMayHaveAcked(t *testing.T) {
	b := acceptedQueue(nil)
	b.add(history.Op{Process: 12, Type: history.Invoke, F: history.FXAck, Channel: "q", Group: "g", IDs: []string{"3-0"}})
	b.add(history.Op{Process: 12, Type: history.Info, F: history.FXAck, Channel: "q", Group: "g", IDs: []string{"3-0"}, Error: "i/o timeout"})
	b.finishQueue(nil)
	res := check(t, b)
	if !res.Valid || res.Stats.Queue.AckedUnknown != 1 {
		t.Fatalf("an XACK with an unknown outcome: %v %+v", res.Counts, res.Stats.Queue)
	}
}

func TestCatchesPhantomDelivery(t *testing.T) {
	b := acceptedQueue(nil)
	b.xack(12, "c1", []string{"3-0"}, "3-0")
	b.deliver(13, history.FReadGroup, "c2", ">", e("4-0", "never-written"))
	b.finishQueue(nil)
	wantKind(t, check(t, b), KindPhantom, "a value no client wrote")
}

func TestCatchesDeliveryOfVanishedEntry(t *testing.T) {
	b := acceptedQueue(nil)
	b.xack(12, "c1", []string{"3-0"}, "3-0")
	b.write(3, history.FXAdd, "q", "d", history.Info, "")
	b.deliver(13, history.FReadGroup, "c2", ">", e("4-0", "d")) // delivered, then lost in a crash
	b.finishQueue(nil)
	wantKind(t, check(t, b), KindUncommittedRead, "does not hold")
}

func TestCatchesDeliveryAfterAck(t *testing.T) {
	b := acceptedQueue(nil)
	b.xack(12, "c1", []string{"3-0"}, "3-0")
	b.deliver(13, history.FAutoClaim, "c2", "0-0", qa) // a was acked by c0
	b.finishQueue(nil)
	wantKind(t, check(t, b), KindDuplicate, "after an XACK of it returned 1")
}

func TestCatchesUnexplainedRedeliveryWithoutAckWait(t *testing.T) {
	b := acceptedQueue(nil)
	b.deliver(13, history.FReadGroup, "c2", ">", qc) // pending with c1; a plain group never hands it to ">" again
	b.xack(13, "c2", []string{"3-0"}, "3-0")
	b.finishQueue(nil)
	wantKind(t, check(t, b), KindDuplicate, "in a group without an ack wait")
}

var dlqPolicy = &history.GroupPolicy{AckWaitMs: 1000, MaxDeliver: 2, DeadLetter: "q.dlq"}

// poisonQueue: c is never acked; after two deliveries (and the ack wait)
// the broker dead-letters it.
func poisonQueue() *builder {
	b := acceptedQueue(dlqPolicy)
	b.time += 2e9 // the ack wait ran out
	return b
}

func deadC(deliveries int64) history.DeadLetter {
	return history.DeadLetter{ID: "9-0", Value: "c", Source: "q", SourceID: "3-0", Deliveries: deliveries}
}

func TestDeadLetteredEntryPasses(t *testing.T) {
	b := poisonQueue()
	b.finishQueue(nil, deadC(2))
	res := check(t, b)
	if !res.Valid || res.Stats.Queue.DeadLettered != 1 {
		t.Fatalf("a dead-lettered entry: %v %+v %+v", res.Counts, res.Examples, res.Stats.Queue)
	}
}

func TestCatchesDeadLetterAnomalies(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(b *builder) []history.DeadLetter
		detail string
	}{
		{"twice", func(*builder) []history.DeadLetter { return []history.DeadLetter{deadC(2), deadC(3)} }, "dead-lettered 2 times"},
		{"early", func(*builder) []history.DeadLetter { return []history.DeadLetter{deadC(1)} }, "MAXDELIVER is 2"},
		{"wrong value", func(*builder) []history.DeadLetter {
			d := deadC(2)
			d.Value = "z"
			return []history.DeadLetter{d}
		}, "does not hold"},
		{"acked too", func(b *builder) []history.DeadLetter {
			b.xack(12, "c1", []string{"3-0"}, "3-0")
			return []history.DeadLetter{deadC(2)}
		}, "also acknowledged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := poisonQueue()
			dead := tc.mutate(b)
			b.finishQueue(nil, dead...)
			wantKind(t, check(t, b), KindDeadLetter, tc.detail)
		})
	}
}

func TestCatchesRedeliveryBeforeAckWait(t *testing.T) {
	b := acceptedQueue(dlqPolicy)
	b.deliver(13, history.FReadGroup, "c2", ">", qc) // 2 ms after c1's re-read, ack wait 1000 ms
	b.xack(13, "c2", []string{"3-0"}, "3-0")
	b.finishQueue(nil)
	wantKind(t, check(t, b), KindDuplicate, "before the ack wait of 1000 ms")
}

func TestCatchesUndercountedDeliveries(t *testing.T) {
	b := acceptedQueue(nil)
	b.finishQueue([]history.Pending{{ID: "3-0", Consumer: "c1", Deliveries: 1}}) // clients saw 2
	res := check(t, b)
	wantKind(t, res, KindDeliveryCount, "XPENDING counted 1 deliveries of 3-0, clients saw 2")
}

func TestNoDrain(t *testing.T) {
	b := acceptedQueue(nil)
	b.xack(12, "c1", []string{"3-0"}, "3-0")
	b.read(93, "q", true, queueFinal...)
	wantKind(t, check(t, b), KindNoDrain, "could not be drained")
}

func TestCatchesDeliveriesOverMaxDeliver(t *testing.T) {
	b := poisonQueue() // c: delivered twice, MAXDELIVER 2
	b.deliver(13, history.FAutoClaim, "c2", "0-0", qc)
	b.finishQueue(nil, deadC(3))
	res := check(t, b)
	if res.Valid || res.Counts[KindOverMaxDeliver] != 1 || res.Stats.Queue.OverMaxDeliver != 1 {
		t.Fatalf("a third delivery with MAXDELIVER 2: valid=%v %v %+v", res.Valid, res.Counts, res.Stats.Queue)
	}
	if d := res.Examples[KindOverMaxDeliver][0].Detail; !strings.Contains(d, "3-0=\"c\" delivered 3 times, MAXDELIVER 2; delivery 3 by xautoclaim") {
		t.Fatalf("detail: %s", d)
	}
}

// TestOverlappingDeliveriesMayBeServedInEitherOrder: c2's read was invoked
// before a pause and completes after it, together with c3's read invoked
// after the pause; c3 completes first. The server may have served c2 first
// (its delivery dated before the pause) and c3 after c2's ack wait ran out:
// not a duplicate. Without the overlap the same timing is one.
func TestOverlappingDeliveriesMayBeServedInEitherOrder(t *testing.T) {
	b := acceptedQueue(dlqPolicy)
	b.xack(12, "c1", []string{"3-0"}, "3-0")
	b.write(2, history.FXAdd, "q", "d", history.OK, "4-0")
	qd := e("4-0", "d")
	b.add(history.Op{Process: 13, Type: history.Invoke, F: history.FReadGroup, Channel: "q", Group: "g", Consumer: "c2", From: ">"})
	b.time += 3e9 // a pause
	b.deliver(14, history.FReadGroup, "c3", ">", qd)
	b.add(history.Op{Process: 13, Type: history.OK, F: history.FReadGroup, Channel: "q", Group: "g", Consumer: "c2", From: ">", Entries: []history.Entry{qd}})
	b.xack(13, "c2", []string{"4-0"}, "4-0")
	b.finishQueue(nil)
	b.ops[len(b.ops)-1].Entries = append(b.ops[len(b.ops)-1].Entries, qd)
	res := check(t, b)
	if !res.Valid {
		t.Fatalf("overlapping deliveries across a pause were rejected: %v %+v", res.Counts, res.Examples)
	}
}
