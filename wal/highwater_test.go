package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Tests of the high-water mark (highwater.go): the file never claims more
// than the DB holds durably, it catches up, and a DB that lost durable
// batches (a damaged or truncated WAL or MANIFEST, or rolled-back files) is
// refused at Open with ErrCorrupt instead of served.

func TestHighWaterFileFormat(t *testing.T) {
	for _, v := range []uint64{0, 1, 1234567, 1<<64 - 1} {
		data := encodeHighWater(v)
		got, err := decodeHighWater(data)
		if err != nil || got != v {
			t.Fatalf("round trip of %d: %d, %v (%q)", v, got, err, data)
		}
		// Every flipped bit and every truncation is detected.
		for i := range data {
			for bit := 0; bit < 8; bit++ {
				bad := bytes.Clone(data)
				bad[i] ^= 1 << bit
				if got, err := decodeHighWater(bad); err == nil {
					t.Fatalf("bit %d of byte %d flipped in %q: decoded %d, no error", bit, i, data, got)
				}
			}
		}
		for n := range len(data) {
			if got, err := decodeHighWater(data[:n]); err == nil {
				t.Fatalf("%q truncated to %d bytes: decoded %d, no error", data, n, got)
			}
		}
	}
}

// fileCounter returns the counter in the high-water file of fs's "data".
func fileCounter(t testing.TB, fs vfs.FS) (uint64, bool) {
	t.Helper()
	v, ok, err := readHighWaterFile(fs, "data")
	if err != nil {
		t.Fatal(err)
	}
	return v, ok
}

// dbCounter returns the DB's last commit counter; its history must have
// no hole.
func dbCounter(t testing.TB, l *Log) uint64 {
	t.Helper()
	rs, err := readCommitCounter(l.db)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(rs) == 0:
		return 0
	case len(rs) > 1 || rs[0].first != 1:
		t.Fatalf("commit counter ranges %v, want one from 1", rs)
	}
	return rs[0].last
}

// waitFileCounter waits until the high-water file holds at least want.
func waitFileCounter(t testing.TB, fs vfs.FS, want uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if v, _ := fileCounter(t, fs); v >= want {
			return
		}
		if time.Now().After(deadline) {
			v, ok := fileCounter(t, fs)
			t.Fatalf("high-water file at %d (present %v), want %d", v, ok, want)
		}
	}
}

// TestHighWaterNeverAheadOfDurable crashes (CrashClone, keeping none, half
// or all of what was not synced) at random moments while writers append,
// trim (indexed batches), drop channels and submit no-op requests (empty
// batches), with the file rewritten every millisecond: every clone must
// open (the file never holds a counter the DB does not), and keep what was
// acknowledged before it. The file keeps up, and after Close it equals the
// DB's counter.
func TestHighWaterNeverAheadOfDurable(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	fs := vfs.NewCrashableMem()
	l := openMem(t, fs, func(o *Options) { o.HighWaterInterval = time.Millisecond })
	const writers, requests, clones = 6, 150, 24
	var acked atomic.Int64 // appends acknowledged and never dropped
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, uint64(10+g)))
			ch := []byte(fmt.Sprint("c", g))
			for i := range requests {
				r := NewRequest()
				p := add(r)
				switch k := wr.IntN(20); {
				case g == 0 && k < 2: // writer 0 drops its channel now and then
					p.Kind, p.Channel = OpDrop, ch
				case k < 4: // an indexed batch
					p.Kind, p.Channel, p.Trim = OpTrim, ch, Trim{Strategy: TrimMaxLen, MaxLen: 1 << 20}
				case k < 5: // nothing to write: an empty batch
					p.Kind, p.Channel, p.Trim = OpTrim, []byte("none"), Trim{Strategy: TrimMaxLen}
				default:
					p.Kind, p.Channel, p.Spec = OpAppend, ch, IDSpec{Auto: true}
					p.Fields = [][]byte{MessageField, fmt.Appendf(nil, "%d-%d", g, i)}
				}
				if err := l.Submit(r); err != nil {
					t.Error(err)
					return
				}
				r.Wait()
				if p.Err != nil {
					t.Error(p.Err)
					return
				}
				if p.Kind == OpAppend && g != 0 {
					acked.Add(1)
				}
			}
		}()
	}
	type clone struct {
		fs    *vfs.MemFS
		acked int64
	}
	var taken []clone
	for range clones {
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		n := acked.Load()
		pct := crashPercents[rng.IntN(len(crashPercents))]
		taken = append(taken, clone{fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rng}), n})
	}
	wg.Wait()
	mustClose(t, l)
	l = openMem(t, fs, nil)
	if v, final := fileCounter(t, fs); v != dbCounter(t, l) || !final {
		t.Fatalf("after Close the file holds %d, the DB %d", v, dbCounter(t, l))
	}
	mustClose(t, l)
	var ahead int
	for i, c := range taken {
		cl, err := Open(Options{Dir: "data", FS: c.fs})
		if err != nil {
			t.Fatalf("clone %d: %v", i, err)
		}
		fv, _ := fileCounter(t, c.fs)
		if dv := dbCounter(t, cl); fv > dv {
			t.Fatalf("clone %d: file %d > DB %d, yet Open succeeded", i, fv, dv)
		} else if fv > 0 {
			ahead++
		}
		var got int64
		for g := 1; g < writers; g++ {
			got += int64(len(readAll(t, cl, fmt.Sprint("c", g))))
		}
		if got < c.acked {
			t.Fatalf("clone %d: %d entries, %d acknowledged before it", i, got, c.acked)
		}
		mustClose(t, cl)
	}
	if ahead == 0 {
		t.Fatalf("the high-water file was never written before a clone")
	}
}

