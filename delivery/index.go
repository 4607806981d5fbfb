package delivery

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Subscriber receives messages. Deliver and Flush are called from the
// fan-out goroutine and must not block: a subscriber buffers (boundedly) or
// drops itself.
type Subscriber interface {
	// Deliver hands over one message. pattern is nil for a channel
	// subscription. kind says which subscription matched. The slices are
	// valid only during the call. It reports whether the subscriber wants
	// Flush once the batch being delivered is over, so that a batch of
	// messages costs it one write, not one per message.
	Deliver(kind Kind, pattern, channel []byte, run *Run) (flush bool)
	// Flush starts sending what Deliver buffered.
	Flush()
}

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

// Message is what a subscriber receives: the entry's ID and fields.
type Message struct {
	ID     [2]uint64 // ms, seq
	Fields [][]byte
}

// Run is a sequence of messages published to one channel one after the
// other in a batch, which fan-out hands to each subscriber at once. It
// carries a small cache in which a front can keep an encoding of the whole
// run that is the same for many subscribers, so fan-out encodes it once.
type Run struct {
	Msgs []Message
	// Incarnation is the channel's incarnation the messages belong to: a
	// channel deleted and created again is a new one, whose IDs start
	// afresh (a resumable subscriber's cursor compares IDs within one).
	Incarnation uint64
	// Live: the messages are in no log (keyspace notifications). They
	// have no IDs, so a resumable subscriber's cursors do not move for
	// them and a resume does not send them again.
	Live bool

	cache    [4][]byte
	cacheBuf []byte
}

// Reset empties r, keeping its memory.
func (r *Run) Reset() {
	for i := range r.Msgs {
		r.Msgs[i].Fields = nil
	}
	r.Msgs = r.Msgs[:0]
	r.Live = false
	r.cache = [4][]byte{}
	r.cacheBuf = r.cacheBuf[:0]
}

// Add appends a message; fields must stay valid until Reset.
func (r *Run) Add(id [2]uint64, fields [][]byte) {
	if len(r.Msgs) < cap(r.Msgs) {
		r.Msgs = r.Msgs[:len(r.Msgs)+1]
	} else {
		r.Msgs = append(r.Msgs, Message{})
	}
	r.Msgs[len(r.Msgs)-1] = Message{ID: id, Fields: fields}
}

// Cached returns the run's encoding stored in slot (0..3), or nil.
func (r *Run) Cached(slot int) []byte { return r.cache[slot] }

// SetCached stores an encoding of the whole run in slot, copying enc.
func (r *Run) SetCached(slot int, enc []byte) {
	start := len(r.cacheBuf)
	r.cacheBuf = append(r.cacheBuf, enc...)
	r.cache[slot] = r.cacheBuf[start:len(r.cacheBuf):len(r.cacheBuf)]
}

// Kind is the namespace of a subscription, as in Redis: SUBSCRIBE and
// PSUBSCRIBE receive PUBLISH (and XADD); SSUBSCRIBE receives SPUBLISH.
type Kind uint8

const (
	KindChannel Kind = iota + 1
	KindPattern
	KindShard
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
