package wal

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// The fixtures in testdata/layout1 are data directories written by a
// rewind binary of the layout before replication groups (README.md there
// says how). Each has beside it the state the log of that layout read from
// it (its .state file, written by TestLayoutMigration with
// -update-layout-state, run with that code): a migrated copy must read
// the same.

var updateLayoutState = flag.Bool("update-layout-state", false, "rewrite testdata/layout1/*.state from the fixtures")

// layoutFixtures are the fixture directories under testdata/layout1.
var layoutFixtures = []string{"clean", "killed"}

// copyFixture copies testdata/layout1/name to a new temporary directory.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "layout1", name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dumpState renders everything a client can read from l, in a stable
// order: node limits, totals, and per channel its metadata, entries,
// groups, consumers and pending entries, then every subscriber cursor.
func dumpState(t *testing.T, l *Log) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "node limits %+v\n", l.NodeLimits())
	s := l.Stats()
	fmt.Fprintf(&b, "channels %d entries %d bytes %d\n", s.Channels, s.Entries, s.EntryBytes)
	var names []string
	l.Channels(func(c ChannelInfo) bool { names = append(names, c.Name); return true })
	slices.Sort(names)
	for _, name := range names {
		dumpChannel(t, &b, l, name)
	}
	cursors, err := l.ExpiredCursors(math.MaxInt64, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cursors {
		dumpCursor(t, &b, l, c)
	}
	return b.String()
}

