package wal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Crash tests: writers run against a vfs.NewCrashableMem filesystem; at
// random moments (while writes are in flight) the test takes a CrashClone,
// which keeps everything fsync'd and a random share of what was not, then
// opens a new Log on the clone and checks what survived.
//
// Every test here derives all its randomness from a seed that it logs; set
// WAL_TEST_SEED to replay one. (Goroutine scheduling is not seeded, so a
// replay explores the same operations and crash points, not the same
// interleaving.)

// testSeed returns the seed of a randomized test and logs it.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("WAL_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("WAL_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with WAL_TEST_SEED=%d)", seed, seed)
	return seed
}

// crashPercents are the UnsyncedDataPercent values every crash cycle uses:
// only what was synced, half of the rest, everything written.
var crashPercents = [...]int{0, 50, 100}

// storedEntry is a copy of an entry read back from a Log.
type storedEntry struct {
	ID     ID
	Fields [][]byte
}

func (e storedEntry) payload() string { return string(e.Fields[len(e.Fields)-1]) }

// entryBytes is what Meta.Bytes counts for one entry: key and encoded value.
func entryBytes(fields [][]byte) uint64 {
	return entrySize(len(encodeEntry(nil, fields)))
}

func copyFields(fields [][]byte) [][]byte {
	out := make([][]byte, len(fields))
	for i, f := range fields {
		out[i] = bytes.Clone(f)
	}
	return out
}

func fieldsKey(fields [][]byte) string {
	var sb strings.Builder
	for _, f := range fields {
		sb.WriteString(strconv.Quote(string(f)))
		sb.WriteByte(' ')
	}
	return sb.String()
}

// rangeAll returns every durable entry of ch, through the public read path.
func rangeAll(t testing.TB, l *Log, ch string) []storedEntry {
	t.Helper()
	var out []storedEntry
	_, err := l.Range([]byte(ch), RangeQuery{End: MaxID}, func(e *Entry) error {
		out = append(out, storedEntry{ID: e.ID, Fields: copyFields(e.Fields)})
		return nil
	})
	if err != nil {
		t.Fatalf("range %q: %v", ch, err)
	}
	return out
}

