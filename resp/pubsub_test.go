package resp

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// receive returns the next message or confirmation of ps, failing the test
// after a few seconds.
func receive(t *testing.T, ps *redis.PubSub) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := ps.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return m
}

// expectSubscription asserts the next item of ps is a (un)subscribe
// confirmation.
func expectSubscription(t *testing.T, ps *redis.PubSub, kind, name string, count int) {
	t.Helper()
	got := receive(t, ps)
	want := &redis.Subscription{Kind: kind, Channel: name, Count: count}
	if s, ok := got.(*redis.Subscription); !ok || *s != *want {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

// expectMessage asserts the next item of ps is a message.
func expectMessage(t *testing.T, ps *redis.PubSub, pattern, channel, payload string) {
	t.Helper()
	got := receive(t, ps)
	m, ok := got.(*redis.Message)
	if !ok || m.Pattern != pattern || m.Channel != channel || m.Payload != payload {
		t.Fatalf("got %#v, want message pattern=%q channel=%q payload=%q", got, pattern, channel, payload)
	}
}

// expectNothing asserts ps receives nothing within a short while (used
// after a later message proved the earlier ones would have arrived).
func expectNothing(t *testing.T, ps *redis.PubSub) {
	t.Helper()
	m, err := ps.ReceiveTimeout(context.Background(), 50*time.Millisecond)
	if err == nil {
		t.Fatalf("unexpected %#v", m)
	}
}

func publish(t *testing.T, c *redis.Client, channel, msg string, wantReceivers int64) {
	t.Helper()
	n, err := c.Publish(context.Background(), channel, msg).Result()
	if err != nil || n != wantReceivers {
		t.Fatalf("PUBLISH %s %s = %d, %v; want %d", channel, msg, n, err, wantReceivers)
	}
}

func TestPubSubSubscribeAndUnsubscribe(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			addr, _ := startServer(t)
			ctx := testCtx(t)
			sub := newClientProto(t, addr, proto)
			pub := newClient(t, addr)

			ps := sub.Subscribe(ctx, "news", "sport")
			defer ps.Close()
			expectSubscription(t, ps, "subscribe", "news", 1)
			expectSubscription(t, ps, "subscribe", "sport", 2)
			if err := ps.PSubscribe(ctx, "n*"); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "psubscribe", "n*", 3)
			// A repeated subscription is confirmed but not counted twice.
			if err := ps.Subscribe(ctx, "news"); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "subscribe", "news", 3)

			publish(t, pub, "news", "one", 2) // the channel and the pattern
			expectMessage(t, ps, "", "news", "one")
			expectMessage(t, ps, "n*", "news", "one")
			publish(t, pub, "nope", "two", 1)
			expectMessage(t, ps, "n*", "nope", "two")
			publish(t, pub, "sport", "three", 1)
			expectMessage(t, ps, "", "sport", "three")
			publish(t, pub, "other", "four", 0)

			if err := ps.Unsubscribe(ctx, "news"); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "unsubscribe", "news", 2)
			// Unsubscribing from a channel one is not subscribed to is
			// confirmed with the unchanged count.
			if err := ps.Unsubscribe(ctx, "never"); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "unsubscribe", "never", 2)
			publish(t, pub, "news", "five", 1)
			expectMessage(t, ps, "n*", "news", "five")
			if err := ps.PUnsubscribe(ctx, "n*"); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "punsubscribe", "n*", 1)
			publish(t, pub, "news", "six", 0)
			publish(t, pub, "sport", "seven", 1)
			expectMessage(t, ps, "", "sport", "seven")
			if err := ps.Unsubscribe(ctx); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "unsubscribe", "sport", 0)
			publish(t, pub, "sport", "eight", 0)
			expectNothing(t, ps)
		})
	}
}

