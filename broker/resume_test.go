package broker

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// memoryClient is a front whose client is in memory: every message queued
// for it is recorded in order (got), and it has a message once it is
// acknowledged (ack), or at once with autoAck, as a front whose transport
// cannot tell. It implements ResumeFront and Subscriber as a socket front
// does: live delivery asks its Resume under the same lock the catch-up
// queues under.
type memoryClient struct {
	b       *Broker
	name    string
	autoAck bool
	resume  *Resume
	subs    []subscription

	writing []received // encoded by WriteEntry, not queued yet (the subscribing goroutine's)

	mu      sync.Mutex
	got     []received                 // queued for the client, in order
	pending map[*ResumeCursor]Position // queued, not acknowledged yet
}

type subscription struct {
	kind SubKind
	name string
}

// received is a message as the client sees it.
type received struct {
	pattern, channel, payload string
	at                        Position
}

func (r received) String() string {
	return fmt.Sprintf("%s/%s %s@%d:%v", r.pattern, r.channel, r.payload, r.at.Incarnation, r.at.ID)
}

func newMemoryClient(b *Broker, name string) *memoryClient {
	c := &memoryClient{b: b, name: name, autoAck: true, pending: make(map[*ResumeCursor]Position)}
	c.resume = b.NewResume(c)
	return c
}

func (c *memoryClient) Lock()              { c.mu.Lock() }
func (c *memoryClient) Unlock()            { c.mu.Unlock() }
func (c *memoryClient) ResumeName() string { return c.name }

func (c *memoryClient) WriteEntry(pattern, channel []byte, e *Entry) {
	c.writing = append(c.writing, received{string(pattern), string(channel), string(e.Fields[1]), Position{e.Incarnation, e.ID}})
}

func (c *memoryClient) CommitLocked(bool) {
	c.got = append(c.got, c.writing...)
	c.writing = c.writing[:0]
}

// Flush and WriteQueued have nothing to write: what is queued is in got.
func (c *memoryClient) Flush()       {}
func (c *memoryClient) WriteQueued() {}

func (c *memoryClient) PendingLocked(cur *ResumeCursor, to Position) {
	c.pending[cur] = to
	if c.autoAck {
		c.ackLocked()
	}
}

func (c *memoryClient) AckedLocked() {}

func (c *memoryClient) ForgetLocked(cur *ResumeCursor) {
	cur.ClientHasLocked(cur.LastQueuedLocked())
	delete(c.pending, cur)
}

// ack reports that the client has everything queued so far.
func (c *memoryClient) ack() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ackLocked()
}

func (c *memoryClient) ackLocked() {
	for cur, p := range c.pending {
		cur.ClientHasLocked(p)
	}
	clear(c.pending)
}

func (c *memoryClient) Deliver(kind SubKind, pattern, channel []byte, run *Run) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range run.Msgs {
		msg := &run.Msgs[i]
		at := Position{run.Incarnation, ID{Ms: msg.ID[0], Seq: msg.ID[1]}}
		var cur *ResumeCursor
		send := true
		switch kind {
		case KindChannel:
			cur, send = c.resume.LiveChannelLocked(channel, at.Incarnation, at.ID)
		case KindPattern:
			cur, send = c.resume.LivePatternLocked(pattern, channel, at.Incarnation, at.ID)
		}
		if !send {
			continue
		}
		c.got = append(c.got, received{string(pattern), string(channel), string(msg.Fields[1]), at})
		if cur != nil {
			c.resume.QueuedLocked(cur, at)
		}
	}
	return false
}

// subscribe subscribes as a front does: track, register, catch up.
func (c *memoryClient) subscribe(kind SubKind, name string) {
	var cur *ResumeCursor
	var resume bool
	if kind == KindChannel {
		cur, resume = c.resume.TrackChannel(name)
	} else {
		resume = c.resume.TrackPattern(name)
	}
	c.b.Subscribe(kind, name, c)
	c.subs = append(c.subs, subscription{kind, name})
	switch {
	case resume && kind == KindChannel:
		c.resume.CatchUpChannel([]byte(name), cur)
	case resume:
		c.resume.CatchUpPattern([]byte(name))
	}
}

// disconnect ends every subscription, then saves the cursors.
func (c *memoryClient) disconnect() {
	for _, s := range c.subs {
		c.b.Unsubscribe(s.kind, s.name, c)
	}
	c.resume.Close()
}

// positions returns the positions of the messages the client got.
func (c *memoryClient) positions() []Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ps []Position
	for _, r := range c.got {
		ps = append(ps, r.at)
	}
	return ps
}

// payloads returns the payloads the client got.
func (c *memoryClient) payloads() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ps []string
	for _, r := range c.got {
		ps = append(ps, r.payload)
	}
	return ps
}

