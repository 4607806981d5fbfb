package wal

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// runsTwin is two logs given the same requests: one stores deliveries in
// runs, the other every pending entry in a record of its own.
type runsTwin struct {
	t          *testing.T
	now        atomic.Int64 // the logs' clock
	fs         [2]vfs.FS
	l          [2]*Log
	ops        []string // what was done, for the failure message
	restarts   int
	runRecords int // run records seen by the last check of the runs log
}

func newRunsTwin(t *testing.T) *runsTwin {
	w := &runsTwin{t: t, fs: [2]vfs.FS{vfs.NewMem(), vfs.NewMem()}}
	w.now.Store(1000)
	w.open()
	t.Cleanup(func() {
		for _, l := range w.l {
			l.Close()
		}
	})
	return w
}

func (w *runsTwin) open() {
	for i := range w.l {
		noRuns := i == 1
		w.l[i] = openMem(w.t, w.fs[i], func(o *Options) {
			o.NowMs = w.now.Load
			o.noDeliveryRuns = noRuns
			o.Logger = nil
		})
	}
}

func (w *runsTwin) restart() {
	w.t.Helper()
	before := w.state(w.l[0])
	for _, l := range w.l {
		if err := l.Close(); err != nil {
			w.t.Fatal(err)
		}
	}
	w.open()
	w.restarts++
	if after := w.state(w.l[0]); after != before {
		w.fail("restart changed the state:\nbefore %s\nafter  %s", before, after)
	}
}

func (w *runsTwin) fail(format string, args ...any) {
	w.t.Helper()
	ops := w.ops
	if len(ops) > 30 {
		ops = ops[len(ops)-30:]
	}
	w.t.Fatalf("after %d operations (last: %s):\n%s", len(w.ops), strings.Join(ops, "; "), fmt.Sprintf(format, args...))
}

// do gives both logs the command fill makes and checks they answered alike.
func (w *runsTwin) do(what string, fill func(p *Command)) op {
	w.t.Helper()
	w.ops = append(w.ops, what)
	var res [2]string
	var out op
	for i, l := range w.l {
		p := do(w.t, l, fill)
		res[i] = fmt.Sprintf("err=%v n=%d id=%v last=%v ids=%v", p.Err, p.N, p.ID, p.LastID, p.Result.IDs)
		if p.Claim != nil {
			res[i] += fmt.Sprintf(" next=%v deleted=%v claimed=%v", p.Next, p.Deleted, p.Claimed)
		}
		if p.Kind == OpRedeliveryScan {
			res[i] += fmt.Sprintf(" dead=%d", len(p.DeadLettered))
		}
		if i == 0 {
			out = p
		}
	}
	if res[0] != res[1] {
		w.fail("%s answered differently:\nruns    %s\nrecords %s", what, res[0], res[1])
	}
	if a, b := w.state(w.l[0]), w.state(w.l[1]); a != b {
		w.fail("states differ:\nruns    %s\nrecords %s", a, b)
	}
	return out
}

// state renders every group of channel s: its summary, consumers and
// durable pending entries list.
func (w *runsTwin) state(l *Log) string {
	w.t.Helper()
	groups, _ := l.Groups([]byte("s"))
	var b strings.Builder
	for _, g := range groups {
		fmt.Fprintf(&b, "[%s last=%v read=%d pending=%d first=%v lastp=%v lost=%d]", g.Name, g.LastID, g.EntriesRead, g.Pending, g.FirstPending, g.LastPending, g.Lost)
		for _, c := range g.Consumers {
			fmt.Fprintf(&b, " %s:%d:%d:%d", c.Name, c.Pending, c.SeenMs, c.ActiveMs)
		}
		n := int64(0)
		err := l.Pending([]byte("s"), g, PendingQuery{End: MaxID}, func(r PendingRecord, c string) error {
			fmt.Fprintf(&b, " %v:%s:%d:%d", r.ID, c, r.DeliveredMs, r.Count)
			n++
			return nil
		})
		if err != nil {
			w.t.Fatal(err)
		}
		if n != g.Pending {
			w.fail("group %s: %d pending, %d listed", g.Name, g.Pending, n)
		}
	}
	return b.String()
}

