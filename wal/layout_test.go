package wal

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures in testdata/layout1 are data directories written by a
// rewind binary of the layout before replication groups (README.md there
// says how). Each has beside it the state the log of that layout read from
// it (its .state file, written with -update-layout-state by that code):
// a migrated copy must read the same.

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

// TestLayoutFixtureState records the fixtures' state (with
// -update-layout-state) or checks that the log reads what was recorded.
func TestLayoutFixtureState(t *testing.T) {
	for _, name := range layoutFixtures {
		t.Run(name, func(t *testing.T) {
			l, err := Open(Options{Dir: copyFixture(t, name)})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			got := dumpState(t, l)
			path := filepath.Join("testdata", "layout1", name+".state")
			if *updateLayoutState {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("state of %s differs from %s:\n%s", name, path, got)
			}
		})
	}
}