func TestPubSubShard(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	pub := newClient(t, addr)
	shard := newClient(t, addr).SSubscribe(ctx, "orders", "{user1}.a")
	defer shard.Close()
	expectSubscription(t, shard, "ssubscribe", "orders", 1)
	expectSubscription(t, shard, "ssubscribe", "{user1}.a", 2)
	plain := newClient(t, addr).Subscribe(ctx, "orders")
	defer plain.Close()
	expectSubscription(t, plain, "subscribe", "orders", 1)
	pattern := newClient(t, addr).PSubscribe(ctx, "*")
	defer pattern.Close()
	expectSubscription(t, pattern, "psubscribe", "*", 1)

	// SPUBLISH reaches shard subscribers only; PUBLISH never reaches them.
	n, err := pub.SPublish(ctx, "orders", "s1").Result()
	if err != nil || n != 1 {
		t.Fatalf("SPUBLISH = %d, %v; want 1", n, err)
	}
	expectMessage(t, shard, "", "orders", "s1")
	publish(t, pub, "orders", "p1", 2)
	expectMessage(t, plain, "", "orders", "p1")
	expectMessage(t, pattern, "*", "orders", "p1")
	expectNothing(t, shard)
	expectNothing(t, plain)
	expectNothing(t, pattern)

	// Both kinds of message land in the one log, in order.
	entries, err := pub.XRange(ctx, "orders", "-", "+").Result()
	if err != nil || len(entries) != 2 || entries[0].Values["message"] != "s1" || entries[1].Values["message"] != "p1" {
		t.Fatalf("XRANGE orders = %v, %v", entries, err)
	}

	if err := shard.SUnsubscribe(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	expectSubscription(t, shard, "sunsubscribe", "orders", 1)
	if n, err := pub.SPublish(ctx, "orders", "s2").Result(); err != nil || n != 0 {
		t.Fatalf("SPUBLISH after SUNSUBSCRIBE = %d, %v; want 0", n, err)
	}
}

// TestPubSubReceiversCount checks PUBLISH's reply counts deliveries as Redis
// does: one per matching channel subscription and one per matching pattern
// subscription, so one client can count more than once.
func TestPubSubReceiversCount(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	pub := newClient(t, addr)

	both := newClient(t, addr).Subscribe(ctx, "a.b")
	defer both.Close()
	expectSubscription(t, both, "subscribe", "a.b", 1)
	if err := both.PSubscribe(ctx, "a.*", "?.b", "x*"); err != nil {
		t.Fatal(err)
	}
	expectSubscription(t, both, "psubscribe", "a.*", 2)
	expectSubscription(t, both, "psubscribe", "?.b", 3)
	expectSubscription(t, both, "psubscribe", "x*", 4)
	other := newClient3(t, addr).PSubscribe(ctx, "a.[bc]")
	defer other.Close()
	expectSubscription(t, other, "psubscribe", "a.[bc]", 1)

	publish(t, pub, "a.b", "m", 4) // a.b, a.*, ?.b, a.[bc]
	publish(t, pub, "a.c", "m", 2) // a.*, a.[bc]
	publish(t, pub, "z.b", "m", 1) // ?.b
	publish(t, pub, "b", "m", 0)

	var got []string
	for range 5 {
		m := receive(t, both).(*redis.Message)
		got = append(got, m.Pattern+">"+m.Channel)
	}
	slices.Sort(got)
	want := []string{">a.b", "?.b>a.b", "?.b>z.b", "a.*>a.b", "a.*>a.c"}
	if !slices.Equal(got, want) {
		t.Fatalf("subscriber received %v, want %v", got, want)
	}
	expectMessage(t, other, "a.[bc]", "a.b", "m")
	expectMessage(t, other, "a.[bc]", "a.c", "m")
	expectNothing(t, both)
	expectNothing(t, other)
}

func TestPubSubIntrospection(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)

	check := func(what string, got, want any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
	sorted := func(s []string, err error) ([]string, error) { slices.Sort(s); return s, err }

	got, err := c.PubSubChannels(ctx, "").Result()
	check("PUBSUB CHANNELS (none)", got, []string{}, err)
	n, err := c.PubSubNumPat(ctx).Result()
	check("PUBSUB NUMPAT (none)", n, 0, err)

	s1 := newClient(t, addr).Subscribe(ctx, "news.it", "news.fr", "weather")
	defer s1.Close()
	for i, ch := range []string{"news.it", "news.fr", "weather"} {
		expectSubscription(t, s1, "subscribe", ch, i+1)
	}
	s2 := newClient3(t, addr).Subscribe(ctx, "news.it")
	defer s2.Close()
	expectSubscription(t, s2, "subscribe", "news.it", 1)
	if err := s2.PSubscribe(ctx, "news.*", "w*"); err != nil {
		t.Fatal(err)
	}
	expectSubscription(t, s2, "psubscribe", "news.*", 2)
	expectSubscription(t, s2, "psubscribe", "w*", 3)
	s3 := newClient(t, addr).PSubscribe(ctx, "news.*")
	defer s3.Close()
	expectSubscription(t, s3, "psubscribe", "news.*", 1)
	s4 := newClient(t, addr).SSubscribe(ctx, "shard.a", "shard.b")
	defer s4.Close()
	expectSubscription(t, s4, "ssubscribe", "shard.a", 1)
	expectSubscription(t, s4, "ssubscribe", "shard.b", 2)

	got, err = sorted(c.PubSubChannels(ctx, "").Result())
	check("PUBSUB CHANNELS", got, []string{"news.fr", "news.it", "weather"}, err)
	got, err = sorted(c.PubSubChannels(ctx, "news.*").Result())
	check("PUBSUB CHANNELS news.*", got, []string{"news.fr", "news.it"}, err)
	got, err = sorted(c.PubSubChannels(ctx, "x*").Result())
	check("PUBSUB CHANNELS x*", got, []string{}, err)
	nums, err := c.PubSubNumSub(ctx, "news.it", "news.fr", "nothing", "news.*").Result()
	check("PUBSUB NUMSUB", nums, map[string]int64{"news.it": 2, "news.fr": 1, "nothing": 0, "news.*": 0}, err)
	n, err = c.PubSubNumPat(ctx).Result()
	check("PUBSUB NUMPAT", n, 2, err) // unique patterns: news.* and w*
	got, err = sorted(c.PubSubShardChannels(ctx, "").Result())
	check("PUBSUB SHARDCHANNELS", got, []string{"shard.a", "shard.b"}, err)
	got, err = sorted(c.PubSubShardChannels(ctx, "*b").Result())
	check("PUBSUB SHARDCHANNELS *b", got, []string{"shard.b"}, err)
	nums, err = c.PubSubShardNumSub(ctx, "shard.a", "news.it").Result()
	check("PUBSUB SHARDNUMSUB", nums, map[string]int64{"shard.a": 1, "news.it": 0}, err)

	// A closed connection's subscriptions go away.
	_ = s2.Close()
	_ = s4.Close()
	waitFor(t, 5*time.Second, "subscriptions of closed clients to go", func() error {
		nums, err := c.PubSubNumSub(ctx, "news.it").Result()
		if err != nil || nums["news.it"] != 1 {
			return fmt.Errorf("NUMSUB news.it = %v, %v", nums, err)
		}
		if n, err := c.PubSubNumPat(ctx).Result(); err != nil || n != 1 {
			return fmt.Errorf("NUMPAT = %d, %v", n, err)
		}
		if got, err := c.PubSubShardChannels(ctx, "").Result(); err != nil || len(got) != 0 {
			return fmt.Errorf("SHARDCHANNELS = %v, %v", got, err)
		}
		return nil
	})

	// Raw reply shapes: NUMSUB is a flat array in both protocols, as in
	// Redis (not a RESP3 map).
	for _, proto := range []string{"2", "3"} {
		rc := dialRaw(t, addr)
		rc.do("HELLO", proto)
		want := arr(4) + bulk("news.it") + integer(1) + bulk("none") + integer(0)
		if got := rc.do("PUBSUB", "NUMSUB", "news.it", "none"); got != want {
			t.Errorf("RESP%s PUBSUB NUMSUB = %q, want %q", proto, got, want)
		}
		if got := rc.do("PUBSUB", "SHARDNUMSUB"); got != arr(0) {
			t.Errorf("RESP%s PUBSUB SHARDNUMSUB = %q, want %q", proto, got, arr(0))
		}
	}
}

// TestPubSubRESP2SubscribeMode checks the RESP2 rules: while subscribed only
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET run; PING replies
// ["pong", arg]; the connection leaves the mode when its last subscription
// goes.
func TestPubSubRESP2SubscribeMode(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	notAllowed := func(name string) string {
		return errReply("ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
	}
	confirm := func(verb, name string, n int64) string {
		return arr(3) + bulk(verb) + bulk(name) + integer(n)
	}
	steps := []struct{ cmd, want string }{
		{"PING", "+PONG\r\n"},
		{"SUBSCRIBE a", confirm("subscribe", "a", 1)},
		{"PING", arr(2) + bulk("pong") + bulk("")},
		{"PING hello", arr(2) + bulk("pong") + bulk("hello")},
		{"PING a b", errReply("ERR wrong number of arguments for 'ping' command")},
		{"ECHO x", notAllowed("echo")},
		{"XLEN a", notAllowed("xlen")},
		{"PUBLISH a x", notAllowed("publish")},
		{"SPUBLISH a x", notAllowed("spublish")},
		{"XADD a * f v", notAllowed("xadd")},
		{"PUBSUB NUMPAT", notAllowed("pubsub|numpat")},
		{"MULTI", notAllowed("multi")},
		{"HELLO 2", notAllowed("hello")},
		{"NOSUCHCMD x", errReply("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ")},
		{"SUBSCRIBE", errReply("ERR wrong number of arguments for 'subscribe' command")},
		{"PSUBSCRIBE p*", confirm("psubscribe", "p*", 2)},
		{"SSUBSCRIBE s", confirm("ssubscribe", "s", 1)},
		{"UNSUBSCRIBE a", confirm("unsubscribe", "a", 1)},
		{"PUNSUBSCRIBE", confirm("punsubscribe", "p*", 0)},
		{"XLEN a", notAllowed("xlen")}, // still shard-subscribed
		{"SUNSUBSCRIBE s", confirm("sunsubscribe", "s", 0)},
		{"UNSUBSCRIBE", arr(3) + bulk("unsubscribe") + "$-1\r\n" + integer(0)},
		{"PUNSUBSCRIBE", arr(3) + bulk("punsubscribe") + "$-1\r\n" + integer(0)},
		{"SUNSUBSCRIBE", arr(3) + bulk("sunsubscribe") + "$-1\r\n" + integer(0)},
		{"PING", "+PONG\r\n"},
		{"XLEN a", integer(0)},
		{"SUBSCRIBE b", confirm("subscribe", "b", 1)},
		{"RESET", "+RESET\r\n"},
		{"XLEN a", integer(0)},
		{"SUBSCRIBE c", confirm("subscribe", "c", 1)},
	}
	for _, s := range steps {
		rc.write(s.cmd + "\r\n")
		if got := rc.read(); got != s.want {
			t.Fatalf("%s: got %q, want %q", s.cmd, got, s.want)
		}
	}
	rc.write("QUIT\r\n")
	if got := rc.read(); got != "+OK\r\n" {
		t.Fatalf("QUIT: got %q", got)
	}
	if rest := rc.expectClosed(); rest != "" {
		t.Fatalf("after QUIT: %q", rest)
	}
	// Its subscriptions are gone.
	if got := dialRaw(t, addr).do("PUBSUB", "NUMSUB", "c"); got != arr(2)+bulk("c")+integer(0) {
		t.Fatalf("NUMSUB after QUIT: %q", got)
	}
}

// TestPubSubRESP3 checks that in RESP3 confirmations and messages are
// pushes, and that any command runs while subscribed.
func TestPubSubRESP3(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	if got := rc.do("HELLO", "3"); !strings.HasPrefix(got, "%7\r\n") {
		t.Fatalf("HELLO 3: %q", got)
	}
	push := func(parts ...string) string { return fmt.Sprintf(">%d\r\n", len(parts)) + strings.Join(parts, "") }
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"SUBSCRIBE", "a"}, push(bulk("subscribe"), bulk("a"), integer(1))},
		{[]string{"PSUBSCRIBE", "a*"}, push(bulk("psubscribe"), bulk("a*"), integer(2))},
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"PING", "x"}, bulk("x")},
		{[]string{"ECHO", "e"}, bulk("e")},
		{[]string{"XLEN", "a"}, integer(0)},
		// A message to itself is pushed before the PUBLISH reply.
		{[]string{"PUBLISH", "a", "hi"}, push(bulk("message"), bulk("a"), bulk("hi"))},
		{nil, push(bulk("pmessage"), bulk("a*"), bulk("a"), bulk("hi"))},
		{nil, integer(2)},
		{[]string{"XLEN", "a"}, integer(1)},
		{[]string{"UNSUBSCRIBE", "a"}, push(bulk("unsubscribe"), bulk("a"), integer(1))},
		{[]string{"PUNSUBSCRIBE"}, push(bulk("punsubscribe"), bulk("a*"), integer(0))},
		{[]string{"UNSUBSCRIBE"}, push(bulk("unsubscribe"), "_\r\n", integer(0))},
	}
	for _, s := range steps {
		var got string
		if s.args != nil {
			got = rc.do(s.args...)
		} else {
			got = rc.read()
		}
		if got != s.want {
			t.Fatalf("%v: got %q, want %q", s.args, got, s.want)
		}
	}

	// go-redis over RESP3 receives pushes, and the subscribed connection
	// keeps serving commands.
	ctx := testCtx(t)
	ps := newClient3(t, addr).Subscribe(ctx, "r3")
	defer ps.Close()
	expectSubscription(t, ps, "subscribe", "r3", 1)
	publish(t, newClient3(t, addr), "r3", "payload", 1)
	expectMessage(t, ps, "", "r3", "payload")
}