// pendingIDs lists the IDs pending in group g.
func (w *runsTwin) pendingIDs(g string) []ID {
	info, ok := w.l[0].Group([]byte("s"), []byte(g))
	if !ok {
		return nil
	}
	var ids []ID
	if err := w.l[0].Pending([]byte("s"), info, PendingQuery{End: MaxID}, func(r PendingRecord, _ string) error {
		ids = append(ids, r.ID)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// countRuns counts the run records in the runs log.
func (w *runsTwin) countRuns() int {
	n := 0
	if err := w.l[0].scanPrefix(kindPrefix(nil, w.l[0].shard, prefixRun), func(k, v []byte) error { n++; return nil }); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestDeliveryRunsMatchOwnRecords: random sequences of every operation that
// changes a pending entries list (reads of any COUNT, acks of any part of
// what was read, XCLAIM with and without FORCE and JUSTID, XAUTOCLAIM,
// XREADGROUP CLAIM, history reads, redeliveries and dead-lettering by an
// ack-wait policy, DELCONSUMER, SETID backwards, XDEL, restarts) leave a
// log that stores deliveries in runs exactly as one that stores a record
// per entry: same replies, same durable lists, and the same after a
// restart.
func TestDeliveryRunsMatchOwnRecords(t *testing.T) {
	seeds := 12
	if testing.Short() || raceEnabled {
		seeds = 3 // about 20 s under the race detector
	}
	totalRuns := 0
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			totalRuns += runTwinSequence(t, uint64(seed))
		})
	}
	if totalRuns == 0 {
		t.Fatal("no delivery run was ever stored: the test compares nothing")
	}
}

func runTwinSequence(t *testing.T, seed uint64) int {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := newRunsTwin(t)
	consumers := []string{"c0", "c1", "c2", "c3"}
	groups := []string{"g0", "g1"}
	counts := []int{1, 2, 3, 4, 5, 7, 10, 50, 300, 0}
	maxRuns := 0
	var published []ID
	pick := func(ids []ID, frac int) []ID {
		var out []ID
		for _, id := range ids {
			if rng.IntN(100) < frac {
				out = append(out, id)
			}
		}
		return out
	}
	publishN := func(n int) {
		for range n {
			p := w.do("publish", func(p *Command) {
				p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte("s"), IDSpec{Auto: true}, [][]byte{MessageField, []byte("x")}
			})
			published = append(published, p.ID)
		}
	}
	publishN(20)
	w.do("create g0", func(p *Command) { groupOp(OpGroupCreate, "s", "g0", "")(p); p.EntriesRead = 0 })
	w.do("create g1", func(p *Command) {
		groupOp(OpGroupCreate, "s", "g1", "")(p)
		p.EntriesRead = 0
		p.Config = &GroupConfig{AckWaitMs: 20, MaxDeliver: 3, DeadLetter: "dlq"}
	})
	for step := 0; step < 400; step++ {
		g := groups[rng.IntN(len(groups))]
		c := consumers[rng.IntN(len(consumers))]
		count := counts[rng.IntN(len(counts))]
		switch op := rng.IntN(100); {
		case op < 10:
			publishN(1 + rng.IntN(40))
		case op < 35:
			noAck := rng.IntN(10) == 0
			w.do(fmt.Sprintf("read %s %s count %d noack %v", g, c, count, noAck), func(p *Command) {
				groupOp(OpGroupRead, "s", g, c)(p)
				p.Count, p.NoAck = count, noAck
			})
		case op < 55:
			ids := pick(w.pendingIDs(g), []int{10, 50, 90, 100}[rng.IntN(4)])
			w.do(fmt.Sprintf("ack %s %d", g, len(ids)), func(p *Command) { groupOp(OpAck, "s", g, "")(p); p.IDs = ids })
		case op < 62:
			ids := pick(w.pendingIDs(g), 20)
			if len(published) > 0 && rng.IntN(2) == 0 {
				ids = append(ids, published[rng.IntN(len(published))])
			}
			force, justID := rng.IntN(3) == 0, rng.IntN(3) == 0
			minIdle := int64(rng.IntN(3) * 10)
			w.do(fmt.Sprintf("xclaim %s %s %d force %v justid %v idle %d", g, c, len(ids), force, justID, minIdle), func(p *Command) {
				groupOp(OpClaim, "s", g, c)(p)
				p.IDs = append([]ID(nil), ids...)
				p.Claim = &ClaimInput{MinIdleMs: minIdle, RetryCount: -1, Force: force, JustID: justID}
			})
		case op < 67:
			minIdle := int64(rng.IntN(3) * 10)
			w.do(fmt.Sprintf("xautoclaim %s %s count %d idle %d", g, c, count, minIdle), func(p *Command) {
				groupOp(OpAutoClaim, "s", g, c)(p)
				p.Count = max(count, 1)
				p.Claim = &ClaimInput{MinIdleMs: minIdle, RetryCount: -1}
			})
		case op < 71:
			w.do(fmt.Sprintf("read claim %s %s count %d", g, c, count), func(p *Command) {
				groupOp(OpClaimIdle, "s", g, c)(p)
				p.Count = count
				p.Claim = &ClaimInput{MinIdleMs: 10, ThenRead: true}
			})
		case op < 76:
			w.do(fmt.Sprintf("history %s %s count %d", g, c, count), func(p *Command) {
				groupOp(OpGroupHistory, "s", g, c)(p)
				p.Count = count
			})
		case op < 79:
			w.do(fmt.Sprintf("delconsumer %s %s", g, c), groupOp(OpConsumerDelete, "s", g, c))
		case op < 82:
			var to ID
			if len(published) > 0 {
				to = published[rng.IntN(len(published))]
			}
			w.do(fmt.Sprintf("setid %s %v", g, to), func(p *Command) {
				groupOp(OpGroupSetID, "s", g, "")(p)
				p.Spec.ID = to
			})
		case op < 85:
			ids := pick(published, 3)
			w.do(fmt.Sprintf("xdel %d", len(ids)), func(p *Command) { p.Kind, p.Channel, p.IDs = OpDelete, []byte("s"), ids })
		case op < 90:
			w.do("scan", func(p *Command) { p.Kind = OpRedeliveryScan })
		case op < 97:
			now := w.now.Add(int64(rng.IntN(15)))
			w.ops = append(w.ops, fmt.Sprintf("now %d", now))
		default:
			w.restart()
		}
		maxRuns = max(maxRuns, w.countRuns())
	}
	w.restart()
	// Everything acknowledged: no run record may be left behind.
	for _, g := range groups {
		if ids := w.pendingIDs(g); len(ids) > 0 {
			w.do("ack all "+g, func(p *Command) { groupOp(OpAck, "s", g, "")(p); p.IDs = ids })
		}
	}
	if n := w.countRuns(); n != 0 {
		w.fail("%d run records left with nothing pending", n)
	}
	return maxRuns
}

// FuzzDecodeRun: any bytes decode to an error or to a run whose IDs are in
// order from the key's ID, and that run encodes to bytes that decode to it
// again (not always the same bytes: a varint may be written longer than
// needed).
func FuzzDecodeRun(f *testing.F) {
	first := ID{Ms: 1700000000000, Seq: 3}
	f.Add(first.Ms, first.Seq, appendRun(nil, first, runRecord{consumerID: 1, deliveredMs: 5, ids: []ID{first, {Ms: first.Ms, Seq: 9}, {Ms: first.Ms + 2}}}))
	f.Add(uint64(0), uint64(0), appendRun(nil, ID{}, runRecord{consumerID: 7, deliveredMs: -1, ids: []ID{{Seq: 1}, {Ms: 1<<64 - 1, Seq: 1<<64 - 1}}}))
	f.Add(uint64(5), uint64(1<<64-1), []byte{1, 1, 0, 2, 0, 0, 0, 1})
	f.Add(uint64(1), uint64(1), []byte{1, 1, 0, 1})
	f.Add(uint64(1), uint64(1), []byte{2})
	f.Fuzz(func(t *testing.T, ms, seq uint64, data []byte) {
		first := ID{Ms: ms, Seq: seq}
		rec, err := decodeRun(first, data, nil)
		if err != nil {
			return
		}
		if len(rec.ids) == 0 || rec.ids[0].Less(first) {
			t.Fatalf("decoded %v from key %v", rec.ids, first)
		}
		for i := 1; i < len(rec.ids); i++ {
			if !rec.ids[i-1].Less(rec.ids[i]) {
				t.Fatalf("IDs out of order: %v", rec.ids)
			}
		}
		enc := appendRun(nil, first, rec)
		again, err := decodeRun(first, enc, nil)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(rec) {
			t.Fatalf("round trip of %x: %+v, then %x: %+v %v", data, rec, enc, again, err)
		}
	})
}

// TestCrashKeepsGroupState: consumers read (in runs and one by one), ack
// parts of what they hold, read their history again and claim each
// other's entries while the machine crashes at random moments (crash
// clones keeping none, half or all of what was not synced). After each
// crash: no entry whose ack was acknowledged is pending; every entry whose
// delivery was acknowledged is pending unless an ack of it was sent; the
// group's cursor is past every acknowledged delivery; nothing never
// delivered is pending; the lists and counts agree; a restart changes
// nothing; and acking everything leaves no delivery run behind.
func TestCrashKeepsGroupState(t *testing.T) {
	base := testSeed(t)
	cycles := 6
	if raceEnabled {
		cycles = 3
	}
	for cycle := range cycles {
		seed := base + uint64(cycle)
		t.Run(fmt.Sprintf("cycle%02d", cycle), func(t *testing.T) {
			t.Logf("cycle seed %d", seed)
			crashCycleGroups(t, seed)
		})
		if t.Failed() {
			return
		}
	}
}

type groupEvent struct {
	ids    []ID
	before int // clones taken before it was acknowledged
}

func crashCycleGroups(t *testing.T, seed uint64) {
	const (
		consumers = 4
		rounds    = 60 // per consumer
		entries   = 15000
	)
	rng := rand.New(rand.NewPCG(seed, 1))
	fs := vfs.NewCrashableMem()
	var clock atomic.Int64
	clock.Store(1_000_000)
	l := openMem(t, fs, func(o *Options) { o.NowMs = clock.Load })
	publishMany(t, l, "s", entries)
	if p := do(t, l, func(p *Command) { groupOp(OpGroupCreate, "s", "g", "")(p); p.EntriesRead = 0 }); p.Err != nil {
		t.Fatal(p.Err)
	}
	var gate cloneGate
	// Every round acknowledges its ack request (and most also a read):
	// at least consumers*rounds acknowledgements, so every clone point is
	// reached whatever the consumers draw (with *2, a run with few reads
	// stopped short of the last one).
	at := clonePoints(rng, len(crashPercents), int64(consumers*rounds))
	stop := make(chan struct{})
	var clones []*vfs.MemFS
	cloned := make(chan struct{})
	go func() {
		defer close(cloned)
		clones = gate.cloneAt(fs, at, rand.New(rand.NewPCG(seed, 2)), stop)
	}()
	var (
		mu        sync.Mutex
		delivered []groupEvent
		acks      []groupEvent
		ackSent   = map[ID]bool{}
	)
	counts := []int{1, 2, 3, 5, 8, 20, 50, 100, 300}
	var wg sync.WaitGroup
	for w := range consumers {
		wg.Go(func() {
			wr := rand.New(rand.NewPCG(seed, uint64(100+w)))
			name := fmt.Sprintf("c%d", w)
			var held []ID
			for range rounds {
				clock.Add(int64(wr.IntN(3)))
				var p op
				switch wr.IntN(10) {
				case 0: // history read: every held entry counted once more
					p = do(t, l, func(p *Command) { groupOp(OpGroupHistory, "s", "g", name)(p) })
				case 1: // claim what others hold
					mu.Lock()
					var ids []ID
					for _, ev := range delivered {
						if len(ev.ids) > 0 && wr.IntN(4) == 0 {
							ids = append(ids, ev.ids[wr.IntN(len(ev.ids))])
						}
					}
					mu.Unlock()
					p = do(t, l, func(p *Command) {
						groupOp(OpClaim, "s", "g", name)(p)
						p.IDs, p.Claim = ids, &ClaimInput{RetryCount: -1}
					})
					held = append(held, p.Result.IDs...)
				default:
					count := counts[wr.IntN(len(counts))]
					p = do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "g", name)(p); p.Count = count })
					var ids []ID
					if p.N > 0 {
						// The entries are contiguous in the log: p.ID..p.LastID.
						ids = idsBetween(t, l, p.ID, p.LastID)
					}
					before := gate.acked()
					mu.Lock()
					delivered = append(delivered, groupEvent{ids: ids, before: before})
					mu.Unlock()
					held = append(held, ids...)
				}
				if p.Err != nil {
					t.Errorf("%s: %v", name, p.Err)
					return
				}
				// Ack a random part of what this consumer holds.
				var ack, keep []ID
				frac := []int{0, 30, 100}[wr.IntN(3)]
				for _, id := range held {
					if wr.IntN(100) < frac {
						ack = append(ack, id)
					} else {
						keep = append(keep, id)
					}
				}
				held = keep
				mu.Lock()
				for _, id := range ack {
					ackSent[id] = true
				}
				mu.Unlock()
				if a := do(t, l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = ack }); a.Err != nil {
					t.Errorf("ack: %v", a.Err)
					return
				}
				before := gate.acked()
				mu.Lock()
				acks = append(acks, groupEvent{ids: ack, before: before})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	<-cloned
	mustClose(t, l)
	if t.Failed() {
		return
	}
	if len(clones) != len(crashPercents) {
		t.Fatalf("took %d clones, want %d (clone points %v)", len(clones), len(crashPercents), at)
	}
	everDelivered := map[ID]bool{}
	for _, ev := range delivered {
		for _, id := range ev.ids {
			everDelivered[id] = true
		}
	}
	for k, clone := range clones {
		t.Run(fmt.Sprintf("unsynced%d", crashPercents[k]), func(t *testing.T) {
			l := openMem(t, clone, func(o *Options) { o.NowMs = clock.Load })
			defer func() { mustClose(t, l) }()
			g, ok := l.Group([]byte("s"), []byte("g"))
			if !ok {
				t.Fatal("the group is gone")
			}
			pending := map[ID]bool{}
			perConsumer := map[string]int64{}
			if err := l.Pending([]byte("s"), g, PendingQuery{End: MaxID}, func(r PendingRecord, c string) error {
				pending[r.ID] = true
				perConsumer[c]++
				if r.Count < 1 {
					t.Errorf("%v pending with delivery count %d", r.ID, r.Count)
				}
				if !everDelivered[r.ID] {
					t.Errorf("%v pending but never delivered", r.ID)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if int64(len(pending)) != g.Pending {
				t.Errorf("summary says %d pending, the list has %d", g.Pending, len(pending))
			}
			for _, c := range g.Consumers {
				if c.Pending != perConsumer[c.Name] {
					t.Errorf("consumer %s: %d pending, owns %d in the list", c.Name, c.Pending, perConsumer[c.Name])
				}
			}
			survivedAcks := 0
			for _, ev := range acks {
				for _, id := range ev.ids {
					if ev.before <= k && pending[id] {
						t.Errorf("ack of %v acknowledged before the crash, but it is pending", id)
					}
				}
				if ev.before <= k {
					survivedAcks += len(ev.ids)
				}
			}
			kept := 0
			for _, ev := range delivered {
				if ev.before > k {
					continue
				}
				for _, id := range ev.ids {
					if g.LastID.Less(id) {
						t.Errorf("delivery of %v acknowledged before the crash, cursor at %v", id, g.LastID)
					}
					if !pending[id] && !ackSent[id] {
						t.Errorf("delivery of %v acknowledged before the crash, not pending, never acked", id)
					}
					kept++
				}
			}
			t.Logf("%d deliveries and %d acks acknowledged before the crash; %d pending after it", kept, survivedAcks, len(pending))
			// A restart changes nothing; then acking everything leaves no run.
			render := func() string {
				g, _ := l.Group([]byte("s"), []byte("g"))
				var b strings.Builder
				fmt.Fprintf(&b, "%v %d", g.LastID, g.Pending)
				_ = l.Pending([]byte("s"), g, PendingQuery{End: MaxID}, func(r PendingRecord, c string) error {
					fmt.Fprintf(&b, " %v:%s:%d:%d", r.ID, c, r.DeliveredMs, r.Count)
					return nil
				})
				return b.String()
			}
			before := render()
			mustClose(t, l)
			l = openMem(t, clone, func(o *Options) { o.NowMs = clock.Load })
			if after := render(); after != before {
				t.Fatalf("restart after the crash changed the group:\n%s\n%s", before, after)
			}
			var all []ID
			for id := range pending {
				all = append(all, id)
			}
			if a := do(t, l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = all }); a.Err != nil || a.N != int64(len(all)) {
				t.Fatalf("acking all %d pending: %d, %v", len(all), a.N, a.Err)
			}
			n := 0
			if err := l.scanPrefix(kindPrefix(nil, l.shard, prefixRun), func(k, v []byte) error { n++; return nil }); err != nil || n != 0 {
				t.Fatalf("%d delivery runs left with nothing pending (%v)", n, err)
			}
		})
	}
}

// idsBetween lists the IDs of channel s from first to last.
func idsBetween(t *testing.T, l *Log, first, last ID) []ID {
	var ids []ID
	if _, err := l.Range([]byte("s"), RangeQuery{Start: first, End: last}, func(e *Entry) error {
		ids = append(ids, e.ID)
		return nil
	}); err != nil {
		t.Error(err)
	}
	return ids
}
