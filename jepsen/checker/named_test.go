package checker

import (
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/jepsen/history"
)

var (
	n1, n2, n3, n4 = e("1-0", "p1"), e("2-0", "p2"), e("3-0", "p3"), e("4-0", "p4")
	namedFinal     = []history.Entry{n1, n2, n3, n4}
)

// namedSession adds a session of name with what it received on "ch" and
// how it ended (EndUnsubscribed is clean).
func (b *builder) namedSession(proc int, name, end string, values ...string) {
	b.add(history.Op{Process: proc, Type: history.Invoke, F: history.FSubscribe, Channels: []string{"ch"}, Name: name})
	ready := b.time
	if len(values) > 0 {
		b.add(history.Op{Process: proc, Type: history.OK, F: history.FRecv, Channel: "ch", Values: values})
	}
	op := history.Op{Process: proc, Type: history.Info, F: history.FSubscribe, Name: name, Detail: end, Ready: ready}
	if end == endUnsubscribed {
		op.Type, op.Clean, op.Until = history.OK, true, ready // nothing published while it surely listened
	}
	b.add(op)
}

// namedHistory: the name registers (a clean session that gets nothing),
// p1 and p2 are published while it is away, session 2 gets them (the
// catch-up), ends as end2, p3 and p4 are published, session 3 gets s3.
func namedHistory(end2 string, s3 ...string) *builder {
	b := &builder{}
	b.namedSession(10, "n", endUnsubscribed)
	b.write(1, history.FPublish, "ch", "p1", history.OK, "")
	b.write(1, history.FPublish, "ch", "p2", history.OK, "")
	b.namedSession(11, "n", end2, "p1", "p2")
	b.write(1, history.FPublish, "ch", "p3", history.OK, "")
	b.write(1, history.FPublish, "ch", "p4", history.OK, "")
	b.namedSession(12, "n", endUnsubscribed, s3...)
	b.read(2, "ch", true, namedFinal...)
	return b
}

func TestNamedSubscriberPasses(t *testing.T) {
	res := check(t, namedHistory(endUnsubscribed, "p3", "p4"))
	if !res.Valid || len(res.Counts) != 0 {
		t.Fatalf("a correct named subscriber was rejected: %v %+v", res.Counts, res.Examples)
	}
	if s := res.Stats.Named; s == nil || s.Sessions != 3 || s.Seams != 2 || s.Received != 4 || s.Duplicates != 0 {
		t.Fatalf("named stats: %+v", s)
	}
}

func TestCatchesNamedSubscriberGapAcrossSessions(t *testing.T) {
	res := check(t, namedHistory(endUnsubscribed, "p4"))
	wantKind(t, res, KindResumeGap, "skipped 1 entries since its previous session, first 3-0=\"p3\"")
}

func TestCatchesNamedSubscriberGapAfterServerCrash(t *testing.T) {
	wantKind(t, check(t, namedHistory(endBroken, "p4")), KindResumeGap, "since its previous session")
}

func TestCatchesNamedSubscriberGapInCatchUp(t *testing.T) {
	b := &builder{}
	b.namedSession(10, "n", endUnsubscribed)
	b.write(1, history.FPublish, "ch", "p1", history.OK, "")
	b.write(1, history.FPublish, "ch", "p2", history.OK, "")
	b.write(1, history.FPublish, "ch", "p3", history.OK, "")
	b.write(1, history.FPublish, "ch", "p4", history.OK, "")
	b.namedSession(11, "n", endUnsubscribed, "p1", "p3", "p4") // p2 is missing inside the session
	b.read(2, "ch", true, namedFinal...)
	wantKind(t, check(t, b), KindResumeGap, "skipped 1 entries within one session")
}

func TestCatchesNamedSubscriberThatStartedLate(t *testing.T) {
	b := &builder{}
	b.namedSession(10, "n", endUnsubscribed)
	b.write(1, history.FPublish, "ch", "p1", history.OK, "")
	b.write(1, history.FPublish, "ch", "p2", history.OK, "")
	b.write(1, history.FPublish, "ch", "p3", history.OK, "")
	b.write(1, history.FPublish, "ch", "p4", history.OK, "")
	b.namedSession(11, "n", endUnsubscribed, "p3", "p4") // p1 and p2 came after the cursor was saved
	b.read(2, "ch", true, namedFinal...)
	wantKind(t, check(t, b), KindResumeGap, "since the name's cursor was saved")
}

func TestNamedSubscriberMaySkipAfterClientDrop(t *testing.T) {
	res := check(t, namedHistory(endDropped, "p4")) // p3 was in flight when the client dropped
	if !res.Valid || res.Stats.Named.SkippedDrops != 1 {
		t.Fatalf("a skip after a client drop: %v %+v", res.Counts, res.Stats.Named)
	}
}