func dumpChannel(t *testing.T, b *strings.Builder, l *Log, name string) {
	t.Helper()
	m, ok := l.Meta([]byte(name))
	fmt.Fprintf(b, "channel %q exists=%v meta %+v\n", name, ok, m)
	if _, err := l.Range([]byte(name), RangeQuery{End: MaxID}, func(e *Entry) error {
		fmt.Fprintf(b, "  entry %v %q inc=%d\n", e.ID, e.Fields, e.Incarnation)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	groups, _ := l.Groups([]byte(name))
	for _, g := range groups {
		fmt.Fprintf(b, "  group %+v\n", *g)
		if err := l.Pending([]byte(name), g, PendingQuery{End: MaxID, NowMs: math.MaxInt64}, func(r PendingRecord, consumer string) error {
			fmt.Fprintf(b, "    pending %+v %q\n", r, consumer)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func dumpCursor(t *testing.T, b *strings.Builder, l *Log, c Cursor) {
	t.Helper()
	if !c.OnPattern {
		pos, ok, err := l.CursorOf(c.Name, c.Channel)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(b, "cursor %q %q %+v %v\n", c.Name, c.Channel, pos, ok)
		return
	}
	base, cursors, err := l.PatternCursors(c.Name, c.Pattern)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(b, "pattern cursor %q %q base=%v channel=%q: base %v, %+v\n", c.Name, c.Pattern, c.Base, c.Channel, base, cursors)
}

// copyFixtureTo copies testdata/layout1/name into dir of fs, synced.
func copyFixtureTo(t *testing.T, name string, fs vfs.FS, dir string) {
	t.Helper()
	src := filepath.Join("testdata", "layout1", name)
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(src, file.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f, err := fs.Create(fs.PathJoin(dir, file.Name()), vfs.WriteCategoryUnspecified)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Write(data)
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			t.Fatal(err)
		}
	}
	d, err := fs.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(d.Sync(), d.Close()); err != nil {
		t.Fatal(err)
	}
}

// fixtureState is the state recorded for fixture name.
func fixtureState(t *testing.T, name string) string {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", "layout1", name+".state"))
	if err != nil {
		t.Fatal(err)
	}
	return string(want)
}

// writeFixtureState records state as fixture name's (-update-layout-state,
// to be run only by the code of the fixtures' layout: README.md there).
func writeFixtureState(t *testing.T, name, state string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", "layout1", name+".state"), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rawRecords returns every record of l's DB as "key=value", in key order.
func rawRecords(t *testing.T, l *Log) []string {
	t.Helper()
	it, err := l.db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, fmt.Sprintf("%x=%x", it.Key(), it.Value()))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkLayout2 fails unless every key of l is in shard 0's span or the
// node-local span, and the layout version is recorded.
func checkLayout2(t *testing.T, l *Log) {
	t.Helper()
	shardLower, shardUpper := ShardSpan(singleNodeShard)
	localLower, localUpper := LocalSpan()
	in := func(k, lower, upper []byte) bool {
		return bytes.Compare(k, lower) >= 0 && bytes.Compare(k, upper) < 0
	}
	it, err := l.db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if k := it.Key(); !in(k, shardLower, shardUpper) && !in(k, localLower, localUpper) {
			t.Errorf("key %q outside shard 0 and the node-local span", k)
		}
	}
	version, ok, err := readLayoutVersion(l.db)
	if err != nil || !ok || version != layoutVersion {
		t.Errorf("layout version %d, %v, %v; want %d", version, ok, err, layoutVersion)
	}
}

// checkFixtureFacts checks, by hand, some of what make.sh wrote (the
// recorded state holds all of it).
func checkFixtureFacts(t *testing.T, l *Log, killed bool) {
	t.Helper()
	orders, ok := l.Meta([]byte("orders"))
	wantLen, wantLast := uint64(10), ID{Ms: 1, Seq: 12}
	if killed {
		wantLen, wantLast = 11, ID{Ms: 1, Seq: 13} // the XADD before the SIGKILL
	}
	if !ok || orders.Length != wantLen || orders.LastID != wantLast || orders.MaxDeletedID != (ID{Ms: 1, Seq: 5}) ||
		orders.Retention != (Retention{MaxLen: 100, Interest: true}) {
		t.Errorf("orders: %v %+v", ok, orders)
	}
	if setid, _ := l.Meta([]byte("setid")); setid.LastID != (ID{Ms: 9, Seq: 9}) || setid.EntriesAdded != 20 || setid.MaxDeletedID != (ID{Ms: 5, Seq: 5}) {
		t.Errorf("setid: %+v", setid)
	}
	if trimmed, _ := l.Meta([]byte("trimmed")); trimmed.Length != 4 || trimmed.FirstID != (ID{Ms: 2, Seq: 7}) {
		t.Errorf("trimmed: %+v", trimmed)
	}
	if gone, _ := l.Meta([]byte("gone")); gone.Length != 1 || gone.FirstID != (ID{Ms: 4, Seq: 2}) || gone.Incarnation == 0 {
		t.Errorf("gone: %+v", gone)
	}
	if n := l.NodeLimits(); n != (NodeLimits{MaxEntries: 4, MaxBytes: 2048}) {
		t.Errorf("node limits %+v", n)
	}
	g1, ok := l.Group([]byte("orders"), []byte("g1"))
	if !ok || g1.Pending != 4 || g1.LastID != (ID{Ms: 1, Seq: 7}) || len(g1.Consumers) != 4 {
		t.Errorf("orders g1: %v %+v", ok, g1)
	}
	audit, ok := l.Group([]byte("orders"), []byte("audit"))
	if !ok || audit.Config.MaxDeliver != 7 || audit.Config.DeadLetter != "dlq" || len(audit.Config.BackoffMs) != 2 {
		t.Errorf("orders audit: %v %+v", ok, audit)
	}
	if workers, ok := l.Group([]byte("jobs"), []byte("workers")); !ok || workers.Pending != 23 {
		t.Errorf("jobs workers: %v %+v", ok, workers)
	}
	news, _ := l.Meta([]byte("news"))
	if pos, ok, err := l.CursorOf([]byte("reader1"), []byte("news")); err != nil || !ok || pos.ID != news.LastID || pos.Incarnation != news.Incarnation {
		t.Errorf("reader1's cursor on news: %+v %v %v; news %+v", pos, ok, err, news)
	}
	if base, cursors, err := l.PatternCursors([]byte("reader1"), []byte("ev.*")); err != nil || !base || len(cursors) != 1 {
		t.Errorf("reader1's cursors on ev.*: %v %v %v", base, cursors, err)
	}
}

// TestLayoutMigration opens copies of the fixtures: the first Open
// migrates them (and logs it once), and reads what the old layout read;
// the second has nothing to do.
func TestLayoutMigration(t *testing.T) {
	for _, name := range layoutFixtures {
		t.Run(name, func(t *testing.T) {
			dir := copyFixture(t, name)
			for round := range 2 {
				var logged bytes.Buffer
				l, err := Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
				if err != nil {
					t.Fatal(err)
				}
				got := dumpState(t, l)
				if *updateLayoutState && round == 0 {
					writeFixtureState(t, name, got)
				}
				if got != fixtureState(t, name) {
					t.Errorf("round %d: state differs from %s.state:\n%s", round, name, got)
				}
				checkFixtureFacts(t, l, name == "killed")
				checkLayout2(t, l)
				mustClose(t, l)
				lines := strings.Count(logged.String(), "migrated the data directory")
				if want := 1 - round; lines != want {
					t.Errorf("round %d: %d migration log lines, want %d:\n%s", round, lines, want, logged.String())
				}
			}
		})
	}
}

// TestLayoutReadOnlyRefuses: a read-only Open of an unmigrated directory
// fails with ErrOldLayout, telling what to do, and changes nothing; after a
// writable Open migrated it, a read-only Open reads it.
func TestLayoutReadOnlyRefuses(t *testing.T) {
	dir := copyFixture(t, "clean")
	_, err := Open(Options{Dir: dir, ReadOnly: true})
	if !errors.Is(err, ErrOldLayout) || !strings.Contains(err.Error(), "rewind serve") {
		t.Fatalf("read-only open of layout 1: %v", err)
	}
	l, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := dumpState(t, l); got != fixtureState(t, "clean") {
		t.Errorf("state after the refused read-only open:\n%s", got)
	}
	mustClose(t, l)
	l, err = Open(Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := dumpState(t, l); got != fixtureState(t, "clean") {
		t.Errorf("read-only state after migration:\n%s", got)
	}
}

// TestLayoutMigrationCrash cuts the migration short before each of its
// batch commits (small batches, on a crashable filesystem, keeping none,
// half or all unsynced data): the next Open finishes it, with the same
// records and state as a migration that ran through.
func TestLayoutMigrationCrash(t *testing.T) {
	const batchBytes = 512
	for _, name := range layoutFixtures {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(testSeed(t), 1))
			fs := vfs.NewCrashableMem()
			copyFixtureTo(t, name, fs, "data")
			commits := 0
			l, err := Open(Options{Dir: "data", FS: fs, migrationBatchBytes: batchBytes, beforeMigrationBatch: func() { commits++ }})
			if err != nil {
				t.Fatal(err)
			}
			want := rawRecords(t, l)
			mustClose(t, l)
			if commits < 4 {
				t.Fatalf("the migration made %d commits: too few to test", commits)
			}
			t.Logf("%d commits", commits)
			for stop := range commits {
				for _, percent := range crashPercents {
					checkMigrationCrash(t, name, rng, stop, percent, want)
				}
			}
		})
	}
}

// checkMigrationCrash crashes the migration of fixture name before its
// commit number stop, then reopens and compares with want.
func checkMigrationCrash(t *testing.T, name string, rng *rand.Rand, stop, percent int, want []string) {
	t.Helper()
	fs := vfs.NewCrashableMem()
	copyFixtureTo(t, name, fs, "data")
	var crashed *vfs.MemFS
	commits := 0
	opts := Options{Dir: "data", FS: fs, migrationBatchBytes: 512, beforeMigrationBatch: func() {
		if commits == stop {
			crashed = fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: percent, RNG: rng})
		}
		commits++
	}}
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	if legacy := crashedHasLegacyKeys(t, crashed); legacy != (stop < commits-1) {
		t.Fatalf("crash before commit %d of %d: layout 1 keys left: %v", stop, commits, legacy)
	}
	l, err = Open(Options{Dir: "data", FS: crashed})
	if err != nil {
		t.Fatalf("reopen after a crash before commit %d (%d%% unsynced kept): %v", stop, percent, err)
	}
	defer mustClose(t, l)
	if got := rawRecords(t, l); !slices.Equal(got, want) {
		t.Errorf("crash before commit %d (%d%% unsynced kept): %s", stop, percent, firstDiff(got, want))
	}
	if got := dumpState(t, l); got != fixtureState(t, name) {
		t.Errorf("crash before commit %d (%d%% unsynced kept): state\n%s", stop, percent, got)
	}
}

// crashedHasLegacyKeys reports whether the directory "data" of fs holds
// keys of layout 1 (every commit but the version record's moves some).
func crashedHasLegacyKeys(t *testing.T, fs vfs.FS) bool {
	t.Helper()
	db, err := pebble.Open("data", &pebble.Options{FS: fs, Merger: merger, ReadOnly: true, Logger: newPebbleLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	legacy, err := hasLegacyKeys(db)
	if err != nil {
		t.Fatal(err)
	}
	return legacy
}

// TestLayoutVersionChecks: a new directory gets the version record; one of
// a newer layout is refused.
func TestLayoutVersionChecks(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	publish(t, l, "c", "m")
	checkLayout2(t, l)
	mustClose(t, l)

	setRaw := func(key, value []byte) {
		t.Helper()
		db, err := pebble.Open("data", &pebble.Options{FS: fs, Merger: merger, Logger: newPebbleLogger(slog.New(slog.DiscardHandler))})
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(db.Set(key, value, pebble.Sync), db.Close()); err != nil {
			t.Fatal(err)
		}
	}
	setRaw(layoutVersionKey, []byte{layoutVersion + 1})
	if _, err := Open(Options{Dir: "data", FS: fs}); err == nil || !strings.Contains(err.Error(), "newer rewind") {
		t.Errorf("newer layout: %v", err)
	}
}

// toLayout1 rewrites the closed log in "data" of fs with layout 1's keys
// (the inverse of the migration), as an older rewind would have left it.
func toLayout1(t *testing.T, fs vfs.FS) {
	t.Helper()
	db, err := pebble.Open("data", &pebble.Options{FS: fs, Merger: merger, Logger: newPebbleLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	it, err := db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		switch {
		case k[0] == prefixShard:
			err = b.Set(k[shardPrefixLen:], it.Value(), nil)
		case bytes.Equal(k, highWaterKey):
			err = b.Set(legacyHighWaterKey, it.Value(), nil)
		}
		if err = errors.Join(err, b.Delete(k, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(it.Close(), b.Commit(pebble.Sync), db.Flush(), db.Close()); err != nil {
		t.Fatal(err)
	}
}

// TestLayoutMigratedReadsAllocateNothing: a log written, turned into
// layout 1 and migrated reads what was written, and its short reads still
// allocate nothing (the migration leaves no range tombstone in the way).
func TestLayoutMigratedReadsAllocateNothing(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	var ids []ID
	for i := range 20 {
		ids = append(ids, publish(t, l, "ch", fmt.Sprint("m", i)))
	}
	want := dumpState(t, l)
	mustClose(t, l)
	toLayout1(t, fs)
	l = openMem(t, fs, nil)
	defer mustClose(t, l)
	checkLayout2(t, l)
	if got := dumpState(t, l); got != want {
		t.Fatalf("migrated state:\n%s\nwant:\n%s", got, want)
	}
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	q := RangeQuery{Start: ids[5], End: MaxID, Count: 1}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := l.Range([]byte("ch"), q, func(*Entry) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.5 { // as TestRangeShortReadsAllocateNothing
		t.Errorf("a short Range of a migrated log: %.1f allocations per call", allocs)
	}
}
