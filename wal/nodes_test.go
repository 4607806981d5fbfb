package wal

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestListpackSizes: element sizes follow listpack's encodings, integers
// are recognised as lpStringToInt64 recognises them.
func TestListpackSizes(t *testing.T) {
	ints := []struct {
		v    int64
		size uint64
	}{{0, 2}, {127, 2}, {128, 3}, {-1, 3}, {4095, 3}, {-4096, 3}, {4096, 4}, {32767, 4}, {-32769, 5},
		{8388607, 5}, {8388608, 6}, {-2147483648, 6}, {2147483648, 10}, {-1 << 63, 10}}
	for _, c := range ints {
		if got := lpIntBytes(c.v); got != c.size {
			t.Errorf("lpIntBytes(%d) = %d, want %d", c.v, got, c.size)
		}
	}
	strs := []struct {
		s    string
		size uint64
	}{{"", 2}, {"a", 3}, {strings.Repeat("a", 63), 65}, {strings.Repeat("a", 64), 67},
		{strings.Repeat("a", 125), 128}, {strings.Repeat("a", 126), 130}, {strings.Repeat("a", 4095), 4099},
		{strings.Repeat("a", 4096), 4103}, // 5-byte header, 2-byte back-length
		{"12", 2}, {"012", 5}, {"-0", 4}, {"+1", 4}, {"-5", 3}, {"9223372036854775807", 10},
		{"9223372036854775808", 21}, {"1 ", 4}}
	for _, c := range strs {
		if got := lpStringBytes([]byte(c.s)); got != c.size {
			t.Errorf("lpStringBytes(%.10q…%d) = %d, want %d", c.s, len(c.s), got, c.size)
		}
	}
}

// TestNodesRecoveredAfterCrash: the newest node's state is part of the
// metadata, written lazily; after a crash, the appends since the last
// metadata write are replayed from the entries and the node markers, and
// give the same node as before the crash, so trims keep matching.
func TestNodesRecoveredAfterCrash(t *testing.T) {
	fs := vfs.NewCrashableMem()
	l := openMem(t, fs, nil)
	for i := range 250 {
		r := NewRequest()
		p := add(r)
		p.Kind, p.Channel, p.Spec = OpAppend, []byte("s"), IDSpec{ID: ID{Ms: uint64(i + 1), Seq: 0}}
		p.Fields = [][]byte{[]byte("f"), []byte(strings.Repeat("v", i%97)), []byte(fmt.Sprint(i % 5)), []byte(fmt.Sprint(i))}
		if err := l.Submit(r); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		if p.Err != nil {
			t.Fatal(p.Err)
		}
	}
	before, _ := l.Meta([]byte("s"))
	if before.Tail.Start.IsZero() || before.Tail.Appended == 0 {
		t.Fatalf("no newest node: %+v", before.Tail)
	}
	crashed := fs.CrashClone(vfs.CrashCloneCfg{}) // what was synced: every append, not the metadata
	mustClose(t, l)
	l = openMem(t, crashed, nil)
	defer l.Close()
	after, _ := l.Meta([]byte("s"))
	if after.Tail != before.Tail {
		t.Fatalf("newest node after the crash\n  %+v\nwant\n  %+v", after.Tail, before.Tail)
	}
}

// TestApproxTrimRemembersOldestNode: once a "~" trim has looked at the
// oldest node and left it whole, the next appends with the same trim know
// from memory that it cannot be removed yet (no read, no indexed batch),
// until enough entries arrive; a delete before the newest node forgets it.
func TestApproxTrimRemembersOldestNode(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	trim := Trim{Strategy: TrimMaxLen, Approx: true, MaxLen: 120}
	appendOne := func(i int, withTrim bool) op {
		r := NewRequest()
		p := add(r)
		p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte("s"), IDSpec{ID: ID{Ms: uint64(i), Seq: 0}}, [][]byte{[]byte("f"), []byte("v")}
		if withTrim {
			p.Trim = trim
		}
		if err := l.Submit(r); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		return p
	}
	for i := 1; i <= 150; i++ {
		appendOne(i, false)
	}
	if p := appendOne(151, true); p.N != 0 {
		t.Fatalf("trimmed %d: the oldest node (100 entries) cannot go yet", p.N)
	}
	ch := l.lookup([]byte("s"))
	if trimMayRemove(ch, &trim, 1) {
		t.Fatal("after a trim that kept the oldest node, the next append still needs a look")
	}
	for i := 152; i <= 219; i++ {
		appendOne(i, true)
	}
	if !trimMayRemove(ch, &trim, 1) {
		t.Fatal("with 220 entries the oldest node of 100 may go, but the writer thinks not")
	}
	if p := appendOne(220, true); p.N != 100 {
		t.Fatalf("trimmed %d at 220 entries, want the oldest node of 100", p.N)
	}
}