// rawEntries returns every entry key stored in Pebble, by channel id,
// bypassing the durable watermark. Call it only while no write is in flight.
func rawEntries(t testing.TB, l *Log) map[uint64][]storedEntry {
	t.Helper()
	lower, upper := prefixBounds(kindPrefix(nil, l.shard, prefixEntry))
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := make(map[uint64][]storedEntry)
	for it.First(); it.Valid(); it.Next() {
		cid, id, err := decodeEntryKey(it.Key())
		if err != nil {
			t.Fatalf("raw entry: %v", err)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			t.Fatal(err)
		}
		fields, err := decodeEntry(nil, v)
		if err != nil {
			t.Fatalf("raw entry %v of channel id %d: %v", id, cid, err)
		}
		out[cid] = append(out[cid], storedEntry{ID: id, Fields: copyFields(fields)})
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkConsistent checks, with no write in flight, that every channel's
// durable Meta describes exactly the entries stored for it (Length, FirstID,
// Bytes, LastID >= last entry), that Range returns exactly those entries in
// strictly increasing ID order, that no entries are stored for a channel id
// that has no live channel, and that every live channel is one of names. It
// returns the entries of each live channel.
func checkConsistent(t testing.TB, l *Log, names []string) map[string][]storedEntry {
	t.Helper()
	raw := rawEntries(t, l)
	out := make(map[string][]storedEntry)
	seenCID := make(map[uint64]string)
	var live []ChannelInfo
	l.Channels(func(c ChannelInfo) bool { live = append(live, c); return true })
	for _, c := range live {
		if !slices.Contains(names, c.Name) {
			t.Errorf("unexpected channel %q", c.Name)
		}
		ch := l.lookup([]byte(c.Name))
		if other, dup := seenCID[ch.cid]; dup {
			t.Errorf("channels %q and %q share channel id %d", other, c.Name, ch.cid)
		}
		seenCID[ch.cid] = c.Name
		stored := raw[ch.cid]
		delete(raw, ch.cid)
		m := c.Meta
		var size uint64
		for i, e := range stored {
			size += entryBytes(e.Fields)
			if i > 0 && !stored[i-1].ID.Less(e.ID) {
				t.Errorf("%q: stored IDs not increasing: %v then %v", c.Name, stored[i-1].ID, e.ID)
			}
		}
		if m.Length != uint64(len(stored)) {
			t.Errorf("%q: Meta.Length %d, %d entries stored", c.Name, m.Length, len(stored))
		}
		if m.Bytes != size {
			t.Errorf("%q: Meta.Bytes %d, stored entries take %d", c.Name, m.Bytes, size)
		}
		if m.EntriesAdded < m.Length {
			t.Errorf("%q: Meta.EntriesAdded %d < Length %d", c.Name, m.EntriesAdded, m.Length)
		}
		if len(stored) > 0 {
			if m.FirstID != stored[0].ID {
				t.Errorf("%q: Meta.FirstID %v, first stored entry %v", c.Name, m.FirstID, stored[0].ID)
			}
			if last := stored[len(stored)-1].ID; m.LastID.Less(last) {
				t.Errorf("%q: Meta.LastID %v < last stored entry %v", c.Name, m.LastID, last)
			}
		} else if !m.FirstID.IsZero() {
			t.Errorf("%q: empty, but Meta.FirstID %v", c.Name, m.FirstID)
		}
		got := rangeAll(t, l, c.Name)
		if len(got) != len(stored) {
			t.Errorf("%q: Range returned %d entries, %d stored", c.Name, len(got), len(stored))
		} else {
			for i := range got {
				if got[i].ID != stored[i].ID || fieldsKey(got[i].Fields) != fieldsKey(stored[i].Fields) {
					t.Errorf("%q: Range entry %d is %v %s, stored %v %s", c.Name, i,
						got[i].ID, fieldsKey(got[i].Fields), stored[i].ID, fieldsKey(stored[i].Fields))
					break
				}
			}
		}
		out[c.Name] = stored
	}
	for cid, es := range raw {
		t.Errorf("%d entries stored under channel id %d, which no live channel has (first %v)", len(es), cid, es[0].ID)
	}
	return out
}

// cloneGate orders acknowledgements against crash clones: an ack recorded
// with clones == k happened (Wait returned) before clone k was taken.
type cloneGate struct {
	mu     sync.RWMutex
	clones int
	acks   atomic.Int64
}

// acked records an acknowledgement and returns how many clones preceded it.
func (g *cloneGate) acked() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	g.acks.Add(1)
	return g.clones
}

// cloneAt takes len(at) crash clones of fs, clone i once at[i] requests were
// acknowledged (at must be increasing), with UnsyncedDataPercent
// crashPercents[i]. It stops early if stop closes.
func (g *cloneGate) cloneAt(fs *vfs.MemFS, at []int64, rng *rand.Rand, stop <-chan struct{}) []*vfs.MemFS {
	var out []*vfs.MemFS
	for i, n := range at {
		for g.acks.Load() < n {
			select {
			case <-stop:
				return out
			default:
			}
			time.Sleep(50 * time.Microsecond)
		}
		g.mu.Lock()
		out = append(out, fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: crashPercents[i], RNG: rng}))
		g.clones++
		g.mu.Unlock()
	}
	return out
}

// clonePoints picks n increasing ack counts in (0, total), spread over the
// middle of the run so that writes are in flight at each.
func clonePoints(rng *rand.Rand, n int, total int64) []int64 {
	at := make([]int64, n)
	for i := range at {
		at[i] = total/10 + rng.Int64N(total*8/10)
	}
	slices.Sort(at)
	return at
}

type writtenProp struct {
	ch     string
	fields string // fieldsKey
	req    int    // request number, global
	ncmds  int    // commands in the request
}

type ackedProp struct {
	ch      string
	id      ID
	payload string
	before  int // clones taken before the ack
}

