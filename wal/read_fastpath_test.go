package wal

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// A short Range (what XREAD runs for each new message) allocates nothing
// once warm, and what it hands to the callback is right.
func TestRangeShortReadsAllocateNothing(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	var ids []ID
	for i := 0; i < 20; i++ {
		ids = append(ids, publish(t, l, "ch", fmt.Sprint("m", i)))
	}
	ch := []byte("ch")
	var got []string
	collect := func(e *Entry) error {
		got = append(got[:0], e.ID.String(), string(e.Fields[0]), string(e.Fields[1]))
		return nil
	}
	q := RangeQuery{Start: ids[5], End: MaxID, Count: 1}
	if n, err := l.Range(ch, q, collect); err != nil || n != 1 {
		t.Fatalf("Range: %d, %v", n, err)
	}
	if want := []string{ids[5].String(), "message", "m5"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Range gave %q, want %q", got, want)
	}
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	var last ID
	keep := func(e *Entry) error { last = e.ID; return nil }
	for _, tc := range []struct {
		q   RangeQuery
		max float64
	}{
		{RangeQuery{Start: ids[5], End: MaxID, Count: 1}, 0},
		{RangeQuery{Start: ids[3], End: ids[9]}, 0},
		// Pebble copies a value when it steps backwards (LazyValue.Clone).
		{RangeQuery{End: MaxID, Count: 2, Reverse: true}, 1},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := l.Range(ch, tc.q, keep); err != nil {
				t.Fatal(err)
			}
		})
		// Pebble's iterator is pooled; allow for a rare pool miss.
		if allocs > tc.max+0.5 {
			t.Errorf("Range %+v: %.1f allocations per call", tc.q, allocs)
		}
	}
	if last != ids[18] {
		t.Fatalf("reverse Range ended at %v, want %v", last, ids[18])
	}
}
