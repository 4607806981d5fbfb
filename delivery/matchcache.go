package delivery

import (
	"sync"
	"sync/atomic"
)

// Pattern matching is kept off the fan-out path. A publish asks the index
// which patterns match its channel; the answer is computed once per channel
// and pattern and kept in a matchCache entry, so a message's fan-out costs
// a map lookup however long or complex the patterns are.
//
// Invariants:
//  1. Every pattern gets an id from a counter when its first subscriber
//     arrives; the pattern set's generation is the newest id. Ids are never
//     reused: a pattern that loses its last subscriber dies, and one that is
//     subscribed again is a new pattern with a new id.
//  2. A cache entry of generation g lists, among the patterns with id <= g,
//     exactly those that match its channel (dead ones may linger: they are
//     skipped). Bringing an entry to a newer generation matches only the
//     patterns added since.
//  3. A pattern is delivered to only once visible: Add reveals it at once,
//     AddPattern installs it hidden until Reveal. Fan-out uses an entry
//     only if its generation is at least the newest visible pattern's id,
//     read under the index's lock that Add and Reveal hold. So a pattern
//     revealed before a fan-out began is considered by it: a subscriber
//     never misses a message published after its subscription returned.
//  4. Publishers bring their channel's entry up to date (Index.Prepare) on
//     their own goroutine before they submit, hidden patterns included.
//     The broker reveals a pattern only once every publish prepared
//     without it was fanned out (broker/patterns.go), so fan-out matches
//     only for an entry evicted while its publish was in flight, or an
//     append that was never prepared; Index.FanoutMatches counts those.
//  5. The cache holds at most maxBytes (names plus per-entry overhead);
//     eviction is second-chance: an entry used since the last eviction pass
//     survives one more.

// matchEntryOverheadBytes approximates what a cache entry costs besides its
// channel name and match list: the map slot, the key's header, the entry.
const matchEntryOverheadBytes = 96

// channelMatches is the cached answer for one channel: the patterns with
// id <= gen that match it. It is immutable once built; a newer generation
// gets a new value.
type channelMatches struct {
	gen  uint64
	pats []*patternEntry
	used atomic.Bool // looked up since the last eviction pass
}

func (m *channelMatches) costBytes(channel string) int {
	return len(channel) + 8*len(m.pats) + matchEntryOverheadBytes
}

// matchCache maps channel names to their pattern matches, bounded in bytes.
type matchCache struct {
	mu       sync.RWMutex
	entries  map[string]*channelMatches // guarded by mu
	bytes    int                        // guarded by mu
	maxBytes int
}

func newMatchCache(maxBytes int) *matchCache {
	return &matchCache{entries: make(map[string]*channelMatches), maxBytes: maxBytes}
}

// get returns the entry of channel, or nil. It does not allocate.
func (c *matchCache) get(channel []byte) *channelMatches {
	c.mu.RLock()
	m := c.entries[string(channel)]
	c.mu.RUnlock()
	if m != nil && !m.used.Load() {
		m.used.Store(true)
	}
	return m
}

// put stores m for channel unless the cache holds a newer generation, and
// evicts entries to stay within maxBytes. An entry bigger than the whole
// budget is not stored.
func (c *matchCache) put(channel []byte, m *channelMatches) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries[string(channel)]
	if old != nil && old.gen >= m.gen {
		return
	}
	key := string(channel)
	if old != nil {
		c.bytes -= old.costBytes(key)
		delete(c.entries, key)
	}
	cost := m.costBytes(key)
	if cost > c.maxBytes {
		return
	}
	c.evictLocked(c.maxBytes - cost)
	m.used.Store(true)
	c.entries[key] = m
	c.bytes += cost
}

// evictLocked removes entries until the cache holds at most limit bytes:
// those not used since the last pass first (second chance), then any.
func (c *matchCache) evictLocked(limit int) {
	for pass := 0; pass < 2 && c.bytes > limit; pass++ {
		for k, m := range c.entries {
			if c.bytes <= limit {
				return
			}
			if pass == 0 && m.used.Load() {
				m.used.Store(false)
				continue
			}
			c.bytes -= m.costBytes(k)
			delete(c.entries, k)
		}
	}
}

// clear drops every entry (the last pattern went away).
func (c *matchCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.bytes = 0
	c.mu.Unlock()
}

// stats returns the number of entries and their cost in bytes.
func (c *matchCache) stats() (entries, bytes int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), c.bytes
}
