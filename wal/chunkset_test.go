package wal

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestChunkSet checks the chunked set against a sorted slice under random
// inserts, deletes, lookups and scans, with appends, front deletes and
// random positions mixed as a group's pending entries list sees them.
func TestChunkSet(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		r := rand.New(rand.NewPCG(seed, seed))
		s := newChunkSet(cmp.Compare[int64])
		var ref []int64
		next := int64(0)
		for step := 0; step < 60_000; step++ {
			var k int64
			switch op := r.IntN(10); {
			case op < 4: // append
				next += 1 + r.Int64N(3)
				k = next
				s.Insert(k)
			case op < 5: // insert anywhere
				k = r.Int64N(next + 10)
				s.Insert(k)
			case op < 7 && len(ref) > 0: // delete the first
				k = ref[0]
				s.Delete(k)
			default: // delete anywhere (maybe absent)
				k = r.Int64N(next + 10)
				s.Delete(k)
			}
			i, found := slices.BinarySearch(ref, k)
			switch {
			case s.Len() > len(ref) && !found:
				ref = slices.Insert(ref, i, k)
			case s.Len() < len(ref) && found:
				ref = slices.Delete(ref, i, i+1)
			}
			if s.Len() != len(ref) {
				t.Fatalf("seed %d step %d: len %d, want %d", seed, step, s.Len(), len(ref))
			}
			if step%997 == 0 {
				checkChunkSet(t, s, ref)
			}
		}
		checkChunkSet(t, s, ref)
		for len(ref) > 0 { // delete everything in random order
			i := r.IntN(len(ref))
			if _, ok := s.Delete(ref[i]); !ok {
				t.Fatalf("delete %d: not found", ref[i])
			}
			ref = slices.Delete(ref, i, i+1)
			if len(ref)%500 == 0 {
				checkChunkSet(t, s, ref)
			}
		}
		if len(s.chunks) != 0 {
			t.Fatalf("empty set keeps %d chunks", len(s.chunks))
		}
	}
}

func checkChunkSet(t *testing.T, s *chunkSet[int64], ref []int64) {
	t.Helper()
	var got []int64
	s.Scan(func(v *int64) bool { got = append(got, *v); return true })
	if !slices.Equal(got, ref) {
		t.Fatalf("scan: %d items, want %d", len(got), len(ref))
	}
	for i, c := range s.chunks {
		if c.len() == 0 || len(c.buf) != s.perChunk {
			t.Fatalf("chunk %d: %d items, buffer %d", i, c.len(), len(c.buf))
		}
		if i > 0 && s.small(i-1) {
			t.Fatalf("chunks %d and %d hold %d and %d items: not merged", i-1, i, s.chunks[i-1].len(), c.len())
		}
	}
	if len(ref) == 0 {
		return
	}
	if v, _ := s.Min(); *v != ref[0] {
		t.Fatalf("min %d, want %d", *v, ref[0])
	}
	if v, _ := s.Max(); *v != ref[len(ref)-1] {
		t.Fatalf("max %d, want %d", *v, ref[len(ref)-1])
	}
	for _, k := range []int64{ref[0], ref[len(ref)/2], ref[len(ref)-1], ref[len(ref)/3] + 1} {
		i, found := slices.BinarySearch(ref, k)
		if v, ok := s.Get(k); ok != found || (ok && *v != k) {
			t.Fatalf("get %d: %v, want %v", k, ok, found)
		}
		var from []int64
		s.Ascend(k, func(v *int64) bool { from = append(from, *v); return len(from) < 50 })
		want := ref[i:min(i+50, len(ref))]
		if !slices.Equal(from, want) {
			t.Fatalf("ascend from %d: %v, want %v", k, from, want)
		}
	}
}

// TestChunkSetAppendsFill checks that items inserted in order fill their
// chunks, and that deletes from the front free them.
func TestChunkSetAppendsFill(t *testing.T) {
	s := newChunkSet(cmp.Compare[int64])
	const n = 100_000
	for i := range int64(n) {
		s.Insert(i)
	}
	if want := (n + s.perChunk - 1) / s.perChunk; len(s.chunks) != want {
		t.Fatalf("%d chunks for %d items in order, want %d", len(s.chunks), n, want)
	}
	for i := range int64(n / 2) {
		s.Delete(i)
	}
	if want := (n/2+s.perChunk-1)/s.perChunk + 1; len(s.chunks) > want {
		t.Fatalf("%d chunks after deleting the first half, want at most %d", len(s.chunks), want)
	}
}