// crashWithAllWritten appends n entries, one batch each, waits until the
// high-water file holds the last counter, and returns a crash clone (as
// kill -9 or a power cut would leave it) with the source log still open.
func crashWithAllWritten(t *testing.T, n int, flushEvery int) (*vfs.MemFS, uint64) {
	t.Helper()
	fs := vfs.NewCrashableMem()
	l := openMem(t, fs, func(o *Options) { o.HighWaterInterval = time.Millisecond })
	t.Cleanup(func() { _ = l.Close() })
	for i := range n {
		publish(t, l, "ch", fmt.Sprintf("m%05d-%s", i, strings.Repeat("x", 100)))
		if flushEvery > 0 && i%flushEvery == flushEvery-1 {
			if err := l.db.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := l.durableCounter.Load()
	waitFileCounter(t, fs, want)
	return fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0}), want
}

// damageFile applies fn to the contents of the file of fs named by pick.
func damageFile(t *testing.T, fs vfs.FS, pick func([]string) string, fn func([]byte) []byte) string {
	t.Helper()
	names, err := fs.List("data")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	name := pick(names)
	if name == "" {
		t.Fatalf("no file to damage among %v", names)
	}
	path := fs.PathJoin("data", name)
	f, err := fs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	data = fn(data)
	w, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Sync(), w.Close()); err != nil {
		t.Fatal(err)
	}
	return name
}

func newestWithSuffix(suffix string) func([]string) string {
	return func(names []string) string {
		var out string
		for _, n := range names {
			if strings.HasSuffix(n, suffix) {
				out = n
			}
		}
		return out
	}
}

// currentManifest picks the MANIFEST the marker points at.
func currentManifest(names []string) string {
	for i := len(names) - 1; i >= 0; i-- {
		if m, ok := strings.CutPrefix(names[i], "marker.manifest."); ok {
			if _, name, ok := strings.Cut(m, "."); ok {
				return name
			}
		}
	}
	return ""
}

// requireRefused opens fs's "data", read-only and then for writing, and
// requires the high-water check to refuse it with a message containing
// want.
func requireRefused(t *testing.T, fs vfs.FS, want string) {
	t.Helper()
	for _, ro := range []bool{true, false} {
		l, err := Open(Options{Dir: "data", FS: fs, ReadOnly: ro})
		if err == nil {
			n := len(readAll(t, l, "ch"))
			_ = l.Close()
			t.Fatalf("read-only %v: opened the damaged log and served %d entries", ro, n)
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "acknowledged writes are missing") ||
			!strings.Contains(err.Error(), want) {
			t.Fatalf("read-only %v: %v, want the high-water check's ErrCorrupt with %q", ro, err, want)
		}
	}
}

// damageOutcome opens a damaged copy, read-only and then for writing, and
// fails the test if either serves fewer than want entries of "ch" without
// an error. It says who refused: "rewind" (the high-water check), "pebble",
// or "none" (everything was served).
func damageOutcome(t *testing.T, fs *vfs.MemFS, want int, what string) string {
	t.Helper()
	var out string
	for _, ro := range []bool{true, false} {
		l, err := Open(Options{Dir: "data", FS: fs, ReadOnly: ro})
		switch {
		case err == nil:
			n := len(readAll(t, l, "ch"))
			mustClose(t, l)
			if n != want {
				t.Fatalf("%s (read-only %v): served %d of %d entries without an error", what, ro, n, want)
			}
			out = "none"
		case errors.Is(err, ErrCorrupt) && strings.Contains(err.Error(), "acknowledged writes are missing"):
			out = "rewind"
		default:
			out = "pebble"
		}
	}
	return out
}