// TestPubSubOrderConcurrentPublishers publishes from several clients at once
// and checks every subscriber sees every message once, in the log's order.
func TestPubSubOrderConcurrentPublishers(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	const publishers, perPublisher = 8, 250
	const total = publishers * perPublisher

	var subs []*redis.PubSub
	for i, c := range []*redis.Client{newClient(t, addr), newClient3(t, addr)} {
		ps := c.Subscribe(ctx, "ordered")
		defer ps.Close()
		expectSubscription(t, ps, "subscribe", "ordered", 1)
		if i == 0 {
			if err := ps.PSubscribe(ctx, "order*"); err != nil {
				t.Fatal(err)
			}
			expectSubscription(t, ps, "psubscribe", "order*", 2)
		}
		subs = append(subs, ps)
	}

	received := make([][]string, 3) // sub 0 channel, sub 0 pattern, sub 1
	var recvWG sync.WaitGroup
	for i, ps := range subs {
		recvWG.Add(1)
		go func() {
			defer recvWG.Done()
			want := total * (2 - i) // the first also matches the pattern
			for range want {
				m, err := ps.ReceiveMessage(ctx)
				if err != nil {
					t.Errorf("subscriber %d: %v", i, err)
					return
				}
				switch {
				case i == 1:
					received[2] = append(received[2], m.Payload)
				case m.Pattern != "":
					received[1] = append(received[1], m.Payload)
				default:
					received[0] = append(received[0], m.Payload)
				}
			}
		}()
	}

	var pubWG sync.WaitGroup
	for p := range publishers {
		pubWG.Add(1)
		go func() {
			defer pubWG.Done()
			c := newClient(t, addr)
			for j := range perPublisher {
				n, err := c.Publish(ctx, "ordered", fmt.Sprintf("p%d-%04d", p, j)).Result()
				if err != nil || n != 3 {
					t.Errorf("PUBLISH = %d, %v; want 3", n, err)
					return
				}
			}
		}()
	}
	pubWG.Wait()
	recvWG.Wait()
	if t.Failed() {
		return
	}

	entries, err := newClient(t, addr).XRange(ctx, "ordered", "-", "+").Result()
	if err != nil || len(entries) != total {
		t.Fatalf("XRANGE: %d entries, %v", len(entries), err)
	}
	logOrder := make([]string, len(entries))
	for i, e := range entries {
		logOrder[i] = e.Values["message"].(string)
	}
	for i, got := range received {
		if !slices.Equal(got, logOrder) {
			t.Fatalf("delivery %d differs from the log's order (%d vs %d messages)", i, len(got), len(logOrder))
		}
	}
	// Each publisher's messages are in the order it published them.
	last := map[string]string{}
	for _, m := range logOrder {
		p := m[:strings.IndexByte(m, '-')]
		if m <= last[p] {
			t.Fatalf("%s after %s", m, last[p])
		}
		last[p] = m
	}
}

