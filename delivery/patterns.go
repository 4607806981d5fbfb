package delivery

import (
	"sort"
	"sync/atomic"
)

// DefaultMatchCacheBytes is the default budget of the pattern match cache:
// with channel names of about 30 bytes, over half a million channels.
const DefaultMatchCacheBytes = 64 << 20

// patternEntry is a pattern with subscribers. Its id orders it in the
// pattern set; visible is set once fan-out may deliver to it (AddPattern
// installs it hidden), dead when its last subscriber leaves.
type patternEntry struct {
	name    string
	id      uint64
	subs    subList // guarded by Index.mu
	visible atomic.Bool
	dead    atomic.Bool
}

// patternSet is an immutable snapshot of the live patterns, sorted by id.
// gen is the newest id ever given (not necessarily still live).
type patternSet struct {
	gen  uint64
	list []*patternEntry
}

// AddPattern subscribes sub to a pattern as Add does, except that a
// pattern new to the index is installed hidden: Prepare matches it, fan-out
// ignores it until Reveal. It reports whether the subscription is new and
// whether the pattern is hidden. The broker reveals a pattern once every
// publish prepared without it has been fanned out; from then on fan-out
// finds it in the cached matches and never has to match it itself.
func (x *Index) AddPattern(name string, sub Subscriber) (added, hidden bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.addPatternLocked(name, sub)
}

// PatternVisible reports whether pattern has subscribers and fan-out
// delivers to it.
func (x *Index) PatternVisible(name string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p := x.patterns[name]
	return p != nil && p.visible.Load()
}

// Reveal lets fan-out deliver to a pattern AddPattern installed hidden.
func (x *Index) Reveal(name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.revealLocked(name)
}

func (x *Index) revealLocked(name string) {
	p := x.patterns[name]
	if p == nil || p.visible.Load() {
		return
	}
	p.visible.Store(true)
	x.visible++
	x.visibleGen = max(x.visibleGen, p.id)
}

// addPatternLocked subscribes sub to a pattern; a new pattern gets the next
// id, which is the generation of the new pattern set, and is hidden.
func (x *Index) addPatternLocked(name string, sub Subscriber) (added, hidden bool) {
	p := x.patterns[name]
	if p == nil {
		x.lastID++
		p = &patternEntry{name: name, id: x.lastID, subs: subList{pos: make(map[Subscriber]int, 1)}}
		x.patterns[name] = p
		old := x.patternSet.Load()
		list := append(old.list[:len(old.list):len(old.list)], p)
		x.patternSet.Store(&patternSet{gen: p.id, list: list})
	}
	return p.subs.add(sub), !p.visible.Load()
}

// removePatternLocked unsubscribes sub from a pattern. A pattern left
// without subscribers dies and leaves the set (the generation stays:
// cached matches just skip the dead pattern). Without any pattern left the
// cache is emptied.
func (x *Index) removePatternLocked(name string, sub Subscriber) bool {
	p := x.patterns[name]
	if p == nil || !p.subs.remove(sub) {
		return false
	}
	if len(p.subs.subs) > 0 {
		return true
	}
	p.dead.Store(true)
	if p.visible.Load() {
		x.visible--
	}
	delete(x.patterns, name)
	old := x.patternSet.Load()
	list := make([]*patternEntry, 0, len(old.list)-1)
	for _, q := range old.list {
		if q != p {
			list = append(list, q)
		}
	}
	x.patternSet.Store(&patternSet{gen: old.gen, list: list})
	if len(list) == 0 {
		x.matches.clear()
	}
	return true
}

// Prepare brings the cached pattern matches of channel up to date, so that
// publishing to it does not match patterns on the fan-out goroutine.
// Publishers call it on their own goroutine before they submit a message.
// It matches only the patterns added since the channel's entry was made,
// and does nothing when there are no patterns.
func (x *Index) Prepare(channel []byte) {
	set := x.patternSet.Load()
	if len(set.list) == 0 {
		return
	}
	x.matchesFor(set, channel)
}

// matchesFor returns the entry of channel for the generation of set,
// building and caching it if the cache has an older one or none.
func (x *Index) matchesFor(set *patternSet, channel []byte) *channelMatches {
	old := x.matches.get(channel)
	if old != nil && old.gen == set.gen {
		return old
	}
	if old != nil && old.gen > set.gen {
		old = nil // built from a newer set than the caller's: start over
	}
	m := x.evaluate(old, set, channel)
	x.matches.put(channel, m)
	return m
}

// evaluate builds the entry of channel for set's generation from old (nil:
// none): it keeps old's live matches and matches the patterns added since.
func (x *Index) evaluate(old *channelMatches, set *patternSet, channel []byte) *channelMatches {
	var pats []*patternEntry
	from := 0
	if old != nil {
		for _, p := range old.pats {
			if !p.dead.Load() {
				pats = append(pats, p)
			}
		}
		from = sort.Search(len(set.list), func(i int) bool { return set.list[i].id > old.gen })
	}
	for _, p := range set.list[from:] {
		if x.match(stringBytes(p.name), channel) {
			pats = append(pats, p)
		}
	}
	return &channelMatches{gen: set.gen, pats: pats}
}

// publishPatternsLocked delivers a run to the visible pattern subscribers
// of channel, from its cached matches. An entry serves if it was built
// with every visible pattern (its generation is at least visibleGen, read
// under mu, which Reveal and Add hold), so no pattern revealed before the
// fan-out began is missed; otherwise fan-out brings it up to date itself.
// Called with mu read-locked.
func (x *Index) publishPatternsLocked(channel []byte, run *Run, f *Flusher) int {
	if x.visible == 0 {
		return 0
	}
	m := x.matches.get(channel)
	if m == nil || m.gen < x.visibleGen {
		x.fanoutMatches.Add(1)
		m = x.matchesFor(x.patternSet.Load(), channel)
	}
	n := 0
	for _, p := range m.pats {
		if p.dead.Load() || !p.visible.Load() {
			continue
		}
		pat := stringBytes(p.name)
		for _, s := range p.subs.subs {
			f.add(s, s.Deliver(KindPattern, pat, channel, run))
		}
		n += len(p.subs.subs)
	}
	return n
}

// HasPatterns reports whether any pattern has subscribers (hidden ones
// included).
func (x *Index) HasPatterns() bool { return len(x.patternSet.Load().list) > 0 }

// FanoutMatches returns how many times fan-out had to match patterns
// itself: a publish was in flight when a pattern was added or its
// channel's entry was evicted, or it was never prepared.
func (x *Index) FanoutMatches() uint64 { return x.fanoutMatches.Load() }

// MatchCacheStats returns the number of channels in the match cache and
// the bytes they are accounted for.
func (x *Index) MatchCacheStats() (entries, bytes int) { return x.matches.stats() }