// TestHighWaterDetectsDamagedWAL: after a crash, a flipped bit or a
// truncation in the WAL makes Pebble drop every later batch as a torn tail;
// Open must refuse the shorter log (jepsen bug 2, crash case). Damage at
// many places of the WAL, every one older than the high-water file.
func TestHighWaterDetectsDamagedWAL(t *testing.T) {
	const n = 600
	clone, want := crashWithAllWritten(t, n, 0)
	// Undamaged, the clone opens with everything.
	if got := damageOutcome(t, clone.CrashClone(vfs.CrashCloneCfg{}), n, "undamaged"); got != "none" {
		t.Fatalf("the undamaged clone was refused (%s)", got)
	}
	// One of each, with the message.
	c := clone.CrashClone(vfs.CrashCloneCfg{})
	damageFile(t, c, newestWithSuffix(".log"), func(d []byte) []byte { d[len(bytes.TrimRight(d, "\x00"))/3] ^= 0x08; return d })
	requireRefused(t, c, fmt.Sprint("commit ", want, " was durable"))
	c = clone.CrashClone(vfs.CrashCloneCfg{})
	damageFile(t, c, newestWithSuffix(".log"), func(d []byte) []byte { return d[:len(bytes.TrimRight(d, "\x00"))/3] })
	requireRefused(t, c, fmt.Sprint("commit ", want, " was durable"))

	rng := rand.New(rand.NewPCG(testSeed(t), 3))
	outcomes := map[string]int{}
	for i := range 60 {
		c := clone.CrashClone(vfs.CrashCloneCfg{})
		var what string
		damageFile(t, c, newestWithSuffix(".log"), func(d []byte) []byte {
			used := len(bytes.TrimRight(d, "\x00"))
			off := rng.IntN(used)
			if i%2 == 0 {
				bit := rng.IntN(8)
				what = fmt.Sprintf("WAL bit %d of byte %d of %d flipped", bit, off, used)
				d[off] ^= 1 << bit
				return d
			}
			what = fmt.Sprintf("WAL truncated to %d of %d bytes", off, used)
			return d[:off]
		})
		outcomes[damageOutcome(t, c, n, what)]++
	}
	t.Logf("who refused the damaged WAL: %v", outcomes)
}

