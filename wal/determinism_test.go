package wal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestApplyIsDeterministic applies the same random sequence of writes of
// every kind (appends, deletes, trims, drops, XSETID, retention, node
// limits, groups and consumers, group reads, acks, history reads, claims,
// reference-aware deletes and trims, redelivery scans with dead letters,
// cursors, reads held back by pending limits) to two fresh logs and
// requires the same results and the same stored records.
//
// Log a is the leader: its writer stamps each request with a's clock,
// which mostly moves forward and sometimes back (a new leader whose clock
// is behind). Log b is a replica: it is given a's index and stamp for each
// request, and a clock of its own that is hours off and jumps at every
// read, so a result or record that depends on anything but the request and
// its stamp differs. b gets the requests several at a time, so its batches
// (one fsync each) are not a's, and now and then a request again at an
// index it already applied (as a replica replaying its log), which must
// change nothing. Only the node-local span (LocalSpan: the commit counter, the layout
// version, the close's metadata records, Raft's log) is left out.
func TestApplyIsDeterministic(t *testing.T) {
	heldBack := 0
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			a := newDetLog(t, nil)
			rng := rand.New(rand.NewPCG(seed, 42))
			offRNG := rand.New(rand.NewPCG(seed, 7))
			b := newDetLog(t, func() int64 { return 1_700_000_000_000 + offRNG.Int64N(4*3600_000) - 2*3600_000 })
			var history []*Request
			for step := 0; step < 2000; {
				n := 1 + rng.IntN(8)
				var ops []detWrite
				for range n {
					ops = append(ops, randomWrite(rng, step))
					step++
				}
				var ras []string
				for _, op := range ops {
					r := a.apply(t, op)
					history = append(history, r)
					ras = append(ras, resultText(r.op(0)))
				}
				replay := -1
				if rng.IntN(10) == 0 {
					replay = rng.IntN(len(history))
				}
				rbs := b.replicate(t, history[len(history)-n:], ops, history, replay)
				for i := range ops {
					if ras[i] != rbs[i] {
						t.Fatalf("step %d (%s): results differ\n a: %s\n b: %s", step-n+i, opName(ops[i]), ras[i], rbs[i])
					}
				}
				for _, ra := range ras {
					if strings.Contains(ra, " held=true") {
						heldBack++
					}
				}
			}
			ka, kb := a.records(t), b.records(t)
			if len(ka) < 50 {
				t.Fatalf("only %d records: the sequence did little", len(ka))
			}
			if !reflect.DeepEqual(ka, kb) {
				t.Fatalf("stored records differ: %d and %d records; first difference: %s", len(ka), len(kb), firstDiff(ka, kb))
			}
			ia, da, errA := a.l.Digest()
			ib, db, errB := b.l.Digest()
			if errA != nil || errB != nil || ia != ib || da != db || ia != uint64(len(history)) {
				t.Fatalf("digests: a %d %x (%v), b %d %x (%v), want index %d", ia, da, errA, ib, db, errB, len(history))
			}
		})
	}
	if heldBack < 20 {
		t.Fatalf("only %d reads were held back by a pending limit", heldBack)
	}
}

// detLog is a log on an in-memory filesystem. Without now, its clock moves
// only when the test moves it.
type detLog struct {
	l     *Log
	clock int64
}

func newDetLog(t *testing.T, now func() int64) *detLog {
	d := &detLog{clock: 1_700_000_000_000}
	if now == nil {
		now = func() int64 { return d.clock }
	}
	d.l = openMem(t, vfs.NewMem(), func(o *Options) {
		o.NowMs = now
		o.HighWaterInterval = 1 << 62
	})
	t.Cleanup(func() { _ = d.l.Close() })
	return d
}

// apply runs w as a request of its own, stamped by the log's writer.
func (d *detLog) apply(t *testing.T, w detWrite) *Request {
	t.Helper()
	d.clock += w.advanceMs
	r := NewRequest()
	w.fill(r.Add())
	if err := d.l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	return r
}