// TestPubSubLogAndPayload checks that a PUBLISH is a stream entry with the
// field "message", that it survives a restart, and what subscribers receive
// for XADD entries.
func TestPubSubLogAndPayload(t *testing.T) {
	ts := newTestServer(t)
	ctx := testCtx(t)
	c := newClient(t, ts.Addr)
	ps := newClient(t, ts.Addr).Subscribe(ctx, "mixed")
	defer ps.Close()
	expectSubscription(t, ps, "subscribe", "mixed", 1)

	publish(t, c, "mixed", "plain text", 1)
	expectMessage(t, ps, "", "mixed", "plain text")
	// An entry without a "message" field is delivered as a JSON object of
	// its fields.
	if _, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "mixed", Values: []string{"temp", "21", "unit", "C \"quoted\""}}).Result(); err != nil {
		t.Fatal(err)
	}
	m := receive(t, ps).(*redis.Message)
	var obj map[string]string
	if err := json.Unmarshal([]byte(m.Payload), &obj); err != nil || len(obj) != 2 || obj["temp"] != "21" || obj["unit"] != `C "quoted"` {
		t.Fatalf("payload of an XADD entry = %q (%v)", m.Payload, err)
	}
	// An entry with a "message" field delivers that field.
	if _, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "mixed", Values: []string{"k", "v", "message", "the payload"}}).Result(); err != nil {
		t.Fatal(err)
	}
	expectMessage(t, ps, "", "mixed", "the payload")
	publish(t, c, "mixed", "", 1)
	expectMessage(t, ps, "", "mixed", "")

	want := [][]string{{"message", "plain text"}, {"temp", "21", "unit", `C "quoted"`}, {"k", "v", "message", "the payload"}, {"message", ""}}
	check := func() {
		t.Helper()
		rc := dialRaw(t, ts.Addr)
		got := rc.do("XRANGE", "mixed", "-", "+")
		// Compare the field lists, not the generated IDs.
		for _, fields := range want {
			var sb strings.Builder
			sb.WriteString(arr(len(fields)))
			for _, f := range fields {
				sb.WriteString(bulk(f))
			}
			if !strings.Contains(got, sb.String()) {
				t.Fatalf("XRANGE = %q, missing %q", got, sb.String())
			}
		}
		if n, err := newClient(t, ts.Addr).XLen(ctx, "mixed").Result(); err != nil || n != 4 {
			t.Fatalf("XLEN = %d, %v", n, err)
		}
	}
	check()
	ts.Restart()
	check()
}

