package resp

import (
	"fmt"
	"net"
	"strconv"
	"strings"
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
		return ok && id.Seq == 4
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
	const n = 20000
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