// replicate submits the writes ops, as applied by the leader in led, all
// before waiting for any, each at the leader's index and stamp. If replay
// is not negative, history[replay] is submitted again first (after the
// previous call's requests, so at an index already applied), and must
// change nothing. It returns the results of ops as text.
func (d *detLog) replicate(t *testing.T, led []*Request, ops []detWrite, history []*Request, replay int) []string {
	t.Helper()
	var reqs []*Request
	submit := func(leader *Request, w detWrite) *Request {
		r := NewRequest()
		w.fill(r.Add())
		r.Index, r.StampMs = leader.Index, leader.TimeMs
		if err := d.l.Submit(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	var again *Request
	if replay >= 0 && history[replay].Index <= d.l.Applied() {
		again = submit(history[replay], detWrite{fill: func(p *Command) { *p = history[replay].Commands[0] }})
	}
	for i, w := range ops {
		reqs = append(reqs, submit(led[i], w))
	}
	if again != nil {
		again.Wait()
		if err := again.op(0).Err; err != ErrApplied {
			t.Fatalf("index %d again: %v, want ErrApplied", again.Index, err)
		}
	}
	out := make([]string, len(reqs))
	for i, r := range reqs {
		r.Wait()
		if r.TimeMs != led[i].TimeMs {
			t.Fatalf("index %d applied at %d, the leader's stamp is %d", r.Index, r.TimeMs, led[i].TimeMs)
		}
		out[i] = resultText(r.op(0))
	}
	return out
}

// resultText renders the results of a command.
func resultText(p op) string {
	s := fmt.Sprintf("id=%v inc=%d last=%v n=%d skipped=%v err=%v created=%v cc=%v cd=%v held=%v ids=%v codes=%v",
		p.ID, p.Incarnation, p.LastID, p.N, p.Skipped, p.Err, p.Created, p.ConsumerCreated, p.ConsumerDeleted, p.HeldBack, p.Result.IDs, p.Codes)
	if p.Claim != nil {
		s += fmt.Sprintf(" claim(next=%v deleted=%v claimed=%v wake=%d)", p.Next, p.Deleted, p.Claimed, p.WakeMs)
	}
	if p.Kind == OpRedeliveryScan {
		s += fmt.Sprintf(" scan(due=%q dead=%d)", p.Due, len(p.DeadLettered))
	}
	return s + fmt.Sprintf(" entries=%x", []byte(p.Entries))
}

// records returns every stored record outside the node-local span (the
// commit counter, the layout version), as "key=value" strings in key
// order.
func (d *detLog) records(t *testing.T) []string {
	t.Helper()
	if err := d.l.db.Flush(); err != nil {
		t.Fatal(err)
	}
	it, err := d.l.db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if isNodeLocal(k) {
			continue
		}
		out = append(out, fmt.Sprintf("%x=%x", k, it.Value()))
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("record %d: %s vs %s", i, a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// detWrite is one write of the random sequence.
type detWrite struct {
	kind      OpKind
	advanceMs int64
	fill      func(p *Command)
}

func opName(w detWrite) string { return fmt.Sprintf("op %d", w.kind) }

// randomWrite returns a random write on a few channels and groups.
func randomWrite(rng *rand.Rand, step int) detWrite {
	ch := []byte(fmt.Sprintf("c%d", rng.IntN(3)))
	group := []byte(fmt.Sprintf("g%d", rng.IntN(2)))
	consumer := []byte(fmt.Sprintf("k%d", rng.IntN(3)))
	id := func() ID { return ID{Ms: 1_700_000_000_000 + uint64(rng.IntN(step+10)*10), Seq: uint64(rng.IntN(3))} }
	w := detWrite{advanceMs: int64(rng.IntN(400))}
	if rng.IntN(20) == 0 {
		w.advanceMs = -int64(rng.IntN(5000)) // a leader whose clock is behind
	}
	kinds := []OpKind{OpAppend, OpAppend, OpAppend, OpAppend, OpDelete, OpTrim, OpDrop, OpSetID, OpSetRetention,
		OpSetNodeLimits, OpGroupCreate, OpGroupDestroy, OpGroupSetID, OpConsumerCreate, OpConsumerDelete,
		OpGroupRead, OpGroupRead, OpAck, OpGroupHistory, OpGroupConfig, OpRedeliveryScan, OpSetCursors,
		OpClaim, OpAutoClaim, OpClaimIdle, OpAckDel, OpDeleteEx, OpTrimRef}
	w.kind = kinds[rng.IntN(len(kinds))]
	if w.kind == OpDrop && rng.IntN(10) != 0 {
		w.kind = OpAppend // drops empty everything: keep them rare
	}
	fields := [][]byte{MessageField, bytes.Repeat([]byte{'v'}, rng.IntN(300))}
	if rng.IntN(3) == 0 {
		fields = [][]byte{[]byte("f"), []byte(fmt.Sprint(rng.IntN(1000))), []byte("g"), []byte("x")}
	}
	someIDs := func() []ID {
		ids := make([]ID, 1+rng.IntN(4))
		for i := range ids {
			ids[i] = id()
		}
		return ids
	}
	trim := Trim{Strategy: TrimMaxLen, MaxLen: uint64(rng.IntN(40)), Approx: rng.IntN(2) == 0}
	if rng.IntN(3) == 0 {
		trim = Trim{Strategy: TrimMinID, MinID: id(), Approx: rng.IntN(2) == 0}
	}
	if trim.Approx {
		trim.Limit = int64(rng.IntN(3) * 50)
	}
	claim := &ClaimInput{MinIdleMs: int64(rng.IntN(2000)), RetryCount: -1, Force: rng.IntN(2) == 0, JustID: rng.IntN(3) == 0}
	k := w.kind
	var tmpl Command
	func(p *Command) {
		p.Kind, p.Channel, p.EntriesRead = k, ch, EntriesReadUnknown
		switch k {
		case OpAppend:
			p.Spec, p.Fields = IDSpec{Auto: true}, fields
			if rng.IntN(5) == 0 {
				p.Trim = trim
			}
		case OpDelete, OpDeleteEx:
			p.IDs = someIDs()
		case OpTrim, OpTrimRef:
			p.Trim = trim
			p.Ref = RefPolicy(rng.IntN(3))
		case OpSetID:
			p.SetID = SetID{LastID: id()}
		case OpSetRetention:
			p.Retention = Retention{MaxLen: int64(rng.IntN(60)), Interest: rng.IntN(2) == 0}
		case OpSetNodeLimits:
			p.NodeLimits = NodeLimits{MaxEntries: int64(rng.IntN(8)), MaxBytes: int64(rng.IntN(3) * 2000)}
		case OpGroupCreate, OpGroupSetID:
			p.Group, p.AtLastID, p.MkStream = group, rng.IntN(2) == 0, rng.IntN(2) == 0
			if !p.AtLastID {
				p.Spec.ID = id()
			}
			if rng.IntN(3) == 0 {
				p.Config = &GroupConfig{AckWaitMs: 500, MaxDeliver: 2, DeadLetter: "dlq", MaxPending: int64(rng.IntN(2) * 5)}
			}
		case OpGroupConfig:
			p.Group, p.Config = group, &GroupConfig{AckWaitMs: int64(100 + rng.IntN(900)), MaxDeliver: int64(rng.IntN(4)), DeadLetter: "dlq",
				MaxPending: int64(rng.IntN(3) * 4)}
		case OpGroupDestroy, OpConsumerCreate, OpConsumerDelete:
			p.Group, p.Consumer = group, consumer
		case OpGroupRead, OpClaimIdle:
			p.Group, p.Consumer, p.Count, p.NoAck, p.WantEntries = group, consumer, rng.IntN(12), rng.IntN(6) == 0, true
			p.MaxPending = []int64{0, 3, 8}[rng.IntN(3)] // the server default, an input
			if k == OpClaimIdle {
				p.Claim, p.WantEntries = claim, false
				claim.ThenRead = true
			}
		case OpAck, OpAckDel:
			p.Group, p.IDs, p.Ref = group, someIDs(), RefPolicy(rng.IntN(3))
		case OpGroupHistory:
			p.Group, p.Consumer, p.Count = group, consumer, rng.IntN(10)
		case OpClaim:
			p.Group, p.Consumer, p.IDs, p.Claim = group, consumer, someIDs(), claim
		case OpAutoClaim:
			p.Group, p.Consumer, p.Count, p.Claim = group, consumer, 1+rng.IntN(10), claim
		case OpRedeliveryScan:
			p.Channel = nil
		case OpSetCursors:
			p.Cursors = []Cursor{{Name: consumer, Channel: ch, ID: id(), SeenMs: int64(step), Incarnation: uint64(1 + rng.IntN(3))}}
		}
	}(&tmpl)
	// Every log gets the same inputs.
	w.fill = func(p *Command) {
		*p = tmpl
	}
	return w
}
