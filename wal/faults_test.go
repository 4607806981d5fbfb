package wal

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// Fault tests: the filesystem under the Log fails or stalls fsyncs of
// Pebble's write-ahead log (files ending in ".log").

func isWALSync(op errorfs.Op) bool {
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		return strings.HasSuffix(op.Path, ".log")
	}
	return false
}

// syncStaller blocks WAL fsyncs while stalled; a released fsync then runs.
type syncStaller struct {
	mu      sync.Mutex
	release chan struct{} // nil when not stalled
	stalled chan struct{} // receives once per fsync that starts blocking
}

func newSyncStaller() *syncStaller {
	return &syncStaller{stalled: make(chan struct{}, 64)}
}

func (s *syncStaller) MaybeError(op errorfs.Op) error {
	if !isWALSync(op) {
		return nil
	}
	s.mu.Lock()
	rel := s.release
	s.mu.Unlock()
	if rel != nil {
		s.stalled <- struct{}{}
		<-rel
	}
	return nil
}

func (s *syncStaller) String() string { return "syncStaller" }

// stall makes WAL fsyncs from now on block until unstall.
func (s *syncStaller) stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release == nil {
		s.release = make(chan struct{})
	}
}

func (s *syncStaller) unstall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release != nil {
		close(s.release)
		s.release = nil
	}
}

// waitStalled waits until an fsync is blocked in the staller.
func (s *syncStaller) waitStalled(t testing.TB) {
	t.Helper()
	select {
	case <-s.stalled:
	case <-time.After(5 * time.Second):
		t.Fatal("no WAL fsync started within 5s")
	}
}