func mustClose(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestCrashKeepsAcknowledged proves that an acknowledged append survives a
// crash at any moment, with its ID and payload; that a multi-command request
// survives whole or not at all; that nothing that was not written appears;
// that recovered metadata matches the recovered entries; and that after the
// restart (with the clock gone back) new IDs are above every surviving one.
func TestCrashKeepsAcknowledged(t *testing.T) {
	base := testSeed(t)
	channels := []string{"a", "a/b", "orders", "\x00\xffbin"}
	const (
		cycles   = 20
		writers  = 8
		requests = 40 // per writer
	)
	for cycle := 0; cycle < cycles; cycle++ {
		seed := base + uint64(cycle)
		t.Run(fmt.Sprintf("cycle%02d", cycle), func(t *testing.T) {
			t.Logf("cycle seed %d", seed)
			crashCycleAppends(t, seed, channels, writers, requests)
		})
		if t.Failed() {
			return
		}
	}
}

func crashCycleAppends(t *testing.T, seed uint64, channels []string, writers, requests int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	fs := vfs.NewCrashableMem()
	var clock atomic.Int64
	l := openMem(t, fs, func(o *Options) {
		o.NowMs = func() int64 { return 1_000_000 + clock.Add(1)/5 }
	})
	var gate cloneGate
	total := int64(writers * requests)
	at := clonePoints(rng, len(crashPercents), total)
	cloneRNG := rand.New(rand.NewPCG(seed, 2))

	written := make([]map[string]writtenProp, writers)
	acked := make([][]ackedProp, writers)
	stop := make(chan struct{})
	var clones []*vfs.MemFS
	cloned := make(chan struct{})
	go func() {
		defer close(cloned)
		clones = gate.cloneAt(fs, at, cloneRNG, stop)
	}()
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, uint64(100+g)))
			written[g] = make(map[string]writtenProp)
			for i := 0; i < requests; i++ {
				reqNo := g*requests + i
				r := NewRequest()
				n := 1
				if wr.IntN(4) == 0 {
					n = 2 + wr.IntN(3) // a multi-command request across channels
				}
				for j := 0; j < n; j++ {
					ch := channels[wr.IntN(len(channels))]
					payload := fmt.Sprintf("g%d/r%d/p%d/%s", g, i, j, strings.Repeat("x", wr.IntN(300)))
					fields := [][]byte{MessageField, []byte(payload)}
					if wr.IntN(3) == 0 {
						fields = [][]byte{[]byte("k"), []byte("v"), []byte("payload"), []byte(payload)}
					}
					p := r.Add()
					p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{Auto: true}, fields
					written[g][payload] = writtenProp{ch: ch, fields: fieldsKey(fields), req: reqNo, ncmds: n}
				}
				if err := l.Submit(r); err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				r.Wait()
				before := gate.acked()
				for j := range r.Commands {
					p := r.op(j)
					if p.Err != nil {
						t.Errorf("append: %v", p.Err)
						return
					}
					acked[g] = append(acked[g], ackedProp{ch: string(p.Channel), id: p.ID, payload: string(p.Fields[len(p.Fields)-1]), before: before})
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-cloned
	// The source log must itself be consistent once quiet.
	checkConsistent(t, l, channels)
	mustClose(t, l)
	if t.Failed() {
		return
	}
	if len(clones) != len(crashPercents) {
		t.Fatalf("took %d clones, want %d (clone points %v)", len(clones), len(crashPercents), at)
	}

	allWritten := make(map[string]writtenProp)
	for _, w := range written {
		for k, v := range w {
			allWritten[k] = v
		}
	}
	var allAcked []ackedProp
	for _, a := range acked {
		allAcked = append(allAcked, a...)
	}
	for k, clone := range clones {
		t.Run(fmt.Sprintf("unsynced%d", crashPercents[k]), func(t *testing.T) {
			checkAppendClone(t, clone, k, channels, allWritten, allAcked)
		})
	}
}

func checkAppendClone(t *testing.T, clone *vfs.MemFS, k int, channels []string, written map[string]writtenProp, acked []ackedProp) {
	// The clock went back: IDs must come from the recovered metadata.
	l := openMem(t, clone, func(o *Options) { o.NowMs = func() int64 { return 1 } })
	defer l.Close()
	got := checkConsistent(t, l, channels)

	type where struct {
		ch string
		id ID
	}
	found := make(map[string]where)
	perReq := make(map[int]int)
	for ch, es := range got {
		for _, e := range es {
			p := e.payload()
			w, ok := written[p]
			switch {
			case !ok:
				t.Errorf("%q: entry %v has a payload never written: %.40q", ch, e.ID, p)
				continue
			case w.ch != ch:
				t.Errorf("entry %v (%.20q) written to %q, found in %q", e.ID, p, w.ch, ch)
			case w.fields != fieldsKey(e.Fields):
				t.Errorf("%q: entry %v fields %.60s, written %.60s", ch, e.ID, fieldsKey(e.Fields), w.fields)
			}
			if prev, dup := found[p]; dup {
				t.Errorf("payload %.20q stored twice: %v and %v", p, prev, e.ID)
			}
			found[p] = where{ch, e.ID}
			perReq[w.req]++
		}
	}
	survivedAcked, ackedBefore := 0, 0
	for _, a := range acked {
		f, ok := found[a.payload]
		if a.before <= k {
			ackedBefore++
			if !ok {
				t.Errorf("acknowledged before the crash, lost: %q %v (%.20q)", a.ch, a.id, a.payload)
				continue
			}
		}
		if ok {
			survivedAcked++
			if f.id != a.id || f.ch != a.ch {
				t.Errorf("acknowledged as %q %v, recovered as %q %v", a.ch, a.id, f.ch, f.id)
			}
		}
	}
	for p, w := range written {
		if n := perReq[w.req]; n != 0 && n != w.ncmds {
			t.Errorf("request %d (%d commands) partly survived: %d entries (one is %.20q)", w.req, w.ncmds, n, p)
			break
		}
	}
	t.Logf("%d acknowledged before the crash; %d entries recovered", ackedBefore, len(found))

	// New appends get IDs above everything that survived.
	for _, ch := range channels {
		var top ID
		if es := got[ch]; len(es) > 0 {
			top = es[len(es)-1].ID
		}
		id := publish(t, l, ch, "after-restart")
		if !top.Less(id) {
			t.Errorf("%q: new ID %v after restart is not above surviving %v", ch, id, top)
		}
	}
}

// TestCrashDuringTrimAndDelete mixes appends with XDEL, XTRIM (MAXLEN, MINID,
// byte limits, approximate, limited), XADD with trimming, and DEL (drop, and
// drop-and-recreate in one request), crashes at random moments and checks
// that the recovered store is exactly the state after some prefix of the
// batches: each writer owns two channels and runs one request at a time, so
// after a crash each writer's channels must look exactly as they did after
// its last acknowledged request, or after the one in flight — both channels
// from the same request (requests are atomic). It also checks that Meta
// (Length, FirstID, LastID, Bytes, ...) matches the stored entries and that no
// entries are left behind under a dropped channel's id.
func TestCrashDuringTrimAndDelete(t *testing.T) {
	base := testSeed(t)
	const (
		cycles   = 12
		writers  = 6
		requests = 40
	)
	for cycle := 0; cycle < cycles; cycle++ {
		seed := base + uint64(cycle)
		t.Run(fmt.Sprintf("cycle%02d", cycle), func(t *testing.T) {
			t.Logf("cycle seed %d", seed)
			crashCycleTrims(t, seed, writers, requests)
		})
		if t.Failed() {
			return
		}
	}
}

// chanState is one channel's durable state as a reader sees it.
type chanState struct {
	exists  bool
	meta    Meta
	entries []storedEntry
}

// key describes s completely, for comparisons.
func (s chanState) key() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "exists=%v meta=%+v [", s.exists, s.meta)
	for _, e := range s.entries {
		fmt.Fprintf(&sb, "%v=%s ", e.ID, fieldsKey(e.Fields))
	}
	sb.WriteString("]")
	return sb.String()
}

