package wal

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func setCursors(t *testing.T, l *Log, cs []Cursor) {
	t.Helper()
	r := NewRequest()
	p := add(r)
	p.Kind, p.Cursors = OpSetCursors, cs
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if p.Err != nil {
		t.Fatal(p.Err)
	}
}

// TestPatternCursors: a pattern's base record and per-channel cursors are
// kept apart from channel cursors and from other patterns (also one that is
// a prefix of another), survive a reopen, and expire by last-seen time.
func TestPatternCursors(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	name := []byte("app")
	setCursors(t, l, []Cursor{
		{Name: name, Channel: []byte("a.x"), ID: ID{Ms: 1, Seq: 1}, SeenMs: 100},
		{Name: name, OnPattern: true, Base: true, Pattern: []byte("a.*"), SeenMs: 100},
		{Name: name, OnPattern: true, Pattern: []byte("a.*"), Channel: []byte("a.x"), ID: ID{Ms: 5, Seq: 0}, SeenMs: 100},
		{Name: name, OnPattern: true, Pattern: []byte("a.*"), Channel: []byte(""), ID: ID{Ms: 6, Seq: 0}, SeenMs: 100},
		{Name: name, OnPattern: true, Pattern: []byte("a.*x"), Channel: []byte("a.yx"), ID: ID{Ms: 7, Seq: 0}, SeenMs: 300},
		{Name: []byte("ap"), OnPattern: true, Base: true, Pattern: []byte("pa.*"), SeenMs: 300},
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openMem(t, fs, nil)
	defer l.Close()

	base, cs, err := l.PatternCursors(name, []byte("a.*"))
	if err != nil || !base || len(cs) != 2 || cs["a.x"].ID != (ID{Ms: 5, Seq: 0}) || cs[""].ID != (ID{Ms: 6, Seq: 0}) {
		t.Fatalf("a.*: base %v cursors %v err %v", base, cs, err)
	}
	base, cs, err = l.PatternCursors(name, []byte("a.*x"))
	if err != nil || base || len(cs) != 1 || cs["a.yx"].ID != (ID{Ms: 7, Seq: 0}) {
		t.Fatalf("a.*x: base %v cursors %v err %v", base, cs, err)
	}
	base, cs, err = l.PatternCursors(name, []byte("a"))
	if err != nil || base || len(cs) != 0 {
		t.Fatalf("a: base %v cursors %v err %v", base, cs, err)
	}
	if id, ok, err := l.CursorOf(name, []byte("a.x")); err != nil || !ok || id.ID != (ID{Ms: 1, Seq: 1}) {
		t.Fatalf("channel cursor %v %v %v", id, ok, err)
	}

	expired, err := l.ExpiredCursors(200, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(expired) != 4 {
		t.Fatalf("expired %d cursors, want 4: %+v", len(expired), expired)
	}
	for _, c := range expired {
		if !c.Delete || !bytes.Equal(c.Name, name) || c.OnPattern && !bytes.Equal(c.Pattern, []byte("a.*")) {
			t.Fatalf("bad expired cursor %+v", c)
		}
	}
	setCursors(t, l, expired)
	base, cs, _ = l.PatternCursors(name, []byte("a.*"))
	if base || len(cs) != 0 {
		t.Fatalf("after expiry a.*: base %v cursors %v", base, cs)
	}
	if _, ok, _ := l.CursorOf(name, []byte("a.x")); ok {
		t.Fatal("the expired channel cursor is still there")
	}
	base, cs, _ = l.PatternCursors(name, []byte("a.*x"))
	if base || len(cs) != 1 {
		t.Fatalf("a cursor seen later expired: %v %v", base, cs)
	}
	if base, _, _ = l.PatternCursors([]byte("ap"), []byte("pa.*")); !base {
		t.Fatal("another name's base record expired")
	}
}

// TestCursorIncarnation: a cursor keeps the incarnation of its channel; one
// stored before incarnations were kept (three fields) reads as unknown (0);
// anything else after the three fields is corrupt.
func TestCursorIncarnation(t *testing.T) {
	c := Cursor{ID: ID{Ms: 7, Seq: 2}, SeenMs: 99, Incarnation: 300}
	pos, seen, err := decodeCursorValue(encodeCursor(nil, &c))
	if err != nil || pos != (CursorPos{ID{Ms: 7, Seq: 2}, 300}) || seen != 99 {
		t.Fatalf("round trip: %+v %d %v", pos, seen, err)
	}
	legacy := encodeCursor(nil, &Cursor{ID: ID{Ms: 7, Seq: 2}, SeenMs: 99})
	if pos, _, err := decodeCursorValue(legacy); err != nil || pos != (CursorPos{ID: ID{Ms: 7, Seq: 2}}) {
		t.Fatalf("legacy: %+v %v", pos, err)
	}
	for _, bad := range [][]byte{append(legacy, 0), append(legacy, 0x80), append(encodeCursor(nil, &c), 1)} {
		if _, _, err := decodeCursorValue(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%x: %v, want ErrCorrupt", bad, err)
		}
	}
}