func submitAppend(t testing.TB, l *Log, ch, msg string) *Request {
	t.Helper()
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{Auto: true}, [][]byte{MessageField, []byte(msg)}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// doneCh returns a channel closed when r is done.
func doneCh(r *Request) <-chan struct{} {
	c := make(chan struct{})
	go func() { r.Wait(); close(c) }()
	return c
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func waitDone(t testing.TB, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(5 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("%s: not done after 5s\n%s", what, buf[:runtime.Stack(buf, true)])
	}
}

func ids(es []storedEntry) []ID {
	out := make([]ID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// rawCount counts the entries Pebble holds for a channel, bypassing the
// durable watermark.
func rawCount(t testing.TB, l *Log, ch string) int {
	t.Helper()
	c := l.lookup([]byte(ch))
	if c == nil {
		return 0
	}
	return len(rawEntries(t, l)[c.cid])
}

// TestNoReadBeforeFsync proves the durable watermark: while the fsync of an
// append is stalled (Pebble already shows the entry to its own iterators),
// the append is not acknowledged, Range does not return the entry, Meta does
// not count it, and a Watch armed before it does not fire; once the fsync
// returns, all three see it. A crash during the stall loses the entry — and
// since nobody saw it, a new append after the restart may take its ID.
func TestNoReadBeforeFsync(t *testing.T) {
	mem := vfs.NewCrashableMem()
	st := newSyncStaller()
	now := func() int64 { return 5000 }
	l := openMem(t, errorfs.Wrap(mem, st), func(o *Options) { o.NowMs = now })
	defer l.Close()
	first := publish(t, l, "s", "durable")
	m0, ok0, watch := l.Watch([]byte("s"))
	if !ok0 || m0.Length != 1 || m0.LastID != first {
		t.Fatalf("before: meta %+v %v", m0, ok0)
	}

	st.stall()
	r := submitAppend(t, l, "s", "pending")
	done := doneCh(r)
	st.waitStalled(t)
	maxRaw := 0
	for deadline := time.Now().Add(200 * time.Millisecond); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		maxRaw = max(maxRaw, rawCount(t, l, "s"))
		if isClosed(done) {
			t.Fatal("append acknowledged while its fsync is stalled")
		}
		if got := rangeAll(t, l, "s"); len(got) != 1 || got[0].ID != first {
			t.Fatalf("Range shows an entry before its fsync: %v", ids(got))
		}
		if m, ok := l.Meta([]byte("s")); !ok || m.Length != 1 || m.LastID != first {
			t.Fatalf("Meta counts an entry before its fsync: %+v", m)
		}
		if isClosed(watch) {
			t.Fatal("Watch fired before the fsync")
		}
		var seen int
		l.Channels(func(c ChannelInfo) bool { seen += int(c.Meta.Length); return true })
		if seen != 1 {
			t.Fatalf("Channels counts %d entries", seen)
		}
	}
	if maxRaw != 2 {
		// Pebble publishes a batch before its WAL sync returns; if that
		// changed, the checks above prove less.
		t.Logf("while the fsync was stalled Pebble's own iterators saw %d entries, not 2", maxRaw)
	}
	crashed := mem.CrashClone(vfs.CrashCloneCfg{}) // a crash now: only what was synced

	st.unstall()
	waitDone(t, done, "append after its fsync returned")
	p := r.op(0)
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	if got := rangeAll(t, l, "s"); len(got) != 2 || got[1].ID != p.ID {
		t.Fatalf("after the fsync Range shows %v, want [%v %v]", ids(got), first, p.ID)
	}
	if m, _ := l.Meta([]byte("s")); m.Length != 2 || m.LastID != p.ID {
		t.Fatalf("after the fsync Meta %+v", m)
	}
	waitDone(t, watch, "watch after the fsync")
	mustClose(t, l)

	l2 := openMem(t, crashed, func(o *Options) { o.NowMs = now })
	defer l2.Close()
	if got := rangeAll(t, l2, "s"); len(got) != 1 || got[0].ID != first {
		t.Fatalf("after the crash Range shows %v, want only %v", ids(got), first)
	}
	if m, _ := l2.Meta([]byte("s")); m.Length != 1 || m.LastID != first {
		t.Fatalf("after the crash Meta %+v", m)
	}
	id := publish(t, l2, "s", "after")
	if !first.Less(id) {
		t.Fatalf("new ID %v not above %v", id, first)
	}
	t.Logf("stalled append got %v and was lost with the crash; after the restart a new append got %v (reuse is allowed: nobody saw %v)", p.ID, id, p.ID)
}

// TestNoDeleteVisibleBeforeFsync: what holds for appends must hold for
// removals. While the fsync of an XDEL is stalled, readers must still see the
// entry: a crash now keeps it (the XDEL was never durable nor acknowledged),
// and a reader that already skipped it would have missed an acknowledged
// entry for good (a resumable subscriber's cursor moves past it), while Meta
// and Range disagree in the meantime.
func TestNoDeleteVisibleBeforeFsync(t *testing.T) {
	mem := vfs.NewCrashableMem()
	st := newSyncStaller()
	l := openMem(t, errorfs.Wrap(mem, st), nil)
	defer l.Close()
	var all []ID
	for i := 0; i < 3; i++ {
		all = append(all, publish(t, l, "s", fmt.Sprint("m", i)))
	}
	st.stall()
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.IDs = OpDelete, []byte("s"), []ID{all[1]}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	done := doneCh(r)
	st.waitStalled(t)
	got := rangeAll(t, l, "s")
	m, _ := l.Meta([]byte("s"))
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	st.unstall()
	waitDone(t, done, "XDEL")
	if len(got) != 3 {
		t.Errorf("while the XDEL's fsync was stalled Range returned %v (Meta.Length %d); want all of %v", ids(got), m.Length, all)
	}
	mustClose(t, l)
	l2 := openMem(t, crashed, nil)
	defer l2.Close()
	if after := rangeAll(t, l2, "s"); len(after) != 3 {
		t.Fatalf("after a crash during the stall: %v", ids(after))
	} else if len(got) != 3 {
		t.Errorf("after a crash during the stall the entry is back: %v — a reader saw it deleted", ids(after))
	}
}

// TestRangeDuringChannelCreation: a Watch on a channel that does not exist
// yet (SUBSCRIBE before the first PUBLISH) leaves a placeholder; a reader that
// polls the channel while the writer creates it must not race with it. Run
// with -race.
func TestRangeDuringChannelCreation(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	_, ok, watch := l.Watch([]byte("fresh"))
	if ok {
		t.Fatal("fresh channel exists")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !isClosed(stop) {
			if _, err := l.Range([]byte("fresh"), RangeQuery{End: MaxID}, func(*Entry) error { return nil }); err != nil {
				t.Error(err)
				return
			}
			runtime.Gosched()
		}
	}()
	time.Sleep(time.Millisecond)
	id := publish(t, l, "fresh", "hello")
	waitDone(t, watch, "watch")
	close(stop)
	wg.Wait()
	if got := rangeAll(t, l, "fresh"); len(got) != 1 || got[0].ID != id {
		t.Fatalf("read %v", ids(got))
	}
}

// TestCloseFinishesQueuedRequests: Close with more queued than fits in one
// batch must still finish every request (committed, or failed with
// ErrClosed): a publisher blocked in Wait must never hang.
func TestCloseFinishesQueuedRequests(t *testing.T) {
	mem := vfs.NewMem()
	st := newSyncStaller()
	l := openMem(t, errorfs.Wrap(mem, st), func(o *Options) {
		o.MaxEntryBytes, o.MaxBatchBytes = 2048, 2048
	})
	st.stall()
	first := submitAppend(t, l, "s", "first")
	st.waitStalled(t) // the first batch is in fsync; the rest queue up
	const n = 40
	payload := strings.Repeat("p", 1000)
	var dones []<-chan struct{}
	for i := 0; i < n; i++ {
		dones = append(dones, doneCh(submitAppend(t, l, "s", payload)))
	}
	// Let the writer fill its next batch and stop at MaxBatchBytes.
	for prev := -1; ; time.Sleep(10 * time.Millisecond) {
		if q := len(l.queue); q == prev {
			break
		} else {
			prev = q
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	time.Sleep(20 * time.Millisecond)
	st.unstall()
	waitDone(t, doneCh(first), "first request")
	deadline := time.Now().Add(5 * time.Second)
	hung := 0
	for _, d := range dones {
		select {
		case <-d:
		case <-time.After(time.Until(deadline)):
			hung++
		}
	}
	if hung > 0 {
		t.Errorf("%d of %d requests queued at Close never finished", hung, n)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
}

// TestIDsSurviveClockJumpAndDel proves IDs never go back within a channel's
// incarnation: across restarts with the clock going backwards, after XDEL of
// the last entry and a trim to zero (also across a restart). DEL ends the
// incarnation: the channel created again starts afresh with an incarnation
// never used before, in separate requests and in one, and across a restart.
func TestIDsSurviveClockJumpAndDel(t *testing.T) {
	fs := vfs.NewMem()
	var clock atomic.Int64
	clock.Store(1000)
	open := func() *Log {
		return openMem(t, fs, func(o *Options) { o.NowMs = func() int64 { return clock.Load() } })
	}
	var last ID
	next := func(l *Log, ch string) ID {
		t.Helper()
		id := publish(t, l, ch, fmt.Sprint("at ", clock.Load()))
		if !last.Less(id) {
			t.Fatalf("ID %v not above %v (clock %d)", id, last, clock.Load())
		}
		last = id
		return id
	}
	submit := func(l *Log, r *Request) {
		t.Helper()
		if err := l.Submit(r); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		for i := range r.Commands {
			if err := r.op(i).Err; err != nil {
				t.Fatalf("command %d: %v", i, err)
			}
		}
	}

	l := open()
	for i := 0; i < 3; i++ {
		next(l, "s")
	}
	if last != (ID{Ms: 1000, Seq: 2}) {
		t.Fatalf("last %v", last)
	}
	mustClose(t, l)
	clock.Store(500) // back in time across a restart
	l = open()
	if id := next(l, "s"); id != (ID{Ms: 1000, Seq: 3}) {
		t.Fatalf("after the clock went back: %v", id)
	}
	clock.Store(2000)
	next(l, "s")
	mustClose(t, l)
	clock.Store(10)
	l = open()
	top := next(l, "s") // 2000-1

	// XDEL the last entry, then trim to nothing.
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.IDs = OpDelete, []byte("s"), []ID{top}
	submit(l, r)
	if r.op(0).N != 1 {
		t.Fatalf("XDEL removed %d", r.op(0).N)
	}
	r = NewRequest()
	p = r.Add()
	p.Kind, p.Channel, p.Trim = OpTrim, []byte("s"), Trim{Strategy: TrimMaxLen}
	submit(l, r)
	if m, ok := l.Meta([]byte("s")); !ok || m.Length != 0 || m.LastID != top || m.MaxDeletedID != top {
		t.Fatalf("after XDEL and trim: %+v %v", m, ok)
	}
	next(l, "s") // 2000-2
	r = NewRequest()
	p = r.Add()
	p.Kind, p.Channel, p.Trim = OpTrim, []byte("s"), Trim{Strategy: TrimMaxLen}
	submit(l, r)
	mustClose(t, l)
	l = open() // empty channel, clock behind: the ID comes from the stored LastID
	defer func() { l.Close() }()
	if id := next(l, "s"); id != (ID{Ms: 2000, Seq: 3}) {
		t.Fatalf("after trimming to zero and a restart: %v", id)
	}

	// DEL ends the incarnation: the channel created again starts afresh
	// (IDs from the clock, as a new Redis stream), with a new incarnation,
	// also when the DEL and the XADD share a request, and across a
	// restart after the channel of the highest cid was deleted. The clock
	// is the state clock: the greatest time applied (2000), which a wall
	// clock behind it (10, then 1) does not move back, across restarts too.
	before, _ := l.Meta([]byte("s"))
	r = NewRequest()
	p = r.Add()
	p.Kind, p.Channel = OpDrop, []byte("s")
	submit(l, r)
	if _, ok := l.Meta([]byte("s")); ok {
		t.Fatal("channel exists after DEL")
	}
	seen := map[uint64]bool{before.Incarnation: true}
	fresh := func(want ID) {
		t.Helper()
		id := publish(t, l, "s", "fresh")
		m, _ := l.Meta([]byte("s"))
		if id != want || m.Length != 1 || m.EntriesAdded != 1 || seen[m.Incarnation] {
			t.Fatalf("after DEL: ID %v (want %v), %+v, incarnations seen %v", id, want, m, seen)
		}
		seen[m.Incarnation] = true
	}
	fresh(ID{Ms: 2000, Seq: 0})
	clock.Store(1)
	for i := 0; i < 2; i++ { // DEL and XADD in one request, twice in a row
		r = NewRequest()
		p = r.Add()
		p.Kind, p.Channel = OpDrop, []byte("s")
		p = r.Add()
		p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte("s"), IDSpec{Auto: true}, [][]byte{MessageField, []byte("x")}
		submit(l, r)
		m, _ := l.Meta([]byte("s"))
		if id := r.op(1).ID; id != (ID{Ms: 2000, Seq: 0}) || r.op(1).Incarnation != m.Incarnation || seen[m.Incarnation] {
			t.Fatalf("DEL+XADD in one request: %v in incarnation %d, %+v", id, r.op(1).Incarnation, m)
		}
		seen[m.Incarnation] = true
	}
	if got := rangeAll(t, l, "s"); len(got) != 1 || got[0].ID != (ID{Ms: 2000, Seq: 0}) {
		t.Fatalf("after DEL+XADD: %v", ids(got))
	}
	r = NewRequest()
	p = r.Add()
	p.Kind, p.Channel = OpDrop, []byte("s")
	submit(l, r)
	mustClose(t, l)
	l = open()
	fresh(ID{Ms: 2000, Seq: 0})
	clock.Store(3000) // the wall clock passes the state clock: IDs follow it
	if id := publish(t, l, "s", "later"); id != (ID{Ms: 3000, Seq: 0}) {
		t.Fatalf("wall clock ahead of the state clock: %v", id)
	}
}

// faultRecord is one request of TestFsyncFailureNeverAcknowledged.
type faultRecord struct {
	chans    []string
	payloads []string
	ids      []ID
	ok       bool // every command acknowledged
	inBatch  bool // failed after it was applied (its IDs are set)
	after    bool // submitted after some request was seen failing
}

// TestFsyncFailureNeverAcknowledged: after K good fsyncs of the WAL, fsyncs
// fail (for good, or just once). Concurrent publishers must see every
// request either acknowledged — and then it survives a crash — or failed
// with ErrFailed, whole (never some commands of a request); once a failure
// was seen every later Submit fails; no acknowledged ID is above an ID handed
// to a failed request; nothing panics; Close returns; and the store reopens
// consistent.
//
// A panic in the Log's own goroutines (or Pebble's) would kill the whole test
// binary, so the test runs itself in a child process and fails with the
// child's output.
func TestFsyncFailureNeverAcknowledged(t *testing.T) {
	base := testSeed(t)
	if os.Getenv("WAL_FAULT_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFsyncFailureNeverAcknowledged$", "-test.v", "-test.count=1", "-test.timeout=2m")
		cmd.Env = append(os.Environ(), "WAL_FAULT_CHILD=1", fmt.Sprintf("WAL_TEST_SEED=%d", base))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child test process: %v\n%s", err, tailLines(out, 80))
		}
		if testing.Verbose() {
			t.Logf("child test process:\n%s", out)
		}
		return
	}
	for round := 0; round < 10; round++ {
		seed := base + uint64(round)
		once := round%2 == 1
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			t.Logf("round seed %d, fail once: %v", seed, once)
			fsyncFailureRound(t, seed, once)
		})
		if t.Failed() {
			return
		}
	}
}

func fsyncFailureRound(t *testing.T, seed uint64, once bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	k := int64(rng.IntN(30))
	mem := vfs.NewCrashableMem()
	var armed atomic.Bool
	var syncs, injected atomic.Int64
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !armed.Load() || !isWALSync(op) {
			return nil
		}
		n := syncs.Add(1)
		if n <= k || (once && n > k+1) {
			return nil
		}
		injected.Add(1)
		return errorfs.ErrInjected
	})
	var clock atomic.Int64
	l := openMem(t, errorfs.Wrap(mem, inj), func(o *Options) {
		o.NowMs = func() int64 { return 1_000_000 + clock.Add(1)/3 }
	})
	armed.Store(true)

	channels := []string{"a", "b", "c"}
	const writers = 8
	var failureSeen atomic.Bool
	records := make([][]faultRecord, writers)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, uint64(10+g)))
			postFailure := 0
			for i := 0; i < 2000 && postFailure < 3; i++ {
				rec := faultRecord{after: failureSeen.Load()}
				if rec.after {
					postFailure++
				}
				r := NewRequest()
				for j := 0; j < 1+wr.IntN(3); j++ {
					ch := channels[wr.IntN(len(channels))]
					payload := fmt.Sprintf("g%d/r%d/p%d", g, i, j)
					p := r.Add()
					p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{Auto: true}, [][]byte{MessageField, []byte(payload)}
					rec.chans = append(rec.chans, ch)
					rec.payloads = append(rec.payloads, payload)
				}
				if err := l.Submit(r); err != nil {
					if !errors.Is(err, ErrFailed) {
						t.Errorf("Submit: %v, want ErrFailed", err)
					}
					failureSeen.Store(true)
					records[g] = append(records[g], rec)
					continue
				}
				r.Wait()
				nerr := 0
				for j := range r.Commands {
					p := r.op(j)
					rec.ids = append(rec.ids, p.ID)
					if p.Err != nil {
						nerr++
						if !errors.Is(p.Err, ErrFailed) {
							t.Errorf("command error %v, want ErrFailed", p.Err)
						}
					}
				}
				switch nerr {
				case 0:
					rec.ok = true
					if rec.after {
						t.Errorf("request submitted after a failure was seen was acknowledged: %v", rec.ids)
					}
				case len(r.Commands):
					failureSeen.Store(true)
					rec.inBatch = !rec.ids[0].IsZero()
				default:
					t.Errorf("request partly failed: %d of %d commands", nerr, len(r.Commands))
				}
				records[g] = append(records[g], rec)
			}
		}()
	}
	wg.Wait()
	if !failureSeen.Load() {
		t.Fatalf("no failure after %d WAL fsyncs (K=%d)", syncs.Load(), k)
	}
	if err := l.Failed(); !errors.Is(err, ErrFailed) {
		t.Errorf("Failed() = %v", err)
	}
	if err := l.Submit(NewRequest()); !errors.Is(err, ErrFailed) {
		t.Errorf("Submit after failure: %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		t.Logf("K=%d, %d fsyncs, %d failed; Close: %v", k, syncs.Load(), injected.Load(), err)
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("Close did not return\n%s", buf[:runtime.Stack(buf, true)])
	}

	// Every acknowledged ID is below every ID given to a failed request.
	maxOK := map[string]ID{}
	minFailed := map[string]ID{}
	byPayload := map[string]struct {
		rec *faultRecord
		j   int
	}{}
	nok, nfail := 0, 0
	for g := range records {
		for i := range records[g] {
			rec := &records[g][i]
			if rec.ok {
				nok++
			} else {
				nfail++
			}
			for j, ch := range rec.chans {
				byPayload[rec.payloads[j]] = struct {
					rec *faultRecord
					j   int
				}{rec, j}
				switch {
				case rec.ok:
					if maxOK[ch].Less(rec.ids[j]) {
						maxOK[ch] = rec.ids[j]
					}
				case rec.inBatch:
					if m, ok := minFailed[ch]; !ok || rec.ids[j].Less(m) {
						minFailed[ch] = rec.ids[j]
					}
				}
			}
		}
	}
	for ch, f := range minFailed {
		if !maxOK[ch].Less(f) {
			t.Errorf("%q: acknowledged %v, not below %v given to a failed request", ch, maxOK[ch], f)
		}
	}

	// A crash now: every acknowledged request is there, whole.
	l2 := openMem(t, mem.CrashClone(vfs.CrashCloneCfg{}), func(o *Options) { o.NowMs = func() int64 { return 1 } })
	defer l2.Close()
	got := checkConsistent(t, l2, channels)
	present := map[*faultRecord]int{}
	for ch, es := range got {
		for _, e := range es {
			w, ok := byPayload[e.payload()]
			switch {
			case !ok:
				t.Errorf("%q: unknown entry %v %q", ch, e.ID, e.payload())
				continue
			case !w.rec.ok && !w.rec.inBatch:
				t.Errorf("%q: entry %v %q of a request refused before it was applied", ch, e.ID, e.payload())
			case w.rec.chans[w.j] != ch || w.rec.ids[w.j] != e.ID:
				t.Errorf("entry %q: written to %q as %v, found in %q as %v", e.payload(), w.rec.chans[w.j], w.rec.ids[w.j], ch, e.ID)
			}
			present[w.rec]++
		}
	}
	failedPresent := 0
	for g := range records {
		for i := range records[g] {
			rec := &records[g][i]
			n := present[rec]
			if rec.ok && n != len(rec.chans) {
				t.Errorf("acknowledged request %v: %d of %d entries survived", rec.ids, n, len(rec.chans))
			}
			if n != 0 && n != len(rec.chans) {
				t.Errorf("request %v partly survived: %d of %d", rec.ids, n, len(rec.chans))
			}
			if !rec.ok && n > 0 {
				failedPresent++
			}
		}
	}
	t.Logf("%d requests acknowledged, %d failed (%d of those survived the crash)", nok, nfail, failedPresent)
	for _, ch := range channels {
		id := publish(t, l2, ch, "after")
		if es := got[ch]; len(es) > 0 && !es[len(es)-1].ID.Less(id) {
			t.Errorf("%q: new ID %v not above %v", ch, id, es[len(es)-1].ID)
		}
	}
}

// tailLines returns the last n lines of out.
func tailLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines ...]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
