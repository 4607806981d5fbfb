package wal

import (
	"slices"
	"unsafe"
)

// chunkSet is an ordered set of small values kept by value in fixed-size
// chunks (4 KiB each), for the consumer groups' pending entries lists and
// their redelivery schedules, which may hold millions of entries.
//
// Invariants:
//  1. chunks are in order and never overlap: every item of chunks[i]
//     orders before every item of chunks[i+1]; no chunk is empty.
//  2. A chunk's items are buf[lo:hi], sorted, without duplicates; len(buf)
//     is perChunk for every chunk.
//  3. Inserting after the last item (the common case: a group delivers
//     ever-growing IDs) fills the last chunk completely before it starts a
//     new one, so a list built in order costs the item's size per item. An
//     insert into a full chunk moves one item to a neighbour with room; a
//     chunk is split in half only when its neighbours are full too.
//  4. Deleting the first or last item of a chunk moves nothing (acks come
//     mostly in delivery order). After a delete, a chunk that fits with a
//     neighbour in three quarters of a chunk is merged into it, so any two
//     neighbours hold more than 3/4 of a chunk between them.
//
// Pointers returned by Get, Insert, Min, Max and passed by Ascend point
// into a chunk: they are valid until the next Insert or Delete, and the
// caller may change the item through them as long as its order does not
// change. Not safe for concurrent use.
type chunkSet[T any] struct {
	cmp      func(a, b T) int
	perChunk int
	chunks   []chunk[T]
	spare    []T // the buffer of the last chunk removed, for reuse
	n        int
	finger   int // the chunk of the last lookup: acks come in runs
}

type chunk[T any] struct {
	buf    []T
	lo, hi int
}

// chunkBytes is the size of a chunk's buffer: a Go size class, so a chunk
// wastes nothing.
const chunkBytes = 4096

func newChunkSet[T any](cmp func(a, b T) int) *chunkSet[T] {
	var zero T
	return &chunkSet[T]{cmp: cmp, perChunk: max(chunkBytes/int(unsafe.Sizeof(zero)), 4)}
}

// Len returns the number of items.
func (s *chunkSet[T]) Len() int { return s.n }

func (c *chunk[T]) len() int { return c.hi - c.lo }