// String describes s briefly, for messages (payloads are unique in their
// first dozen bytes).
func (s chanState) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "exists=%v meta=%+v [", s.exists, s.meta)
	for _, e := range s.entries {
		fmt.Fprintf(&sb, "%v=%.12s ", e.ID, e.payload())
	}
	sb.WriteString("]")
	return sb.String()
}

func readState(t testing.TB, l *Log, ch string) chanState {
	t.Helper()
	m, ok := l.Meta([]byte(ch))
	s := chanState{exists: ok, meta: m, entries: rangeAll(t, l, ch)}
	var size uint64
	for _, e := range s.entries {
		size += entryBytes(e.Fields)
	}
	if uint64(len(s.entries)) != m.Length || size != m.Bytes {
		t.Errorf("%q: Meta says %d entries, %d bytes; Range read %d entries, %d bytes", ch, m.Length, m.Bytes, len(s.entries), size)
	}
	return s
}

// randomTrimOp fills p with a random trim of ch, given its current state.
func randomTrim(rng *rand.Rand, s chanState) Trim {
	var tr Trim
	n := len(s.entries)
	switch rng.IntN(3) {
	case 0:
		tr = Trim{Strategy: TrimMaxLen, MaxLen: uint64(rng.IntN(n + 2))}
	case 1:
		tr = Trim{Strategy: TrimMinID}
		if n > 0 {
			e := s.entries[rng.IntN(n)].ID
			if rng.IntN(2) == 0 {
				e, _ = e.Next()
			}
			tr.MinID = e
		} else {
			tr.MinID = ID{Ms: uint64(rng.IntN(2_000_000))}
		}
	default:
		tr = Trim{Strategy: TrimMaxBytes, MaxBytes: uint64(rng.Int64N(int64(s.meta.Bytes) + 200))}
	}
	if rng.IntN(5) == 0 {
		tr.Approx = true
	}
	if rng.IntN(5) == 0 {
		tr.Limit = 1 + rng.Int64N(3)
	}
	return tr
}

