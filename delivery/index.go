package delivery

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/rewind-mq/rewind/internal/fanout"
)

// Subscriber receives messages (fanout.Subscriber: fronts implement it
// through broker, and the index stores it as they made it).
type Subscriber = fanout.Subscriber

// Flusher collects the subscribers to flush at the end of a batch.
type Flusher struct{ subs []Subscriber }

// add records s when its Deliver asked for a flush.
func (f *Flusher) add(s Subscriber, flush bool) {
	if flush {
		f.subs = append(f.subs, s)
	}
}

// Flush flushes every subscriber collected since the last Flush.
func (f *Flusher) Flush() {
	for i, s := range f.subs {
		s.Flush()
		f.subs[i] = nil
	}
	f.subs = f.subs[:0]
}

// What a subscriber is handed (package fanout).
type (
	Message = fanout.Message
	Run     = fanout.Run
	Kind    = fanout.Kind
)

// The namespaces of subscriptions.
const (
	KindChannel = fanout.KindChannel
	KindPattern = fanout.KindPattern
	KindShard   = fanout.KindShard
)

// Index maps channels and patterns to subscribers. It is safe for
// concurrent use; Deliver may run concurrently with (un)subscribes.
// Which patterns match a channel is cached (patterns.go), so fan-out does
// not match patterns itself unless a publish was not prepared.
type Index struct {
	mu       sync.RWMutex
	channels map[string]*subList      // guarded by mu
	shards   map[string]*subList      // guarded by mu
	patterns map[string]*patternEntry // guarded by mu
	lastID   uint64                   // guarded by mu: the newest pattern's id
	// visibleGen is the newest id of a pattern fan-out delivers to, and
	// visible the number of live such patterns. Guarded by mu.
	visibleGen uint64
	visible    int

	patternSet    atomic.Pointer[patternSet] // replaced under mu
	matches       *matchCache
	match         func(pattern, name []byte) bool
	fanoutMatches atomic.Uint64
}

type subList struct {
	subs []Subscriber
	pos  map[Subscriber]int
}

func (s *subList) add(sub Subscriber) bool {
	if _, ok := s.pos[sub]; ok {
		return false
	}
	s.pos[sub] = len(s.subs)
	s.subs = append(s.subs, sub)
	return true
}

func (s *subList) remove(sub Subscriber) bool {
	i, ok := s.pos[sub]
	if !ok {
		return false
	}
	last := len(s.subs) - 1
	s.subs[i] = s.subs[last]
	s.pos[s.subs[i]] = i
	s.subs[last] = nil
	s.subs = s.subs[:last]
	delete(s.pos, sub)
	return true
}

// NewIndex returns an empty index whose match cache holds at most
// DefaultMatchCacheBytes.
func NewIndex() *Index { return NewIndexSize(DefaultMatchCacheBytes) }

// NewIndexSize returns an empty index whose match cache holds at most
// matchCacheBytes.
func NewIndexSize(matchCacheBytes int) *Index {
	x := &Index{
		channels: make(map[string]*subList),
		shards:   make(map[string]*subList),
		patterns: make(map[string]*patternEntry),
		matches:  newMatchCache(matchCacheBytes),
		match:    Match,
	}
	x.patternSet.Store(&patternSet{})
	return x
}

// SetMatcher replaces the glob matcher (tests use it to count or to hold
// matches). Call it before the index is used.
func (x *Index) SetMatcher(match func(pattern, name []byte) bool) { x.match = match }

func (x *Index) table(kind Kind) map[string]*subList {
	switch kind {
	case KindChannel:
		return x.channels
	case KindShard:
		return x.shards
	}
	panic("delivery: unknown subscription kind")
}

// Add subscribes sub to name (a channel or, for KindPattern, a pattern). It
// reports whether the subscription is new. Once it returns, every fan-out
// that starts considers the subscription.
func (x *Index) Add(kind Kind, name string, sub Subscriber) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if kind == KindPattern {
		added, _ := x.addPatternLocked(name, sub)
		x.revealLocked(name)
		return added
	}
	t := x.table(kind)
	l := t[name]
	if l == nil {
		l = &subList{pos: make(map[Subscriber]int, 1)}
		t[name] = l
	}
	return l.add(sub)
}

// Remove unsubscribes sub from name and reports whether it was subscribed.
func (x *Index) Remove(kind Kind, name string, sub Subscriber) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if kind == KindPattern {
		return x.removePatternLocked(name, sub)
	}
	t := x.table(kind)
	l := t[name]
	if l == nil || !l.remove(sub) {
		return false
	}
	if len(l.subs) == 0 {
		delete(t, name)
	}
	return true
}

// Publish delivers a run of messages on channel to every matching
// subscriber of the namespace (KindChannel covers channel and pattern
// subscribers; KindShard covers shard subscribers) and returns to how many
// subscriptions each message went, counted as Redis counts PUBLISH
// receivers. Subscribers that ask for a flush are
// added to f: call f.Flush once the batch is delivered.
func (x *Index) Publish(kind Kind, channel []byte, run *Run, f *Flusher) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := 0
	if kind == KindShard {
		if l := x.shards[string(channel)]; l != nil {
			for _, s := range l.subs {
				f.add(s, s.Deliver(KindShard, nil, channel, run))
			}
			n += len(l.subs)
		}
		return n
	}
	if l := x.channels[string(channel)]; l != nil {
		for _, s := range l.subs {
			f.add(s, s.Deliver(KindChannel, nil, channel, run))
		}
		n += len(l.subs)
	}
	return n + x.publishPatternsLocked(channel, run, f)
}

// Count returns the number of subscribers of name in a namespace.
func (x *Index) Count(kind Kind, name string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if kind == KindPattern {
		if p := x.patterns[name]; p != nil {
			return len(p.subs.subs)
		}
		return 0
	}
	if l := x.table(kind)[name]; l != nil {
		return len(l.subs)
	}
	return 0
}

// Len returns the number of distinct names (channels or patterns) with at
// least one subscriber in a namespace.
func (x *Index) Len(kind Kind) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if kind == KindPattern {
		return len(x.patterns)
	}
	return len(x.table(kind))
}

// Names returns the names with subscribers in a namespace that match
// pattern (all when pattern is empty), sorted. The names are copied under
// the lock and matched after it, so a costly pattern delays nobody else.
func (x *Index) Names(kind Kind, pattern []byte) []string {
	x.mu.RLock()
	var all []string
	if kind == KindPattern {
		all = make([]string, 0, len(x.patterns))
		for name := range x.patterns {
			all = append(all, name)
		}
	} else {
		all = make([]string, 0, len(x.table(kind)))
		for name := range x.table(kind) {
			all = append(all, name)
		}
	}
	x.mu.RUnlock()
	out := all[:0]
	for _, name := range all {
		if len(pattern) == 0 || Match(pattern, stringBytes(name)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
