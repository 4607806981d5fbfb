package broker

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rewind-mq/rewind/delivery"
)

func openMemBroker(t *testing.T) *Broker {
	t.Helper()
	b, err := Open(Config{Dir: "data", FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func publishTo(b *Broker, channel, message string) (int, error) {
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.Spec.Auto, p.Tag = OpAppend, []byte(channel), true, TagPublish
	p.Fields = [][]byte{MessageField, []byte(message)}
	if err := b.Do(r); err != nil {
		return 0, err
	}
	return r.Result(0).Receivers, r.Result(0).Err
}

// payloads is a Subscriber that records the payloads delivered per pattern.
type payloads struct {
	mu  sync.Mutex
	got map[string]map[string]bool // pattern → payloads
}

func (s *payloads) Deliver(kind SubKind, pattern, channel []byte, run *Run) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.got == nil {
		s.got = make(map[string]map[string]bool)
	}
	m := s.got[string(pattern)]
	if m == nil {
		m = make(map[string]bool)
		s.got[string(pattern)] = m
	}
	for _, msg := range run.Msgs {
		m[string(msg.Fields[1])] = true
	}
	return false
}

func (s *payloads) Flush() {}

// TestPatternMatchDoesNotHoldOtherPublishes: while a pattern is being
// matched against one publish's (huge) channel name, held there by the
// test's matcher, an unrelated publish is committed and answered. Matching
// happens on the publisher's goroutine, not on the fan-out path every
// publish shares. (Before, the match ran in fan-out and the second publish
// waited for it: 14.7 s with a 3,000-byte pattern and a 1 MB name.)
func TestPatternMatchDoesNotHoldOtherPublishes(t *testing.T) {
	b := openMemBroker(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.index.SetMatcher(func(pattern, name []byte) bool {
		if len(name) > 1000 {
			once.Do(func() { close(started) })
			<-release
		}
		return delivery.Match(pattern, name)
	})
	sub := &payloads{}
	b.Subscribe(KindPattern, "*"+strings.Repeat("a", 3000)+"b", sub)
	b.Subscribe(KindPattern, "oth*", sub)
	bigDone := make(chan error, 1)
	go func() {
		_, err := publishTo(b, strings.Repeat("a", 4000), "big")
		bigDone <- err
	}()
	<-started
	otherDone := make(chan error, 1)
	go func() {
		n, err := publishTo(b, "other", "x")
		if err == nil && n != 1 {
			err = fmt.Errorf("PUBLISH other reached %d subscribers, want 1", n)
		}
		otherDone <- err
	}()
	select {
	case err := <-otherDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a hang detector, not a timing check
		close(release)
		t.Fatal("PUBLISH other x was not answered while a pattern was matched against another channel")
	}
	close(release)
	if err := <-bigDone; err != nil {
		t.Fatal(err)
	}
	if n, _, _ := b.PatternMatchStats(); n != 0 {
		t.Errorf("fan-out matched patterns %d times, want 0", n)
	}
}

// TestPatternSubscriberMissesNothingPublishedAfterSubscribe: publishers
// keep publishing while patterns are subscribed; each pattern receives
// every matching message whose publish started after its Subscribe
// returned, and fan-out never had to match a pattern itself (a pattern is
// revealed only once the publishes prepared without it are fanned out).
func TestPatternSubscriberMissesNothingPublishedAfterSubscribe(t *testing.T) {
	b := openMemBroker(t)
	const publishers, perPublisher, channels = 4, 150, 20
	var seq atomic.Int64
	var wg sync.WaitGroup
	published := make(chan struct{})
	errs := make(chan error, publishers)
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perPublisher {
				n := seq.Add(1)
				if _, err := publishTo(b, fmt.Sprintf("ch%d", n%channels), strconv.FormatInt(n, 10)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(published) }()
	type subscribed struct {
		pattern string
		after   int64
	}
	sub := &payloads{}
	var subs []subscribed
	for i := range 12 {
		pattern := fmt.Sprintf("ch%d*", i%10)
		if i >= 10 {
			pattern = fmt.Sprintf("ch?%d", i%10)
		}
		b.Subscribe(KindPattern, pattern, sub)
		subs = append(subs, subscribed{pattern, seq.Load()})
		waitForPublishes(seq.Load, int64(i+1)*40, published) // spread over the run
	}
	<-published
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, _, _ := b.PatternMatchStats(); n != 0 {
		t.Errorf("fan-out matched patterns %d times, want 0: a pattern was revealed before the publishes prepared without it were fanned out", n)
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for _, s := range subs {
		for n := s.after + 1; n <= publishers*perPublisher; n++ {
			ch := fmt.Sprintf("ch%d", n%channels)
			if delivery.MatchString(s.pattern, ch) && !sub.got[s.pattern][strconv.FormatInt(n, 10)] {
				t.Fatalf("pattern %s missed message %d on %s, published after its Subscribe returned", s.pattern, n, ch)
			}
		}
	}
}

// waitForPublishes yields until count() reaches n or done is closed.
func waitForPublishes(count func() int64, n int64, done <-chan struct{}) {
	for count() < n {
		select {
		case <-done:
			return
		default:
			runtime.Gosched()
		}
	}
}

// TestNewPatternConfirmedAfterPublishesInFlight: a PSUBSCRIBE to a new
// pattern is confirmed only once a publish that was being prepared
// without the pattern (held in the matcher here) is fanned out. The
// install is seen starting (it advances the prepare epoch) and then
// waiting, before the publish is let go.
func TestNewPatternConfirmedAfterPublishesInFlight(t *testing.T) {
	b := openMemBroker(t)
	held, release := make(chan struct{}), make(chan struct{})
	var holdOnce sync.Once
	b.index.SetMatcher(func(pattern, name []byte) bool {
		if string(name) == "held" {
			holdOnce.Do(func() { close(held); <-release })
		}
		return delivery.Match(pattern, name)
	})
	old := &payloads{}
	b.Subscribe(KindPattern, "h*", old)
	epoch := b.prep.epoch.Load()
	published := make(chan error, 1)
	go func() { _, err := publishTo(b, "held", "m"); published <- err }()
	<-held
	confirmed, subscribed := make(chan struct{}), make(chan struct{})
	fannedOutAtConfirm := false
	go func() {
		defer close(subscribed)
		b.SubscribeConfirming(KindPattern, "new*", &payloads{}, func() {
			old.mu.Lock()
			fannedOutAtConfirm = old.got["h*"]["m"]
			old.mu.Unlock()
			close(confirmed)
		})
	}()
	early := func() bool {
		select {
		case <-confirmed:
			return true
		default:
			return false
		}
	}
	for b.prep.epoch.Load() == epoch && !early() {
		runtime.Gosched()
	}
	if early() { // the install must wait for the held publish
		close(release)
		t.Fatal("the new pattern was confirmed while a publish prepared without it was in flight")
	}
	close(release)
	<-subscribed
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	if !fannedOutAtConfirm {
		t.Error("confirm ran before the publish in flight was fanned out")
	}
	if n, _, _ := b.PatternMatchStats(); n != 0 {
		t.Errorf("fan-out matched patterns %d times, want 0", n)
	}
}

// TestNotifyChannelsPrepared: the channels of a notifier's notices that are
// a key prefix plus the command's channel are prepared by Submit, so
// fan-out matches no pattern for them either, and they are delivered.
func TestNotifyChannelsPrepared(t *testing.T) {
	b := openMemBroker(t)
	sub := &payloads{}
	b.Subscribe(KindPattern, "ks:*", sub)
	b.SetNotifier(func(_ OpKind, channel []byte, _ *Result, n *Notices) { n.Add("ks:", channel, []byte("xadd")) }, "ks:")
	for _, ch := range []string{"a", "b", "a"} {
		r := NewRequest()
		p := r.Add()
		p.Kind, p.Channel, p.Spec.Auto, p.Tag = OpAppend, []byte(ch), true, TagNotify
		p.Fields = [][]byte{MessageField, []byte("m")}
		if err := b.Do(r); err != nil || r.Result(0).Err != nil {
			t.Fatal(err, r.Result(0).Err)
		}
	}
	if n, _, _ := b.PatternMatchStats(); n != 0 {
		t.Errorf("fan-out matched patterns %d times, want 0", n)
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.got["ks:*"]["xadd"] {
		t.Errorf("notices not delivered to ks:*: %v", sub.got)
	}
}
