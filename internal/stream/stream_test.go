package stream

import (
	"math"
	"testing"
)

func TestIDOrderAndNeighbours(t *testing.T) {
	cases := []struct {
		id, next, prev ID
		hasNext        bool
		hasPrev        bool
		text           string
	}{
		{ID{}, ID{Seq: 1}, ID{}, true, false, "0-0"},
		{ID{Ms: 5, Seq: 7}, ID{Ms: 5, Seq: 8}, ID{Ms: 5, Seq: 6}, true, true, "5-7"},
		{ID{Ms: 5, Seq: math.MaxUint64}, ID{Ms: 6}, ID{Ms: 5, Seq: math.MaxUint64 - 1}, true, true, "5-18446744073709551615"},
		{ID{Ms: 6}, ID{Ms: 6, Seq: 1}, ID{Ms: 5, Seq: math.MaxUint64}, true, true, "6-0"},
		{MaxID, MaxID, ID{Ms: math.MaxUint64, Seq: math.MaxUint64 - 1}, false, true, "18446744073709551615-18446744073709551615"},
	}
	for _, c := range cases {
		next, ok := c.id.Next()
		if next != c.next || ok != c.hasNext {
			t.Errorf("%v.Next() = %v, %v; want %v, %v", c.id, next, ok, c.next, c.hasNext)
		}
		prev, ok := c.id.Prev()
		if prev != c.prev || ok != c.hasPrev {
			t.Errorf("%v.Prev() = %v, %v; want %v, %v", c.id, prev, ok, c.prev, c.hasPrev)
		}
		if got := c.id.String(); got != c.text {
			t.Errorf("String() = %q, want %q", got, c.text)
		}
		if c.hasNext && (!c.id.Less(c.next) || c.id.Compare(c.next) != -1 || c.next.Compare(c.id) != 1) {
			t.Errorf("%v does not order before %v", c.id, c.next)
		}
		if c.id.Compare(c.id) != 0 || c.id.Less(c.id) {
			t.Errorf("%v does not equal itself", c.id)
		}
		if c.id.IsZero() != (c.id == ID{}) {
			t.Errorf("%v.IsZero() = %v", c.id, c.id.IsZero())
		}
	}
}