func openDiskBroker(t *testing.T) *Broker {
	t.Helper()
	b, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func mustPublish(t testing.TB, b *Broker, channel string, messages ...string) {
	t.Helper()
	for _, m := range messages {
		if _, err := publishTo(b, channel, m); err != nil {
			t.Fatal(err)
		}
	}
}

// appendAt appends message to channel at id (creating the channel).
func appendAt(t *testing.T, b *Broker, channel string, id ID, message string) {
	t.Helper()
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.Spec.ID, p.Tag = OpAppend, []byte(channel), id, TagPublish
	p.Fields = [][]byte{MessageField, []byte(message)}
	if err := b.Do(r); err != nil {
		t.Fatal(err)
	}
	if err := r.Result(0).Err; err != nil {
		t.Fatal(err)
	}
}

func drop(t *testing.T, b *Broker, channel string) {
	t.Helper()
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel = OpDrop, []byte(channel)
	if err := b.Do(r); err != nil {
		t.Fatal(err)
	}
}

func expectPayloads(t *testing.T, c *memoryClient, want ...string) {
	t.Helper()
	if got := c.payloads(); !slices.Equal(got, want) {
		t.Fatalf("%s got %q, want %q", c.name, got, want)
	}
}

// TestResumeAfterDisconnect: a name's first subscription gets live
// messages only; after a disconnect, the name subscribing again gets
// exactly the entries after its cursor, then live ones.
func TestResumeAfterDisconnect(t *testing.T) {
	b := openDiskBroker(t)
	mustPublish(t, b, "news", "before")
	first := newMemoryClient(b, "alice")
	first.subscribe(KindChannel, "news")
	mustPublish(t, b, "news", "1", "2")
	expectPayloads(t, first, "1", "2")
	first.disconnect()

	mustPublish(t, b, "news", "3", "4")
	again := newMemoryClient(b, "alice")
	again.subscribe(KindChannel, "news")
	expectPayloads(t, again, "3", "4")
	mustPublish(t, b, "news", "5")
	expectPayloads(t, again, "3", "4", "5")

	other := newMemoryClient(b, "bob")
	other.subscribe(KindChannel, "news")
	mustPublish(t, b, "news", "6")
	expectPayloads(t, other, "6")
}

// TestResumeResendsWhatTheClientDidNotHave: messages queued but never
// reported as had (the client's transport did not acknowledge them) are
// sent again on a resume; those it had are not.
func TestResumeResendsWhatTheClientDidNotHave(t *testing.T) {
	b := openDiskBroker(t)
	first := newMemoryClient(b, "alice")
	first.autoAck = false
	first.subscribe(KindChannel, "news")
	mustPublish(t, b, "news", "1", "2")
	first.ack()
	mustPublish(t, b, "news", "3", "4")
	expectPayloads(t, first, "1", "2", "3", "4")
	first.disconnect()

	again := newMemoryClient(b, "alice")
	again.subscribe(KindChannel, "news")
	mustPublish(t, b, "news", "5")
	expectPayloads(t, again, "3", "4", "5")
}

// TestForgetSavesWhatWasQueued: an unsubscribe saves the cursor at what
// was queued before it, so the next subscription starts after it.
func TestForgetSavesWhatWasQueued(t *testing.T) {
	b := openDiskBroker(t)
	c := newMemoryClient(b, "alice")
	c.autoAck = false
	c.subscribe(KindChannel, "news")
	mustPublish(t, b, "news", "1", "2")
	b.Unsubscribe(KindChannel, "news", c)
	c.resume.ForgetChannel("news")
	mustPublish(t, b, "news", "3")
	pos, ok, err := b.CursorOf([]byte("alice"), []byte("news"))
	if err != nil || !ok {
		t.Fatalf("cursor after unsubscribe: %v, %v", ok, err)
	}
	m, _ := b.Meta([]byte("news"))
	c.mu.Lock()
	second := c.got[1].at
	c.mu.Unlock()
	if pos.ID != second.ID || pos.Incarnation != m.Incarnation {
		t.Fatalf("cursor %+v, want %v of incarnation %d", pos, second.ID, m.Incarnation)
	}
	c.subs = nil
	c.subscribe(KindChannel, "news")
	expectPayloads(t, c, "1", "2", "3")
}

// TestResumeSeamUnderConcurrentPublishing: while publishers append
// batches without pause, a name disconnects and resumes again and again,
// each time after more was published; every session starts right after
// the one before it, so together they got every entry of the log once, in
// order: no gap and no duplicate at any seam.
func TestResumeSeamUnderConcurrentPublishing(t *testing.T) {
	b := openDiskBroker(t)
	const publishers, batches, perBatch, rounds = 4, 100, 20, 60
	c := newMemoryClient(b, "alice")
	c.subscribe(KindChannel, "seam")
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for g := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- publishBatches(b, "seam", g, batches, perBatch)
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	var all []Position
	for range rounds {
		waitPublished(b, "seam", 50, finished)
		c.disconnect()
		all = append(all, c.positions()...)
		waitPublished(b, "seam", 50, finished)
		c = newMemoryClient(b, "alice")
		c.subscribe(KindChannel, "seam")
	}
	<-finished
	for range publishers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	all = append(all, c.positions()...)
	var logged []Position
	if _, err := b.Range([]byte("seam"), RangeQuery{End: MaxID}, func(e *Entry) error {
		logged = append(logged, Position{e.Incarnation, e.ID})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(logged) != publishers*batches*perBatch {
		t.Fatalf("the log holds %d entries, want %d", len(logged), publishers*batches*perBatch)
	}
	for i := range max(len(all), len(logged)) {
		if i >= len(all) || i >= len(logged) || all[i] != logged[i] {
			t.Fatalf("the sessions got %d messages, the log holds %d; they differ first at %d: a gap or a duplicate at a seam", len(all), len(logged), i)
		}
	}
}

// publishBatches appends batches of perBatch messages to channel, each
// batch one request.
func publishBatches(b *Broker, channel string, publisher, batches, perBatch int) error {
	r := NewRequest()
	for i := range batches {
		r.Reset()
		for k := range perBatch {
			p := r.Add()
			p.Kind, p.Channel, p.Spec.Auto, p.Tag = OpAppend, []byte(channel), true, TagPublish
			p.Fields = [][]byte{MessageField, fmt.Appendf(nil, "%d-%d-%d", publisher, i, k)}
		}
		if err := b.Do(r); err != nil {
			return err
		}
		for k := range perBatch {
			if err := r.Result(k).Err; err != nil {
				return err
			}
		}
	}
	return nil
}

// waitPublished waits until channel holds n more entries, or finished is
// closed.
func waitPublished(b *Broker, channel string, n uint64, finished <-chan struct{}) {
	m, _ := b.Meta([]byte(channel))
	for {
		select {
		case <-finished:
			return
		default:
		}
		if now, _ := b.Meta([]byte(channel)); now.EntriesAdded >= m.EntriesAdded+n {
			return
		}
		runtime.Gosched()
	}
}

// TestResumeAfterRecreateStartsOver: a cursor of an earlier incarnation
// resumes from the start of the current one, whose IDs are lower, and a
// live message of a later incarnation goes out whatever its ID.
func TestResumeAfterRecreateStartsOver(t *testing.T) {
	b := openDiskBroker(t)
	c := newMemoryClient(b, "alice")
	c.subscribe(KindChannel, "inc")
	c.subscribe(KindPattern, "in*")
	appendAt(t, b, "inc", ID{Ms: 1000}, "old")
	c.disconnect()

	drop(t, b, "inc")
	appendAt(t, b, "inc", ID{Ms: 5}, "new1")
	appendAt(t, b, "inc", ID{Ms: 6}, "new2")
	again := newMemoryClient(b, "alice")
	again.subscribe(KindChannel, "inc")
	again.subscribe(KindPattern, "in*")
	expectPayloads(t, again, "new1", "new2", "new1", "new2")

	drop(t, b, "inc")
	appendAt(t, b, "inc", ID{Ms: 1}, "newer")
	expectPayloads(t, again, "new1", "new2", "new1", "new2", "newer", "newer")
}

// TestPatternResumeInNameOrder: a pattern resume catches up every
// matching channel, channel by channel in name order — after its cursor
// for a channel it had, from the start for one that appeared meanwhile —
// then goes live.
func TestPatternResumeInNameOrder(t *testing.T) {
	b := openDiskBroker(t)
	mustPublish(t, b, "p.b", "b0")
	c := newMemoryClient(b, "alice")
	c.subscribe(KindPattern, "p.*")
	mustPublish(t, b, "p.b", "b1")
	expectPayloads(t, c, "b1")
	c.disconnect()

	mustPublish(t, b, "p.c", "c1")
	mustPublish(t, b, "p.b", "b2")
	mustPublish(t, b, "p.a", "a1")
	mustPublish(t, b, "p.c", "c2")
	mustPublish(t, b, "q.a", "other")
	again := newMemoryClient(b, "alice")
	again.subscribe(KindPattern, "p.*")
	mustPublish(t, b, "p.a", "a2")
	expectPayloads(t, again, "a1", "b2", "c1", "c2", "a2")
	again.mu.Lock()
	defer again.mu.Unlock()
	for _, r := range again.got {
		if r.pattern != "p.*" {
			t.Fatalf("%v: want pattern p.*", r)
		}
	}
}
