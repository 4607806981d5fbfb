package delivery

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// recorder is a Subscriber that records, per pattern (or "" for a channel
// subscription), the channels and message IDs delivered to it.
type recorder struct {
	mu  sync.Mutex
	got map[string][]string // pattern → "channel#ms"
}

func newRecorder() *recorder { return &recorder{got: make(map[string][]string)} }

func (r *recorder) Deliver(kind Kind, pattern, channel []byte, run *Run) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range run.Msgs {
		r.got[string(pattern)] = append(r.got[string(pattern)], fmt.Sprintf("%s#%d", channel, m.ID[0]))
	}
	return false
}

func (r *recorder) Flush() {}

func (r *recorder) take() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = make(map[string][]string)
	return got
}

// countingMatcher counts the calls of the glob matcher per (pattern, name).
type countingMatcher struct {
	mu    sync.Mutex
	calls map[[2]string]int
}

func (c *countingMatcher) match(pattern, name []byte) bool {
	c.mu.Lock()
	c.calls[[2]string{string(pattern), string(name)}]++
	c.mu.Unlock()
	return Match(pattern, name)
}

func publishOne(x *Index, channel string, ms uint64) int {
	var run Run
	run.Add([2]uint64{ms, 0}, nil)
	var f Flusher
	n := x.Publish(KindChannel, []byte(channel), &run, &f)
	f.Flush()
	return n
}

// TestPatternMatchedOncePerChannel: each (pattern, channel) pair is matched
// once, by Prepare, however often the channel is published to; fan-out
// matches nothing; a pattern added later is matched once against a channel
// at its next publish, and the others are not matched again.
func TestPatternMatchedOncePerChannel(t *testing.T) {
	x := NewIndex()
	cm := &countingMatcher{calls: make(map[[2]string]int)}
	x.SetMatcher(cm.match)
	rec := newRecorder()
	x.Add(KindPattern, "news.*", rec)
	x.Add(KindPattern, "*.sport", rec)
	for i := range 5 {
		for _, ch := range []string{"news.sport", "weather"} {
			x.Prepare([]byte(ch))
			publishOne(x, ch, uint64(i))
		}
	}
	x.Add(KindPattern, "w*", rec)
	for i := range 3 {
		x.Prepare([]byte("weather"))
		publishOne(x, "weather", uint64(10+i))
	}
	for pair, n := range cm.calls {
		if n != 1 {
			t.Errorf("Match%q called %d times, want once", pair, n)
		}
	}
	if len(cm.calls) != 5 { // 2 patterns × 2 channels + w* × weather
		t.Errorf("%d (pattern, channel) pairs matched, want 5: %v", len(cm.calls), cm.calls)
	}
	if n := x.FanoutMatches(); n != 0 {
		t.Errorf("fan-out matched %d times, want 0 (every publish was prepared)", n)
	}
	got := rec.take()
	if len(got["news.*"]) != 5 || len(got["*.sport"]) != 5 || len(got["w*"]) != 3 {
		t.Errorf("deliveries: %v", got)
	}
}

// TestUnpreparedPublishMatchesOnFanout: a publish nobody prepared (or whose
// entry went stale) is still delivered to every matching pattern.
func TestUnpreparedPublishMatchesOnFanout(t *testing.T) {
	x := NewIndex()
	rec := newRecorder()
	x.Add(KindPattern, "a*", rec)
	x.Prepare([]byte("abc"))
	x.Add(KindPattern, "*c", rec) // added while "abc" is in flight
	if n := publishOne(x, "abc", 1); n != 2 {
		t.Errorf("receivers %d, want 2", n)
	}
	if x.FanoutMatches() != 1 {
		t.Errorf("fan-out matches %d, want 1", x.FanoutMatches())
	}
	if n := publishOne(x, "abc", 2); n != 2 || x.FanoutMatches() != 1 {
		t.Errorf("second publish: receivers %d, fan-out matches %d; want 2, 1", n, x.FanoutMatches())
	}
}