// TestHighWaterDetectsDamagedManifest: a MANIFEST cut short or with a
// flipped bit loses its newest edits, which forgets the tables they added;
// the WAL they replaced is gone, or (recycled, or its deletion not yet
// durable) is replayed over the older tables, leaving a hole. Open must
// refuse every such copy (jepsen bug 3): after a crash, and after a clean
// Close.
func TestHighWaterDetectsDamagedManifest(t *testing.T) {
	const n = 600
	crashed, _ := crashWithAllWritten(t, n, 200)
	stopped := vfs.NewCrashableMem()
	l := openMem(t, stopped, nil)
	for i := range n {
		publish(t, l, "ch", fmt.Sprintf("m%05d-%s", i, strings.Repeat("x", 100)))
		if i%200 == 199 {
			if err := l.db.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustClose(t, l)
	rng := rand.New(rand.NewPCG(testSeed(t), 4))
	for _, tc := range []struct {
		name string
		fs   *vfs.MemFS
	}{{"crashed", crashed}, {"stopped", stopped}} {
		t.Run(tc.name, func(t *testing.T) {
			size := len(damageFileSize(t, tc.fs))
			outcomes := map[string]int{}
			for cut := 1; cut <= size; cut += 1 + rng.IntN(5) {
				c := tc.fs.CrashClone(vfs.CrashCloneCfg{})
				damageFile(t, c, currentManifest, func(d []byte) []byte { return d[:len(d)-cut] })
				outcomes[damageOutcome(t, c, n, fmt.Sprintf("MANIFEST cut by %d of %d bytes", cut, size))]++
			}
			t.Logf("who refused the MANIFEST (%d bytes) cut short: %v", size, outcomes)
			outcomes = map[string]int{}
			for off := rng.IntN(5); off < size; off += 1 + rng.IntN(5) {
				c := tc.fs.CrashClone(vfs.CrashCloneCfg{})
				bit := rng.IntN(8)
				damageFile(t, c, currentManifest, func(d []byte) []byte { d[off] ^= 1 << bit; return d })
				outcomes[damageOutcome(t, c, n, fmt.Sprintf("MANIFEST bit %d of byte %d of %d flipped", bit, off, size))]++
			}
			t.Logf("who refused the MANIFEST with a flipped bit: %v", outcomes)
		})
	}
}

// damageFileSize returns the current MANIFEST's contents.
func damageFileSize(t *testing.T, fs *vfs.MemFS) []byte {
	t.Helper()
	names, err := fs.List("data")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return readFileBytes(t, fs, fs.PathJoin("data", currentManifest(names)))
}

// TestHighWaterDetectsRollback: Pebble files replaced by an older copy
// (a restored backup, or files that lost synced writes) while the
// high-water file is newer; removing the file accepts the older log.
func TestHighWaterDetectsRollback(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	for i := range 10 {
		publish(t, l, "ch", fmt.Sprint("old", i))
	}
	mustClose(t, l)
	old := vfs.NewMem()
	if _, err := vfs.Clone(fs, old, "data", "data"); err != nil {
		t.Fatal(err)
	}
	l = openMem(t, fs, nil)
	for i := range 10 {
		publish(t, l, "ch", fmt.Sprint("new", i))
	}
	mustClose(t, l)
	want, _ := fileCounter(t, fs)
	if want != 22 { // 20 appends, a checkpoint at each Close
		t.Fatalf("file holds %d, want 22", want)
	}
	// The old Pebble files with the new high-water file.
	path := fs.PathJoin("data", HighWaterFile)
	if err := vfs.CopyAcrossFS(fs, path, old, path); err != nil {
		t.Fatal(err)
	}
	requireRefused(t, old, "the log's last commit is 11 but REWIND-HIGHWATER records that commit 22 was durable")
	if err := old.Remove(path); err != nil {
		t.Fatal(err)
	}
	l = openMem(t, old, nil)
	if got := readAll(t, l, "ch"); len(got) != 10 {
		t.Fatalf("without the file: %d entries, want the old 10", len(got))
	}
	mustClose(t, l)
}

// setCounterKey sets (or deletes, for v < 0) the DB's counter key with
// plain Pebble, as an older rewind would have left it.
func setCounterKey(t *testing.T, fs vfs.FS, v int64) {
	t.Helper()
	db, err := pebble.Open("data", &pebble.Options{FS: fs, Merger: merger})
	if err != nil {
		t.Fatal(err)
	}
	if v < 0 {
		err = db.Delete(highWaterKey, pebble.Sync)
	} else {
		err = db.Set(highWaterKey, encodeCounterRanges(nil, []counterRange{{1, uint64(v)}}), pebble.Sync)
	}
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
}

func writeFileBytes(t *testing.T, fs vfs.FS, path string, data []byte) {
	t.Helper()
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(bytes.Clone(data)) // MemFS mangles what it was given (race builds)
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
}

func readFileBytes(t *testing.T, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestHighWaterOldDirectories: a directory written before the counter
// existed (no key, no file) opens and gets both; a file without the key
// means a lost history; a damaged file is an error; a read-only open
// checks but never writes; dropping every channel keeps the counter.
func TestHighWaterOldDirectories(t *testing.T) {
	fs := vfs.NewMem()
	path := fs.PathJoin("data", HighWaterFile)
	l := openMem(t, fs, nil)
	publish(t, l, "ch", "a")
	mustClose(t, l)

	// Old: no key, no file.
	setCounterKey(t, fs, -1)
	if err := fs.Remove(path); err != nil {
		t.Fatal(err)
	}
	l = openMem(t, fs, nil)
	if got := readAll(t, l, "ch"); len(got) != 1 {
		t.Fatalf("old directory: %v", got)
	}
	publish(t, l, "ch", "b")
	mustClose(t, l)
	// Two commits in the new history: the write, and the close's record
	// of the channel's metadata (written 0 ms after its last checkpoint).
	if v, ok := fileCounter(t, fs); !ok || v != 2 {
		t.Fatalf("after the first write to an old directory the file holds %d (present %v), want 2", v, ok)
	}

	// A file, but no key: the history that wrote the key is gone.
	setCounterKey(t, fs, -1)
	_, err := Open(Options{Dir: "data", FS: fs})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "last commit is none") {
		t.Fatalf("file without key: %v, want ErrCorrupt", err)
	}
	setCounterKey(t, fs, 1)

	// A damaged file.
	good := readFileBytes(t, fs, path)
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 1
	writeFileBytes(t, fs, path, bad)
	for _, ro := range []bool{true, false} {
		_, err := Open(Options{Dir: "data", FS: fs, ReadOnly: ro})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "is damaged") {
			t.Fatalf("read-only %v, damaged file: %v, want ErrCorrupt", ro, err)
		}
	}
	writeFileBytes(t, fs, path, good)

	// Read-only: checks, never writes, even when the DB is ahead.
	setCounterKey(t, fs, 7)
	l, err = Open(Options{Dir: "data", FS: fs, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	if got := readFileBytes(t, fs, path); !bytes.Equal(got, good) {
		t.Fatalf("a read-only open rewrote the file: %q, was %q", got, good)
	}

	// Dropping every channel (DEL, FLUSHALL) keeps the counter.
	l = openMem(t, fs, nil)
	r := NewRequest()
	p := add(r)
	p.Kind, p.Channel = OpDrop, []byte("ch")
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if p.Err != nil || p.N != 1 {
		t.Fatalf("drop: %+v", p)
	}
	mustClose(t, l)
	l = openMem(t, fs, nil)
	if v, _ := fileCounter(t, fs); v != 8 || dbCounter(t, l) != 8 {
		t.Fatalf("after a drop: file %d, DB %d, want 8", v, dbCounter(t, l))
	}
	mustClose(t, l)
}

// TestCounterMerger: however Pebble groups and orders the merges (a flush
// merges newest to oldest, a compaction a run without the base, a read
// everything), a complete history is one range from 1 and a history with
// a hole is seen as one.
func TestCounterMerger(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 5))
	op := func(c uint64) []byte { return encodeCounterRange(nil, counterRange{c, c}) }
	// mergeRun merges ops[lo:hi] in a random way into one value.
	var mergeRun func(ops [][]byte) []byte
	mergeRun = func(ops [][]byte) []byte {
		if len(ops) == 1 {
			return ops[0]
		}
		if rng.IntN(3) == 0 { // a partial merge, then the rest
			cut := 1 + rng.IntN(len(ops)-1)
			return mergeRun([][]byte{mergeRun(ops[:cut]), mergeRun(ops[cut:])})
		}
		start := rng.IntN(len(ops))
		vm, err := merger.Merge(highWaterKey, ops[start])
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := start, start
		for lo > 0 || hi < len(ops)-1 {
			if lo > 0 && (hi == len(ops)-1 || rng.IntN(2) == 0) {
				lo--
				err = vm.MergeOlder(ops[lo])
			} else {
				hi++
				err = vm.MergeNewer(ops[hi])
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		v, _, err := vm.Finish(rng.IntN(2) == 0)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for range 300 {
		n := 1 + rng.IntN(40)
		var ops [][]byte
		holeAt := uint64(0)
		if rng.IntN(2) == 0 {
			holeAt = 1 + uint64(rng.IntN(n)) // commits holeAt, holeAt+1 are missing, not the last
		}
		for c := uint64(1); c <= uint64(n)+2; c++ {
			if holeAt != 0 && (c == holeAt || c == holeAt+1) {
				continue
			}
			ops = append(ops, op(c))
		}
		got := decodeCounterRanges(nil, mergeRun(ops))
		hole := counterHole(got)
		switch {
		case holeAt == 0 && (hole != "" || len(got) != 1 || got[0].last != uint64(n)+2):
			t.Fatalf("complete history 1..%d merged to %v (%q)", n+2, got, hole)
		case holeAt != 0 && hole == "":
			t.Fatalf("history without %d and %d merged to %v: no hole seen", holeAt, holeAt+1, got)
		}
	}
	// Another key concatenates, as Pebble's default merger does.
	vm, _ := merger.Merge([]byte("x"), []byte("b"))
	_ = vm.MergeOlder([]byte("a"))
	_ = vm.MergeNewer([]byte("c"))
	if v, _, _ := vm.Finish(true); string(v) != "abc" {
		t.Fatalf("another key merged to %q", v)
	}
	// A value written by a binary that concatenated the operands reads
	// the same as a merged one; a malformed value is a hole.
	cat := append(append(op(1), op(2)...), op(3)...)
	if got := decodeCounterRanges(nil, cat); counterHole(got) != "" || got[0].last != 3 {
		t.Fatalf("concatenated operands read as %v", got)
	}
	if got := decodeCounterRanges(nil, cat[:20]); counterHole(got) == "" {
		t.Fatalf("a malformed value read as %v", got)
	}
}