// TestNoMessageAfterUnsubscribeConfirmation: while a publisher streams
// pipelined PUBLISHes, a subscriber UNSUBSCRIBEs: no message of the channel
// follows the confirmation, although fan-out buffers a batch of messages
// per subscriber before handing them to the socket.
func TestNoMessageAfterUnsubscribeConfirmation(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	// Other subscribers make each batch's fan-out take longer, and with it
	// the window in which a batch is buffered but not yet handed over.
	others := ts.client(2)
	for i := 0; i < 50; i++ {
		ps := others.Subscribe(ctx, "ch")
		t.Cleanup(func() { ps.Close() })
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		go func() {
			for range ps.Channel() {
			}
		}()
	}
	for _, proto := range []int{2, 3} {
		sub := ts.dialRawKeys(proto)
		sub.do("SUBSCRIBE", "ch")
		stop := make(chan struct{})
		var pubs sync.WaitGroup
		for p := 0; p < 4; p++ {
			pubs.Go(func() {
				pub := ts.client(2)
				for {
					select {
					case <-stop:
						return
					default:
					}
					pipe := pub.Pipeline()
					for i := 0; i < 200; i++ {
						pipe.Publish(ctx, "ch", "m")
					}
					if _, err := pipe.Exec(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		// Let messages flow, then unsubscribe in the middle of the stream.
		for i := 0; i < 500; i++ {
			if r := sub.reply(); !strings.Contains(r, "message") {
				t.Fatalf("RESP%d: expected a message, got %q", proto, r)
			}
		}
		sub.send("UNSUBSCRIBE", "ch")
		sub.send("PING")
		confirmed := false
		// Read up to the PONG, then PING again and read up to its PONG: a
		// message buffered before the unsubscribe but handed over after it
		// would show up in between.
		for pongs := 0; pongs < 2; {
			r := sub.reply()
			switch {
			case strings.Contains(r, "unsubscribe"):
				confirmed = true
			case strings.Contains(r, "message"):
				if confirmed {
					t.Fatalf("RESP%d: a message after the unsubscribe confirmation: %q", proto, r)
				}
			case strings.Contains(strings.ToLower(r), "pong"):
				if !confirmed {
					t.Fatalf("RESP%d: PONG before the unsubscribe confirmation", proto)
				}
				if pongs++; pongs == 1 {
					time.Sleep(20 * time.Millisecond)
					sub.send("PING")
				}
			default:
				t.Fatalf("RESP%d: unexpected reply %q", proto, r)
			}
		}
		close(stop)
		pubs.Wait()
	}
}