func crashCycleTrims(t *testing.T, seed uint64, writers, requests int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	fs := vfs.NewCrashableMem()
	var clock atomic.Int64
	l := openMem(t, fs, func(o *Options) {
		o.NowMs = func() int64 { return 1_000_000 + clock.Add(1)/5 }
	})
	var gate cloneGate
	at := clonePoints(rng, len(crashPercents), int64(writers*requests))
	cloneRNG := rand.New(rand.NewPCG(seed, 2))
	stop := make(chan struct{})
	var clones []*vfs.MemFS
	cloned := make(chan struct{})
	go func() {
		defer close(cloned)
		clones = gate.cloneAt(fs, at, cloneRNG, stop)
	}()

	names := make([]string, 0, 2*writers)
	for g := 0; g < writers; g++ {
		names = append(names, fmt.Sprintf("t%d", g), fmt.Sprintf("t%d/x", g))
	}
	// states[g][i] is writer g's two channels after its first i requests;
	// before[g][i] how many clones preceded the ack of request i (1-based).
	states := make([][][2]chanState, writers)
	before := make([][]int, writers)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, uint64(100+g)))
			own := [2]string{names[2*g], names[2*g+1]}
			cur := [2]chanState{}
			states[g] = append(states[g], cur)
			before[g] = append(before[g], 0)
			for i := 0; i < requests; i++ {
				r := NewRequest()
				appendTo := func(c int, trim Trim) {
					payload := fmt.Sprintf("g%d/r%d/n%d/%s", g, i, len(r.Commands), strings.Repeat("y", wr.IntN(200)))
					p := r.Add()
					p.Kind, p.Channel, p.Spec = OpAppend, []byte(own[c]), IDSpec{Auto: true}
					p.Fields = [][]byte{MessageField, []byte(payload)}
					if wr.IntN(3) == 0 {
						p.Fields = [][]byte{[]byte("f"), []byte(payload)}
					}
					p.Trim = trim
				}
				deleteFrom := func(c int) {
					p := r.Add()
					p.Kind, p.Channel = OpDelete, []byte(own[c])
					es := cur[c].entries
					for k := 0; k < 1+wr.IntN(3) && len(es) > 0; k++ {
						p.IDs = append(p.IDs, es[wr.IntN(len(es))].ID)
					}
					if wr.IntN(3) == 0 {
						p.IDs = append(p.IDs, ID{Ms: uint64(wr.IntN(2_000_000)), Seq: uint64(wr.IntN(3))})
					}
				}
				trim := func(c int) {
					p := r.Add()
					p.Kind, p.Channel, p.Trim = OpTrim, []byte(own[c]), randomTrim(wr, cur[c])
				}
				drop := func(c int) {
					p := r.Add()
					p.Kind, p.Channel = OpDrop, []byte(own[c])
				}
				c := wr.IntN(2)
				switch k := wr.IntN(100); {
				case k < 40:
					for range 1 + wr.IntN(3) {
						appendTo(wr.IntN(2), Trim{})
					}
				case k < 55:
					deleteFrom(c)
				case k < 70:
					trim(c)
				case k < 77 && cur[c].exists:
					// XADD with a trim: one command, on an existing channel
					// (see TestAppendTrimInOneRequest for the other cases).
					tr := randomTrim(wr, cur[c])
					tr.Limit = 0
					appendTo(c, tr)
				case k < 82:
					drop(c)
				case k < 87:
					drop(c) // DEL then XADD in one atomic request
					appendTo(c, Trim{})
				default:
					// A mix across both channels, atomic.
					appendTo(c, Trim{})
					deleteFrom(1 - c)
					trim(c)
					appendTo(1-c, Trim{})
				}
				if err := l.Submit(r); err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				r.Wait()
				b := gate.acked()
				for j := range r.Commands {
					if err := r.op(j).Err; err != nil {
						t.Errorf("writer %d request %d command %d (op %d): %v", g, i, j, r.Commands[j].Kind, err)
						return
					}
				}
				cur = [2]chanState{readState(t, l, own[0]), readState(t, l, own[1])}
				states[g] = append(states[g], cur)
				before[g] = append(before[g], b)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-cloned
	checkConsistent(t, l, names)
	mustClose(t, l)
	if t.Failed() {
		return
	}
	if len(clones) != len(crashPercents) {
		t.Fatalf("took %d clones, want %d", len(clones), len(crashPercents))
	}
	for k, clone := range clones {
		t.Run(fmt.Sprintf("unsynced%d", crashPercents[k]), func(t *testing.T) {
			l := openMem(t, clone, func(o *Options) { o.NowMs = func() int64 { return 1 } })
			defer l.Close()
			checkConsistent(t, l, names)
			for g := 0; g < writers; g++ {
				// a = requests acknowledged before clone k.
				a := 0
				for i := 1; i < len(before[g]) && before[g][i] <= k; i++ {
					a = i
				}
				got := [2]chanState{readState(t, l, names[2*g]), readState(t, l, names[2*g+1])}
				match := -1
				for _, i := range []int{a, a + 1} {
					if i < len(states[g]) && got[0].key() == states[g][i][0].key() && got[1].key() == states[g][i][1].key() {
						match = i
						break
					}
				}
				if match < 0 {
					t.Errorf("writer %d: %d requests acknowledged before the crash; recovered\n  %s\n  %s\nwant the state after request %d:\n  %s\n  %s",
						g, a, got[0], got[1], a, states[g][a][0], states[g][a][1])
					if a+1 < len(states[g]) {
						t.Errorf("or after request %d:\n  %s\n  %s", a+1, states[g][a+1][0], states[g][a+1][1])
					}
					continue
				}
				// After the restart, IDs stay above the recovered LastID.
				for c := 0; c < 2; c++ {
					name := names[2*g+c]
					id := publish(t, l, name, "after")
					if got[c].exists && !got[c].meta.LastID.Less(id) {
						t.Errorf("%q: ID %v after restart not above recovered LastID %v", name, id, got[c].meta.LastID)
					}
				}
			}
			checkConsistent(t, l, names)
		})
	}
}

