package resp

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// TestResumableSubscriber: a named subscriber disconnects, 10,000 messages
// are published (and the server restarts), it reconnects with the same
// name: it gets all 10,000 in order, then the live ones published while it
// was catching up, with no gap and no duplicate at the seam. An unnamed
// client and a name subscribing for the first time get Redis's behaviour.
func TestResumableSubscriber(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "app-*" })
	ctx := keysCtx(t)
	pub := ts.client(2)
	publish := func(from, to int) {
		pipe := pub.Pipeline()
		for i := from; i < to; i++ {
			pipe.Publish(ctx, "news", strconv.Itoa(i))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Error(err)
		}
	}
	subscribe := func(name string) *redis.PubSub {
		c := redis.NewClient(&redis.Options{Addr: ts.addr, ClientName: name})
		t.Cleanup(func() { c.Close() })
		ps := c.Subscribe(ctx, "news")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		return ps
	}
	expect := func(ps *redis.PubSub, from, to int) {
		t.Helper()
		ch := ps.Channel(redis.WithChannelSize(20000))
		for want := from; want < to; want++ {
			select {
			case m := <-ch:
				if m.Payload != strconv.Itoa(want) {
					t.Fatalf("got message %q, want %d", m.Payload, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("timed out waiting for message %d", want)
			}
		}
	}
	alice := subscribe("app-alice")
	publish(0, 5)
	expect(alice, 0, 5)
	alice.Close()
	waitUntil(t, "alice's cursor saved", func() bool {
		id, ok, _ := ts.b.CursorOf([]byte("app-alice"), []byte("news"))
		return ok && id.ID.Seq == 4
	})

	publish(5, 10005)
	ts.restart()
	pub = ts.client(2)

	unnamed := subscribe("")
	first := subscribe("app-bob")
	other := subscribe("worker") // a name that does not match app-*
	live := make(chan struct{})
	go func() { defer close(live); publish(10005, 11005) }()
	alice = subscribe("app-alice")
	<-live
	expect(alice, 5, 11005)
	for _, ps := range []*redis.PubSub{unnamed, first, other} {
		got, err := ps.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(got.(*redis.Message).Payload); n < 10005 {
			t.Fatalf("a client without a cursor got %d, an old message", n)
		}
	}
	publish(11005, 11010)
	expect(alice, 11005, 11010)
	select {
	case m := <-alice.Channel(redis.WithChannelSize(20000)):
		t.Fatalf("alice got %q after the last message", m.Payload)
	case <-time.After(200 * time.Millisecond):
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal(what)
		}
	}
}