// locate returns the chunk that holds k or would receive it, and k's
// position in its buffer (the first item not less than k).
func (s *chunkSet[T]) locate(k T) (ci, pos int, found bool) {
	last := len(s.chunks) - 1
	if c := &s.chunks[last]; s.cmp(c.buf[c.hi-1], k) < 0 {
		return last, c.hi, false // after every item: the common case
	}
	lo := s.finger
	if c := &s.chunks[min(lo, last)]; lo > last || s.cmp(k, c.buf[c.lo]) < 0 || s.cmp(c.buf[c.hi-1], k) < 0 {
		// The last chunk whose first item is not after k (or the first
		// chunk).
		hi := last
		lo = 0
		for lo < hi {
			m := int(uint(lo+hi+1) >> 1)
			if c := &s.chunks[m]; s.cmp(c.buf[c.lo], k) <= 0 {
				lo = m
			} else {
				hi = m - 1
			}
		}
		s.finger = lo
	}
	c := &s.chunks[lo]
	i, j := c.lo, c.hi
	for i < j {
		m := int(uint(i+j) >> 1)
		if s.cmp(c.buf[m], k) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	return lo, i, i < c.hi && s.cmp(c.buf[i], k) == 0
}

// Get returns the item equal to k.
func (s *chunkSet[T]) Get(k T) (*T, bool) {
	if s.n == 0 {
		return nil, false
	}
	ci, pos, found := s.locate(k)
	if !found {
		return nil, false
	}
	return &s.chunks[ci].buf[pos], true
}

// Floor returns the greatest item not greater than k.
func (s *chunkSet[T]) Floor(k T) (*T, bool) {
	if s.n == 0 {
		return nil, false
	}
	ci, pos, found := s.locate(k)
	c := &s.chunks[ci]
	switch {
	case found:
		return &c.buf[pos], true
	case pos > c.lo:
		return &c.buf[pos-1], true
	case ci > 0:
		p := &s.chunks[ci-1]
		return &p.buf[p.hi-1], true
	}
	return nil, false
}

// Min returns the first item.
func (s *chunkSet[T]) Min() (*T, bool) {
	if s.n == 0 {
		return nil, false
	}
	c := &s.chunks[0]
	return &c.buf[c.lo], true
}

// Max returns the last item.
func (s *chunkSet[T]) Max() (*T, bool) {
	if s.n == 0 {
		return nil, false
	}
	c := &s.chunks[len(s.chunks)-1]
	return &c.buf[c.hi-1], true
}

// Insert adds v, or replaces the item equal to it, and returns where it is
// now.
func (s *chunkSet[T]) Insert(v T) *T {
	if s.n == 0 {
		s.chunks = append(s.chunks, chunk[T]{buf: s.newBuf()})
		return s.insertAt(0, 0, v)
	}
	ci, pos, found := s.locate(v)
	c := &s.chunks[ci]
	if found {
		c.buf[pos] = v
		return &c.buf[pos]
	}
	if c.len() < s.perChunk {
		return s.insertAt(ci, pos, v)
	}
	// The chunk is full: append a chunk, or make room in a neighbour, or
	// split.
	var zero T
	if pos == c.hi && ci == len(s.chunks)-1 {
		s.chunks = append(s.chunks, chunk[T]{buf: s.newBuf()})
		return s.insertAt(ci+1, 0, v)
	}
	if ci+1 < len(s.chunks) && s.chunks[ci+1].len() < s.perChunk {
		if pos == c.hi {
			return s.insertAt(ci+1, s.chunks[ci+1].lo, v)
		}
		c.hi--
		last := c.buf[c.hi]
		c.buf[c.hi] = zero
		s.n--
		s.insertAt(ci+1, s.chunks[ci+1].lo, last)
		return s.insertAt(ci, pos, v)
	}
	if ci > 0 && s.chunks[ci-1].len() < s.perChunk && pos > c.lo {
		first := c.buf[c.lo]
		c.buf[c.lo] = zero
		c.lo++
		s.n--
		s.insertAt(ci-1, s.chunks[ci-1].hi, first)
		return s.insertAt(ci, pos, v)
	}
	mid := s.split(ci)
	if pos <= mid {
		return s.insertAt(ci, pos, v)
	}
	return s.insertAt(ci+1, pos-mid, v)
}

// insertAt puts v at pos of chunk ci, which has room.
func (s *chunkSet[T]) insertAt(ci, pos int, v T) *T {
	c := &s.chunks[ci]
	s.n++
	switch {
	case pos == c.hi && c.hi < len(c.buf):
	case c.lo > 0 && (c.hi == len(c.buf) || pos-c.lo < c.hi-pos):
		copy(c.buf[c.lo-1:pos-1], c.buf[c.lo:pos])
		c.lo--
		c.buf[pos-1] = v
		return &c.buf[pos-1]
	default:
		copy(c.buf[pos+1:c.hi+1], c.buf[pos:c.hi])
	}
	c.hi++
	c.buf[pos] = v
	return &c.buf[pos]
}

// split moves the upper half of the full chunk ci to a new chunk after it,
// and returns where the upper half began (an index into ci's buffer, which
// now ends there; the new chunk's items start at 0).
func (s *chunkSet[T]) split(ci int) int {
	c := &s.chunks[ci]
	mid := c.lo + c.len()/2
	right := chunk[T]{buf: s.newBuf()}
	right.hi = copy(right.buf, c.buf[mid:c.hi])
	clear(c.buf[mid:c.hi])
	c.hi = mid
	s.chunks = slices.Insert(s.chunks, ci+1, right)
	return mid
}

// Delete removes the item equal to k and returns it.
func (s *chunkSet[T]) Delete(k T) (T, bool) {
	var zero T
	if s.n == 0 {
		return zero, false
	}
	ci, pos, found := s.locate(k)
	if !found {
		return zero, false
	}
	return s.deleteAt(ci, pos), true
}

// find returns where the item equal to k is, for at and deleteAt.
func (s *chunkSet[T]) find(k T) (ci, pos int, found bool) {
	if s.n == 0 {
		return 0, 0, false
	}
	return s.locate(k)
}

// at returns the item find found.
func (s *chunkSet[T]) at(ci, pos int) *T { return &s.chunks[ci].buf[pos] }

// deleteAt removes and returns the item find found.
func (s *chunkSet[T]) deleteAt(ci, pos int) T {
	var zero T
	c := &s.chunks[ci]
	v := c.buf[pos]
	if pos-c.lo < c.hi-1-pos {
		copy(c.buf[c.lo+1:pos+1], c.buf[c.lo:pos])
		c.buf[c.lo] = zero
		c.lo++
	} else {
		copy(c.buf[pos:c.hi-1], c.buf[pos+1:c.hi])
		c.hi--
		c.buf[c.hi] = zero
	}
	s.n--
	if c.len() == 0 {
		s.removeChunk(ci)
		if ci > 0 && ci < len(s.chunks) && s.small(ci-1) { // new neighbours
			s.merge(ci - 1)
		}
		return v
	}
	switch {
	case ci+1 < len(s.chunks) && s.small(ci):
		s.merge(ci)
	case ci > 0 && s.small(ci-1):
		s.merge(ci - 1)
	}
	return v
}

// small reports whether chunks ci and ci+1 fit in 3/4 of a chunk.
func (s *chunkSet[T]) small(ci int) bool {
	return s.chunks[ci].len()+s.chunks[ci+1].len() <= s.perChunk*3/4
}

// merge moves the items of chunk ci+1 to the end of chunk ci.
func (s *chunkSet[T]) merge(ci int) {
	c, next := &s.chunks[ci], &s.chunks[ci+1]
	if c.hi+next.len() > len(c.buf) {
		n := copy(c.buf, c.buf[c.lo:c.hi])
		clear(c.buf[n:c.hi])
		c.lo, c.hi = 0, n
	}
	c.hi += copy(c.buf[c.hi:], next.buf[next.lo:next.hi])
	clear(next.buf[next.lo:next.hi])
	s.removeChunk(ci + 1)
}

// removeChunk drops chunk ci, whose buffer holds only zero values, keeping
// its buffer as the spare.
func (s *chunkSet[T]) removeChunk(ci int) {
	s.spare = s.chunks[ci].buf
	if ci == 0 {
		// The front goes first when acks follow deliveries: no move.
		s.chunks[0] = chunk[T]{}
		s.chunks = s.chunks[1:]
		return
	}
	s.chunks = slices.Delete(s.chunks, ci, ci+1)
}

func (s *chunkSet[T]) newBuf() []T {
	if b := s.spare; b != nil {
		s.spare = nil
		return b
	}
	return make([]T, s.perChunk)
}

// Ascend calls fn for each item not less than from, in order, until fn
// returns false. fn may change the item (not its order) but must not
// insert or delete.
func (s *chunkSet[T]) Ascend(from T, fn func(*T) bool) {
	if s.n == 0 {
		return
	}
	ci, pos, _ := s.locate(from)
	s.ascendAt(ci, pos, fn)
}

// Scan calls fn for each item in order until fn returns false, as Ascend.
func (s *chunkSet[T]) Scan(fn func(*T) bool) {
	if s.n == 0 {
		return
	}
	s.ascendAt(0, s.chunks[0].lo, fn)
}

func (s *chunkSet[T]) ascendAt(ci, pos int, fn func(*T) bool) {
	for ; ci < len(s.chunks); ci++ {
		c := &s.chunks[ci]
		for i := max(pos, c.lo); i < c.hi; i++ {
			if !fn(&c.buf[i]) {
				return
			}
		}
		pos = 0
	}
}