// TestNamedSkipsToldApart: after a drop, a skipped entry the client found
// in its own buffers counts apart from one that was in flight.
func TestNamedSkipsToldApart(t *testing.T) {
	b := &builder{}
	b.namedSession(10, "n", endUnsubscribed)
	b.write(1, history.FPublish, "ch", "p1", history.OK, "")
	b.write(1, history.FPublish, "ch", "p2", history.OK, "")
	b.write(1, history.FPublish, "ch", "p3", history.OK, "")
	b.add(history.Op{Process: 11, Type: history.Invoke, F: history.FSubscribe, Channels: []string{"ch"}, Name: "n"})
	b.add(history.Op{Process: 11, Type: history.OK, F: history.FRecv, Channel: "ch", Values: []string{"p1"}})
	b.add(history.Op{Process: 11, Type: history.OK, F: history.FBuffered, Channel: "ch", Values: []string{"p2"}})
	b.add(history.Op{Process: 11, Type: history.Info, F: history.FSubscribe, Name: "n", Detail: endDropped})
	b.write(1, history.FPublish, "ch", "p4", history.OK, "")
	b.namedSession(12, "n", endUnsubscribed, "p4") // p2 was in the client's buffers, p3 in flight
	b.read(2, "ch", true, namedFinal...)
	res := check(t, b)
	if st := res.Stats.Named; !res.Valid || st.SkippedBuffered != 1 || st.SkippedDrops != 1 {
		t.Fatalf("skips after a drop: %v %+v", res.Counts, st)
	}
}

func TestNamedSubscriberDuplicates(t *testing.T) {
	// After a crash (the connection broke), the cursor may lag: a repeat.
	res := check(t, namedHistory(endBroken, "p2", "p3", "p4"))
	if !res.Valid || res.Stats.Named.Duplicates != 1 || res.Stats.Named.DuplicatesBy[endBroken] != 1 {
		t.Fatalf("a repeat after a broken session: %v %+v", res.Counts, res.Stats.Named)
	}
	// After a confirmed UNSUBSCRIBE it must not repeat (bug 4).
	res = check(t, namedHistory(endUnsubscribed, "p2", "p3", "p4"))
	if res.Valid || res.Counts[KindResumeDuplicate] != 1 {
		t.Fatalf("a repeat after UNSUBSCRIBE: %v", res.Counts)
	}
	if d := res.Examples[KindResumeDuplicate][0].Detail; !strings.Contains(d, "got 1 entries again from 2-0=\"p2\"") {
		t.Fatalf("detail: %s", d)
	}
}

// A retried publish stores a value twice; a repeat after a crash that
// starts at the first copy is placed there, not at the second.
func TestNamedSubscriberRepeatOverRetriedPublishes(t *testing.T) {
	b := &builder{}
	b.namedSession(10, "n", endUnsubscribed)
	b.write(1, history.FPublish, "ch", "p1", history.Info, "")
	b.write(1, history.FPublish, "ch", "p2", history.Info, "")
	b.add(history.Op{Process: 3, Type: history.Invoke, F: history.FPublish, Channel: "ch", Value: "p1", Attempt: 2})
	b.add(history.Op{Process: 3, Type: history.OK, F: history.FPublish, Channel: "ch", Value: "p1", Attempt: 2})
	b.add(history.Op{Process: 3, Type: history.Invoke, F: history.FPublish, Channel: "ch", Value: "p2", Attempt: 2})
	b.add(history.Op{Process: 3, Type: history.OK, F: history.FPublish, Channel: "ch", Value: "p2", Attempt: 2})
	b.write(3, history.FPublish, "ch", "p3", history.OK, "")
	b.namedSession(11, "n", endBroken, "p1", "p2")
	b.namedSession(12, "n", endUnsubscribed, "p1", "p2", "p1", "p2", "p3")
	b.read(2, "ch", true, e("1-0", "p1"), e("2-0", "p2"), e("3-0", "p1"), e("4-0", "p2"), e("5-0", "p3"))
	res := check(t, b)
	if !res.Valid || res.Stats.Named.Duplicates != 2 {
		t.Fatalf("a repeat over retried publishes: %v %+v %+v", res.Counts, res.Examples, res.Stats.Named)
	}
	// The same with p1's second copy skipped is a gap (or p2 came twice).
	b.ops[len(b.ops)-4].Values = []string{"p1", "p2", "p2", "p3"}
	wantKind(t, check(t, b), KindOrder, "named subscriber n (process 12) received \"p2\" after 4-0=\"p2\"")
}

// TestRepeatAfterUnsubscribeDuringDiskFault: a repeat after a confirmed
// UNSUBSCRIBE is explained when a disk fault had the node refuse writes in
// between (the cursor could not be saved); it is still never a gap.
func TestRepeatAfterUnsubscribeDuringDiskFault(t *testing.T) {
	b := &builder{}
	b.namedSession(10, "n", endUnsubscribed)
	b.write(1, history.FPublish, "ch", "p1", history.OK, "")
	b.write(1, history.FPublish, "ch", "p2", history.OK, "")
	b.nemesis("diskfault", true)
	b.namedSession(11, "n", endUnsubscribed, "p1", "p2")
	b.nemesis("diskfault", false)
	b.write(1, history.FPublish, "ch", "p3", history.OK, "")
	b.write(1, history.FPublish, "ch", "p4", history.OK, "")
	b.namedSession(12, "n", endUnsubscribed, "p2", "p3", "p4")
	b.read(2, "ch", true, namedFinal...)
	res := check(t, b)
	if !res.Valid || res.Stats.Named.DuplicatesBy[dupDiskFault] != 1 {
		t.Fatalf("a repeat after an UNSUBSCRIBE during a disk fault: %v %+v", res.Counts, res.Stats.Named)
	}
}