// TestSlowResumableSubscriberLosesNothing: a named subscriber that stops
// reading is disconnected once its output passes the limit; the publisher
// is never slowed; when it comes back it gets everything after the last
// message it actually received: no gap.
func TestSlowResumableSubscriberLosesNothing(t *testing.T) {
	ts := startServerForKeysTest(t, func(b *broker.Config, c *Config) {
		c.ResumeNames = "*"
		b.Limits.SubscriberBufferBytes = 64 << 10
	})
	ctx := keysCtx(t)
	raw := ts.dialRawKeys(2)
	// A small receive window, so the kernel cannot absorb the backlog and
	// the server's buffer limit is what a non-reading client meets.
	if tc, ok := raw.nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	raw.do("CLIENT", "SETNAME", "slow")
	raw.send("SUBSCRIBE", "news")
	raw.reply()
	pub := ts.client(2)
	// More than the server's socket send buffer can ever hold (Linux
	// autotunes it up to tcp_wmem's 4 MiB), so the server's limit is met.
	const n = 60000
	payload := strings.Repeat("x", 90)
	for i := 0; i < n; i += 1000 {
		pipe := pub.Pipeline()
		for j := i; j < i+1000; j++ {
			pipe.Publish(ctx, "news", fmt.Sprintf("%05d%s", j, payload))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Everything the slow client ever got, until the server closed it.
	last := -1
	for {
		got, err := raw.tryReply()
		if err != nil {
			break
		}
		if i := strings.Index(got, "\r\n$95\r\n"); i >= 0 {
			v, _ := strconv.Atoi(got[i+7 : i+12])
			if v != last+1 {
				t.Fatalf("the slow client got %d after %d", v, last)
			}
			last = v
		}
	}
	if last >= n-1 {
		t.Fatalf("the slow client got all %d messages: it was not slow", n)
	}
	c := redis.NewClient(&redis.Options{Addr: ts.addr, ClientName: "slow"})
	defer c.Close()
	ps := c.Subscribe(ctx, "news")
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelSize(n))
	// The resumed stream may repeat what was in flight when the server cut
	// the connection (a write it saw fail), never skip anything.
	want := -1
	for want < n-1 {
		select {
		case m := <-ch:
			v, _ := strconv.Atoi(m.Payload[:5])
			if want == -1 && v > last+1 {
				t.Fatalf("resumed at %d: a gap after %d, the last message the client got", v, last)
			}
			if want != -1 && v != want+1 {
				t.Fatalf("got %d after %d", v, want)
			}
			want = v
		case <-time.After(30 * time.Second):
			t.Fatalf("resume stopped after %d", want)
		}
	}
}

// tryReply reads one reply, or returns the error (EOF once the server
// closed the connection).
func (c *rawKeysConn) tryReply() (string, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var sb strings.Builder
	err := copyRawReply(c.r, &sb)
	return sb.String(), err
}

// TestResumablePatternSubscriber: PSUBSCRIBE resumes like SUBSCRIBE. A named
// pattern subscriber disconnects; messages go to two matching channels, a
// matching channel that did not exist before, and a channel that does not
// match; the server restarts; the subscriber comes back with the same
// pattern while more is published: per channel it gets everything it missed
// in order, then the live messages, with no gap and no duplicate, and
// nothing from the channel that does not match.
func TestResumablePatternSubscriber(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "app-*" })
	ctx := keysCtx(t)
	pub := ts.client(2)
	publish := func(channel string, from, to int) {
		pipe := pub.Pipeline()
		for i := from; i < to; i++ {
			pipe.Publish(ctx, channel, strconv.Itoa(i))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Error(err)
		}
	}
	psubscribe := func(name string) *redis.PubSub {
		c := redis.NewClient(&redis.Options{Addr: ts.addr, ClientName: name})
		t.Cleanup(func() { c.Close() })
		ps := c.PSubscribe(ctx, "news.*")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		return ps
	}
	// expect reads until every channel reached its end (exclusive) and
	// checks that each channel's payloads continue from next without a gap
	// or duplicate.
	expect := func(ps *redis.PubSub, next map[string]int, end map[string]int) {
		t.Helper()
		ch := ps.Channel(redis.WithChannelSize(20000))
		done := func() bool {
			for c, e := range end {
				if next[c] < e {
					return false
				}
			}
			return true
		}
		for !done() {
			select {
			case m := <-ch:
				if m.Pattern != "news.*" {
					t.Fatalf("message %q on %s: pattern %q", m.Payload, m.Channel, m.Pattern)
				}
				if _, ok := end[m.Channel]; !ok {
					t.Fatalf("message %q on unexpected channel %s", m.Payload, m.Channel)
				}
				if m.Payload != strconv.Itoa(next[m.Channel]) {
					t.Fatalf("on %s got %q, want %d", m.Channel, m.Payload, next[m.Channel])
				}
				next[m.Channel]++
			case <-time.After(10 * time.Second):
				t.Fatalf("timed out: at %v, want %v", next, end)
			}
		}
	}
	alice := psubscribe("app-alice")
	publish("news.a", 0, 5)
	publish("news.b", 0, 5)
	next := map[string]int{"news.a": 0, "news.b": 0}
	expect(alice, next, map[string]int{"news.a": 5, "news.b": 5})
	alice.Close()
	waitUntil(t, "alice's pattern cursors saved", func() bool {
		base, cs, _ := ts.b.PatternCursors([]byte("app-alice"), []byte("news.*"))
		ma, _ := ts.b.Meta([]byte("news.a"))
		mb, _ := ts.b.Meta([]byte("news.b"))
		return base && cs["news.a"] == broker.CursorPos{ID: ma.LastID, Incarnation: ma.Incarnation} && cs["news.b"] == broker.CursorPos{ID: mb.LastID, Incarnation: mb.Incarnation}
	})

	publish("news.a", 5, 3005)
	publish("news.b", 5, 2005)
	publish("news.c", 0, 1000) // a matching channel that appeared meanwhile
	publish("other", 0, 100)
	ts.restart()
	pub = ts.client(2)

	first := psubscribe("app-bob") // first subscription of this name: live only
	live := make(chan struct{})
	go func() {
		defer close(live)
		for i := 0; i < 10; i++ {
			publish("news.a", 3005+100*i, 3105+100*i)
			publish("news.c", 1000+100*i, 1100+100*i)
		}
	}()
	alice = psubscribe("app-alice")
	<-live
	next["news.c"] = 0
	expect(alice, next, map[string]int{"news.a": 4005, "news.b": 2005, "news.c": 2000})
	got, err := first.ReceiveTimeout(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(*redis.Message)
	if n, _ := strconv.Atoi(m.Payload); m.Channel == "news.a" && n < 3005 || m.Channel == "news.c" && n < 1000 || m.Channel == "news.b" {
		t.Fatalf("a name without a cursor got an old message: %s %s", m.Channel, m.Payload)
	}
	publish("news.b", 2005, 2010)
	publish("news.d", 0, 3)
	expect(alice, next, map[string]int{"news.a": 4005, "news.b": 2010, "news.c": 2000, "news.d": 3})
	select {
	case m := <-alice.Channel(redis.WithChannelSize(20000)):
		t.Fatalf("alice got %s %q after the last message", m.Channel, m.Payload)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestResumeAfterUnsubscribeNoRepeat: a named subscriber that UNSUBSCRIBEs
// while messages are queued for its socket (it paused reading), reads up
// to the confirmation and subscribes again resumes exactly after the last
// message it got: the messages written before the confirmation are not
// sent again, and nothing is skipped (jepsen/README.md, bug 4).
func TestResumeAfterUnsubscribeNoRepeat(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "*" })
	ctx := keysCtx(t)
	stop := make(chan struct{})
	var pubs sync.WaitGroup
	defer pubs.Wait()
	defer close(stop)
	pubs.Go(func() {
		pub := ts.client(2)
		for i := 0; ; {
			select {
			case <-stop:
				return
			default:
			}
			pipe := pub.Pipeline()
			for k := 0; k < 50; k, i = k+1, i+1 {
				pipe.Publish(ctx, "counter", strconv.Itoa(i))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return
			}
		}
	})
	round := func() (first, last int) {
		c := redis.NewClient(&redis.Options{Addr: ts.addr, ClientName: "resumer", MaxRetries: -1})
		defer c.Close()
		ps := c.Subscribe(ctx, "counter")
		defer ps.Close()
		first, last = -1, -1
		for got := 0; ; {
			msg, err := ps.ReceiveTimeout(ctx, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			switch m := msg.(type) {
			case *redis.Message:
				v, _ := strconv.Atoi(m.Payload)
				if first < 0 {
					first = v
				} else if v != last+1 {
					t.Fatalf("got %d after %d", v, last)
				}
				last = v
				if got++; got == 20 {
					// Stop reading for a moment: the server's writes
					// block with messages queued behind them.
					time.Sleep(30 * time.Millisecond)
					if err := ps.Unsubscribe(ctx, "counter"); err != nil {
						t.Fatal(err)
					}
				}
			case *redis.Subscription:
				if m.Kind == "unsubscribe" {
					return first, last
				}
			}
		}
	}
	_, last := round()
	for i := 0; i < 40; i++ {
		first, l := round()
		if first != last+1 {
			t.Fatalf("round %d: resumed at %d after %d, the last message before the confirmation", i, first, last)
		}
		last = l
	}
}