// TestPatternRemovedAndAddedAgain: a pattern that lost its subscribers is
// not delivered to from stale cache entries; subscribed again, it is.
func TestPatternRemovedAndAddedAgain(t *testing.T) {
	x := NewIndex()
	a, b := newRecorder(), newRecorder()
	x.Add(KindPattern, "n*", a)
	x.Add(KindPattern, "*s", b)
	x.Prepare([]byte("news"))
	x.Remove(KindPattern, "n*", a)
	if n := publishOne(x, "news", 1); n != 1 {
		t.Errorf("receivers %d, want 1 after n* was removed", n)
	}
	x.Add(KindPattern, "n*", b)
	x.Prepare([]byte("news"))
	if n := publishOne(x, "news", 2); n != 2 {
		t.Errorf("receivers %d, want 2 after n* was added again", n)
	}
	if got := a.take(); len(got) != 0 {
		t.Errorf("removed subscriber got %v", got)
	}
	x.Remove(KindPattern, "n*", b)
	x.Remove(KindPattern, "*s", b)
	if entries, bytes := x.MatchCacheStats(); entries != 0 || bytes != 0 {
		t.Errorf("cache holds %d entries, %d bytes after the last pattern left", entries, bytes)
	}
}

// TestMatchCacheBounded: with more channels than the budget holds, the
// cache stays within it and deliveries stay right.
func TestMatchCacheBounded(t *testing.T) {
	const budget = 10 << 10
	x := NewIndexSize(budget)
	rec := newRecorder()
	x.Add(KindPattern, "ch.1*", rec)
	for i := range 2000 {
		ch := fmt.Sprintf("ch.%d", i)
		x.Prepare([]byte(ch))
		publishOne(x, ch, uint64(i))
		if _, bytes := x.MatchCacheStats(); bytes > budget {
			t.Fatalf("cache holds %d bytes, budget %d", bytes, budget)
		}
	}
	entries, _ := x.MatchCacheStats()
	if entries == 0 || entries >= 2000 {
		t.Errorf("cache holds %d entries; want some, not all", entries)
	}
	want := 0
	for i := range 2000 {
		if MatchString("ch.1*", fmt.Sprintf("ch.%d", i)) {
			want++
		}
	}
	if got := len(rec.take()["ch.1*"]); got != want {
		t.Errorf("pattern got %d messages, want %d", got, want)
	}
}

// TestPublishWithPatternsDoesNotAllocate: fan-out of a prepared channel
// with pattern subscribers allocates nothing.
func TestPublishWithPatternsDoesNotAllocate(t *testing.T) {
	x := NewIndex()
	x.Add(KindPattern, "news.*", nopSubscriber{})
	x.Add(KindPattern, "*.[a-z]*", nopSubscriber{})
	x.Add(KindPattern, "other", nopSubscriber{})
	channel := []byte("news.sport")
	x.Prepare(channel)
	var run Run
	run.Add([2]uint64{1, 0}, nil)
	var f Flusher
	if n := testing.AllocsPerRun(100, func() { x.Publish(KindChannel, channel, &run, &f) }); n != 0 {
		t.Errorf("Publish allocated %v times per run, want 0", n)
	}
}

type nopSubscriber struct{}

func (nopSubscriber) Deliver(Kind, []byte, []byte, *Run) bool { return false }
func (nopSubscriber) Flush()                                  {}

// TestPatternAddedWhilePublishing: a pattern subscriber receives every
// message whose publish began after its Add returned, while patterns are
// added and removed and messages are prepared on one goroutine and fanned
// out on another, as in the broker.
func TestPatternAddedWhilePublishing(t *testing.T) {
	x := NewIndexSize(4 << 10) // small: evictions too
	const messages, patterns = 3000, 40
	var seq atomic.Uint64
	inflight := make(chan [2]uint64, 16) // channel number, seq
	done := make(chan struct{})
	go func() { // the publisher: numbers and prepares
		defer close(inflight)
		for i := 0; i < messages; i++ {
			s := seq.Add(1)
			x.Prepare(fmt.Appendf(nil, "c%d", i%50))
			inflight <- [2]uint64{uint64(i % 50), s}
		}
	}()
	go func() { // fan-out
		defer close(done)
		for m := range inflight {
			publishOne(x, fmt.Sprintf("c%d", m[0]), m[1])
		}
	}()
	type sub struct {
		rec     *recorder
		pattern string
		after   uint64
	}
	var subs []sub
	for i := range patterns {
		s := sub{rec: newRecorder(), pattern: fmt.Sprintf("c%d*", i%10)}
		x.Add(KindPattern, s.pattern, s.rec)
		s.after = seq.Load()
		subs = append(subs, s)
		if i%3 == 0 {
			x.Remove(KindPattern, "nobody", s.rec)
			x.Add(KindPattern, fmt.Sprintf("tmp%d", i), s.rec)
			x.Remove(KindPattern, fmt.Sprintf("tmp%d", i), s.rec)
		}
	}
	<-done
	for _, s := range subs {
		got := map[uint64]bool{}
		for _, d := range s.rec.take()[s.pattern] {
			var ch, ms uint64
			fmt.Sscanf(d, "c%d#%d", &ch, &ms)
			got[ms] = true
		}
		for n := s.after + 1; n <= messages; n++ {
			ch := fmt.Sprintf("c%d", (n-1)%50)
			if MatchString(s.pattern, ch) && !got[n] {
				t.Fatalf("pattern %s missed message %d on %s, published after its Add", s.pattern, n, ch)
			}
		}
	}
}

