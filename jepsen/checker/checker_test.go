package checker

import (
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// builder makes doctored histories: every event 1 ms after the previous.
type builder struct {
	ops  []history.Op
	time int64
}

func (b *builder) add(op history.Op) history.Op {
	op.Index = len(b.ops)
	b.time += 1e6
	op.Time = b.time
	b.ops = append(b.ops, op)
	return op
}

// write records an invocation and its completion (typ; id for XADD).
func (b *builder) write(proc int, f, ch, value string, typ history.Type, id string) {
	b.add(history.Op{Process: proc, Type: history.Invoke, F: f, Channel: ch, Value: value})
	b.add(history.Op{Process: proc, Type: typ, F: f, Channel: ch, Value: value, ID: id})
}

func (b *builder) read(proc int, ch string, final bool, es ...history.Entry) {
	b.readAfter(proc, ch, final, nil, es...)
}

func (b *builder) readAfter(proc int, ch string, final bool, after *history.Entry, es ...history.Entry) {
	b.add(history.Op{Process: proc, Type: history.Invoke, F: history.FRead, Channel: ch, After: after})
	b.add(history.Op{Process: proc, Type: history.OK, F: history.FRead, Channel: ch, After: after, Entries: es, Final: final, Count: len(es)})
}

func (b *builder) nemesis(f string, start bool) {
	typ := history.OK
	if start {
		typ = history.Invoke
	}
	b.add(history.Op{Process: history.NemesisProcess, Type: typ, F: f})
}

func e(id, value string) history.Entry { return history.Entry{ID: id, Value: value} }

var (
	ea, eb, ec, ed = e("1-0", "a"), e("2-0", "b"), e("3-0", "c"), e("4-0", "d")
	fullLog        = []history.Entry{ea, eb, ec, ed}
)

// acceptedHistory is a correct run: four writes across a kill, a tail
// read, a full read, a subscriber, and final reads that agree.
func acceptedHistory() *builder {
	b := &builder{}
	b.write(1, history.FXAdd, "ch", "a", history.OK, "1-0")
	b.add(history.Op{Process: 10, Type: history.Invoke, F: history.FSubscribe, Channels: []string{"ch"}})
	ready := b.time
	b.write(2, history.FPublish, "ch", "b", history.OK, "")
	b.read(3, "ch", false, ea, eb)
	b.nemesis("kill", true)
	b.write(1, history.FXAdd, "ch", "c", history.Info, "")
	b.nemesis("kill", false)
	b.write(4, history.FXAdd, "ch", "d", history.OK, "4-0")
	b.write(5, history.FXAdd, "ch", "z", history.Fail, "")
	b.readAfter(3, "ch", false, &eb, ec, ed)
	b.add(history.Op{Process: 10, Type: history.OK, F: history.FRecv, Channel: "ch", Values: []string{"b", "c", "d"}})
	until := b.time
	b.add(history.Op{Process: 10, Type: history.OK, F: history.FSubscribe, Clean: true, Ready: ready, Until: until})
	b.read(6, "ch", true, fullLog...)
	b.add(history.Op{Process: 7, Type: history.Invoke, F: history.FReplay, Channel: "ch"})
	b.add(history.Op{Process: 7, Type: history.OK, F: history.FReplay, Channel: "ch", Final: true, Entries: fullLog})
	return b
}

func check(t *testing.T, b *builder) Result {
	t.Helper()
	return Check(b.ops, Options{MaxExamples: 10})
}

func TestAcceptedHistoryPasses(t *testing.T) {
	res := check(t, acceptedHistory())
	if !res.Valid || len(res.Counts) != 0 {
		t.Fatalf("a correct history was rejected: %+v", res.Examples)
	}
	if res.Stats.WritesOK != 3 || res.Stats.WritesUnknown != 1 || res.Stats.WritesFailed != 1 || res.Stats.UnknownInFinal != 1 {
		t.Fatalf("stats: %+v", res.Stats)
	}
	if len(res.Unavailability) != 1 || res.Unavailability[0].RecoveryMs <= 0 {
		t.Fatalf("unavailability: %+v", res.Unavailability)
	}
}

// replaceFinal swaps the entries of every final read.
func replaceFinal(b *builder, es ...history.Entry) {
	for i := range b.ops {
		if b.ops[i].Final {
			b.ops[i].Entries = es
		}
	}
}

func wantKind(t *testing.T, res Result, kind, detail string) {
	t.Helper()
	if res.Valid || res.Counts[kind] == 0 {
		t.Fatalf("want a %s anomaly, got valid=%v %v %+v", kind, res.Valid, res.Counts, res.Examples)
	}
	if !strings.Contains(res.Examples[kind][0].Detail, detail) {
		t.Fatalf("%s detail %q lacks %q", kind, res.Examples[kind][0].Detail, detail)
	}
}

func TestCatchesLostAcknowledgedWrite(t *testing.T) {
	b := acceptedHistory()
	replaceFinal(b, ea, eb, ec) // d was acknowledged
	res := check(t, b)
	wantKind(t, res, KindLost, "absent from the final log")
	if ex := res.Examples[KindLost][0]; ex.Value != "d" {
		t.Fatalf("lost %q, want d", ex.Value)
	}
}

func TestCatchesReorderBetweenReaders(t *testing.T) {
	b := acceptedHistory()
	b.read(8, "ch", false, ea, ec, eb) // another reader: b and c swapped
	wantKind(t, check(t, b), KindOrder, "returned ID 2-0 after 3-0")
}

func TestCatchesReorderSeenBySubscriber(t *testing.T) {
	b := acceptedHistory()
	b.add(history.Op{Process: 11, Type: history.Invoke, F: history.FSubscribe, Channels: []string{"ch"}})
	b.add(history.Op{Process: 11, Type: history.OK, F: history.FRecv, Channel: "ch", Values: []string{"c", "b"}})
	b.add(history.Op{Process: 11, Type: history.Info, F: history.FSubscribe})
	wantKind(t, check(t, b), KindOrder, "subscriber")
}

func TestCatchesPhantomRead(t *testing.T) {
	b := acceptedHistory()
	b.read(8, "ch", false, ea, eb, e("3-5", "never-written"))
	wantKind(t, check(t, b), KindPhantom, "no client wrote")
}

func TestCatchesReusedIDAcrossCrash(t *testing.T) {
	b := &builder{}
	b.write(1, history.FXAdd, "ch", "a", history.OK, "1-0")
	b.nemesis("powerloss", true)
	b.nemesis("powerloss", false)
	b.write(1, history.FXAdd, "ch", "b", history.OK, "1-0") // the same ID, after the crash
	b.read(2, "ch", true, e("1-0", "b"))
	res := check(t, b)
	wantKind(t, res, KindReusedID, "ID 1-0 held \"a\"")
	wantKind(t, res, KindLost, "absent")
	wantKind(t, res, KindIDOrder, "not above 1-0")
}

func TestCatchesUnexplainedDuplicate(t *testing.T) {
	b := acceptedHistory()
	replaceFinal(b, ea, eb, ec, ed, e("5-0", "b"))
	wantKind(t, check(t, b), KindDuplicate, "stored 2 times")
}

func TestExplainsDuplicateOfRetriedWrite(t *testing.T) {
	b := &builder{}
	b.write(1, history.FPublish, "ch", "a", history.Info, "")
	b.add(history.Op{Process: 2, Type: history.Invoke, F: history.FPublish, Channel: "ch", Value: "a", Attempt: 2})
	b.add(history.Op{Process: 2, Type: history.OK, F: history.FPublish, Channel: "ch", Value: "a"})
	b.read(3, "ch", true, e("1-0", "a"), e("2-0", "a"))
	res := check(t, b)
	if !res.Valid || res.Stats.DuplicatesOK != 1 {
		t.Fatalf("retried write's duplicate: valid=%v %+v %+v", res.Valid, res.Counts, res.Stats)
	}
}

func TestCatchesGapInRead(t *testing.T) {
	b := acceptedHistory()
	b.read(8, "ch", false, ea, ec)
	wantKind(t, check(t, b), KindGap, "skipped 1 entries")
}

func TestCatchesStaleFullRead(t *testing.T) {
	b := acceptedHistory()
	b.read(8, "ch", false, ea) // b, c, d acknowledged long before
	wantKind(t, check(t, b), KindStaleRead, "acknowledged before the read began")
}

func TestCatchesReadOfVanishedWrite(t *testing.T) {
	b := acceptedHistory()
	b.write(9, history.FXAdd, "ch", "e", history.Info, "")
	b.readAfter(8, "ch", false, &ed, e("5-0", "e")) // seen, then lost in a crash
	wantKind(t, check(t, b), KindUncommittedRead, "does not hold")
}

func TestCatchesSubscriberThatMissedAMessage(t *testing.T) {
	b := acceptedHistory()
	for i := range b.ops {
		if b.ops[i].F == history.FRecv {
			b.ops[i].Values = []string{"b", "c"}
		}
	}
	wantKind(t, check(t, b), KindMissed, "never received \"d\"")
}

func TestCatchesFinalReadersThatDisagree(t *testing.T) {
	b := acceptedHistory()
	b.ops[len(b.ops)-1].Entries = []history.Entry{ea, eb, ed}
	wantKind(t, check(t, b), KindFinalDisagree, "first difference at position 2")
}

func TestNoFinalRead(t *testing.T) {
	b := &builder{}
	b.write(1, history.FXAdd, "ch", "a", history.OK, "1-0")
	wantKind(t, check(t, b), KindNoFinalRead, "")
}

func TestDeltaEncodedReadsExpand(t *testing.T) {
	b := acceptedHistory()
	// A read from the start stored as "the first 2 entries of event 5" plus c.
	base := -1 // the first read: a, b
	for _, op := range b.ops {
		if op.F == history.FRead && op.Type == history.OK && base < 0 {
			base = op.Index
		}
	}
	b.add(history.Op{Process: 8, Type: history.Invoke, F: history.FRead, Channel: "ch"})
	b.add(history.Op{Process: 8, Type: history.OK, F: history.FRead, Channel: "ch", Base: base, Same: 2, After: &eb, Entries: []history.Entry{ed}, Count: 3})
	wantKind(t, check(t, b), KindGap, "skipped 1 entries")
}

// probeHistory: the accepted history, then a corruption probe whose node
// served es (after the copy was taken at the "corrupt" event).
func probeHistory(outcome string, es ...history.Entry) *builder {
	b := acceptedHistory()
	b.add(history.Op{Process: history.NemesisProcess, Type: history.Invoke, F: "corrupt", Node: "n1"})
	b.add(history.Op{Process: history.NemesisProcess, Type: history.OK, F: "corrupt", Node: "n1"})
	b.add(history.Op{Process: history.NemesisProcess, Type: history.Invoke, F: "corrupt-probe", Node: "probe-0", Detail: "bit flip: 000002.log"})
	b.add(history.Op{Process: 20, Type: history.Invoke, F: history.FRead, Channel: "ch", Node: "probe-0"})
	b.add(history.Op{Process: 20, Type: history.OK, F: history.FRead, Channel: "ch", Node: "probe-0", Entries: es})
	b.add(history.Op{Process: history.NemesisProcess, Type: history.OK, F: "corrupt-probe", Node: "probe-0", Detail: outcome})
	return b
}

func TestCorruptionProbes(t *testing.T) {
	res := check(t, probeHistory("started; served all 1 channels", fullLog...))
	if !res.Valid || len(res.Counts) != 0 || len(res.Corruption) != 1 || res.Corruption[0].Entries != 4 {
		t.Fatalf("a probe that served the right log: %+v %+v", res.Counts, res.Corruption)
	}
	res = check(t, probeHistory("started; served all 1 channels", ea, eb))
	if !res.Valid || res.Counts[KindCorruptSilentLoss] != 1 || res.Corruption[0].Missing != 1 {
		t.Fatalf("silent loss is a warning: %+v %+v", res.Counts, res.Corruption) // d was acknowledged; c never was
	}
	wantKind(t, check(t, probeHistory("started", ea, e("2-0", "made-up"))), KindCorruptWrongValue, "not in the log")
	res = check(t, probeHistory("refused to start: crashed: panic: on-disk corruption"))
	if !res.Valid || res.Counts[KindCorruptCrash] != 1 {
		t.Fatalf("a crash on damaged files is a warning: %+v", res.Counts)
	}
}

func TestCatchesFinalLogOutOfOrder(t *testing.T) {
	b := acceptedHistory()
	replaceFinal(b, ea, ec, eb, ed)
	wantKind(t, check(t, b), KindOrder, "the final log holds")
}