// TestAppendTrimInOneRequest: a request with several XADD ... MAXLEN
// commands on one channel (MULTI/EXEC, or a pipeline grouped into one
// request). The first commands take the channel over the limit, so a later
// one must trim. That trim must either work or the command must fail
// without writing anything; it must never write the entry and report an
// error (a client that retries would duplicate it).
func TestAppendTrimInOneRequest(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	r := NewRequest()
	for i := 0; i < 3; i++ {
		p := r.Add()
		p.Kind, p.Channel, p.Spec = OpAppend, []byte("s"), IDSpec{Auto: true}
		p.Fields = [][]byte{MessageField, []byte(fmt.Sprint("m", i))}
		p.Trim = Trim{Strategy: TrimMaxLen, MaxLen: 1}
	}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	entries := rangeAll(t, l, "s")
	for i := range r.Commands {
		p := r.op(i)
		if p.Err == nil {
			continue
		}
		stored := slices.ContainsFunc(entries, func(e storedEntry) bool { return e.ID == p.ID && !p.ID.IsZero() })
		t.Errorf("command %d failed (%v) but its entry %v was written: stored %v", i, p.Err, p.ID, stored)
	}
	if len(entries) != 1 {
		t.Errorf("MAXLEN 1 after three appends: %d entries stored", len(entries))
	}
	checkConsistent(t, l, []string{"s"})
}

// TestTrimLastPossibleID: an entry with the largest possible ID can be
// trimmed like any other; the range deletion must cover it.
func TestTrimLastPossibleID(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte("s"), IDSpec{ID: MaxID}, [][]byte{MessageField, []byte("last")}
	p = r.Add()
	p.Kind, p.Channel, p.Trim = OpTrim, []byte("s"), Trim{Strategy: TrimMaxLen, MaxLen: 0}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if p := r.op(0); p.Err != nil || p.ID != MaxID {
		t.Fatalf("append: %v %v", p.ID, p.Err)
	}
	if p := r.op(1); p.Err != nil || p.N != 1 {
		t.Fatalf("trim: N=%d %v", p.N, p.Err)
	}
	checkConsistent(t, l, []string{"s"})
	// Deleting the trimmed entry must find nothing.
	r = NewRequest()
	p = r.Add()
	p.Kind, p.Channel, p.IDs = OpDelete, []byte("s"), []ID{MaxID}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if p := r.op(0); p.Err != nil || p.N != 0 {
		t.Errorf("XDEL of a trimmed entry: N=%d err=%v", p.N, p.Err)
	}
	if m, _ := l.Meta([]byte("s")); m.Length != 0 {
		t.Errorf("Meta.Length %d after trimming everything", m.Length)
	}
}