// FuzzIndexMatchesDirect runs random sequences of pattern adds and
// removes, prepares and publishes against a small cache, and checks every
// publish's receivers against direct matching of every live pattern.
func FuzzIndexMatchesDirect(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(seed, uint16(300))
	}
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16) {
		checkIndexAgainstDirect(t, rand.New(rand.NewPCG(seed, seed>>7)), int(steps)%2000)
	})
}

// TestIndexMatchesDirect is the fuzz target's property over more seeds.
func TestIndexMatchesDirect(t *testing.T) {
	for seed := range uint64(30) {
		checkIndexAgainstDirect(t, rand.New(rand.NewPCG(seed, 99)), 400)
	}
}

func checkIndexAgainstDirect(t *testing.T, rnd *rand.Rand, steps int) {
	pats := []string{"*", "a*", "*b", "a?c", "[ab]*", "[^a]*", "a\\*", "*a*b*", "abc", "??", "b[a-c]a"}
	chans := []string{"a", "b", "ab", "abc", "a*", "bca", "bba", "cab", "aXb", "xyz"}
	x := NewIndexSize(600) // a few entries: evictions happen
	subs := map[string]*recorder{}
	for range steps {
		switch p := pats[rnd.IntN(len(pats))]; rnd.IntN(5) {
		case 0:
			if subs[p] == nil {
				subs[p] = newRecorder()
				x.Add(KindPattern, p, subs[p])
			}
		case 1:
			if subs[p] != nil {
				x.Remove(KindPattern, p, subs[p])
				delete(subs, p)
			}
		case 2:
			x.Prepare([]byte(chans[rnd.IntN(len(chans))]))
		default:
			ch := chans[rnd.IntN(len(chans))]
			if rnd.IntN(2) == 0 {
				x.Prepare([]byte(ch))
			}
			n := publishOne(x, ch, 1)
			var want []string
			for p := range subs {
				if MatchString(p, ch) {
					want = append(want, p)
				}
			}
			var got []string
			for p, r := range subs {
				if len(r.take()[p]) > 0 {
					got = append(got, p)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if n != len(want) || !slices.Equal(got, want) {
				t.Fatalf("publish to %q reached %v (count %d), direct matching says %v", ch, got, n, want)
			}
		}
	}
}

// TestHiddenPattern: a pattern AddPattern installs is matched by Prepare
// but not delivered to until Reveal; then fan-out delivers to it from the
// prepared entry without matching.
func TestHiddenPattern(t *testing.T) {
	x := NewIndex()
	rec := newRecorder()
	if added, hidden := x.AddPattern("n*", rec); !added || !hidden {
		t.Fatalf("AddPattern: added %v, hidden %v; want both", added, hidden)
	}
	x.Prepare([]byte("news"))
	if n := publishOne(x, "news", 1); n != 0 {
		t.Errorf("receivers %d before Reveal, want 0", n)
	}
	x.Reveal("n*")
	if added, hidden := x.AddPattern("n*", newRecorder()); !added || hidden {
		t.Errorf("second AddPattern: added %v, hidden %v; want added, visible", added, hidden)
	}
	if n := publishOne(x, "news", 2); n != 2 {
		t.Errorf("receivers %d after Reveal, want 2", n)
	}
	if x.FanoutMatches() != 0 {
		t.Errorf("fan-out matched %d times, want 0", x.FanoutMatches())
	}
	if got := rec.take()["n*"]; !slices.Equal(got, []string{"news#2"}) {
		t.Errorf("delivered %v, want [news#2]", got)
	}
}
