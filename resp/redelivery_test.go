package resp

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// TestBrokerRedelivery: an entry not acknowledged within ACKWAIT is handed
// to the next XREADGROUP > reader no earlier than ACKWAIT and no later than
// ACKWAIT plus one scan interval (a blocked reader is woken), and after
// MAXDELIVER deliveries the broker moves it to the DEADLETTER channel
// exactly once, with its origin, and acknowledges it.
func TestBrokerRedelivery(t *testing.T) {
	const ackWait, scan = 400 * time.Millisecond, 50 * time.Millisecond
	ts := startServerForKeysTest(t, func(b *broker.Config, _ *Config) { b.RedeliveryInterval = scan })
	ctx := keysCtx(t)
	rdb := ts.client(2)
	if err := rdb.Do(ctx, "XGROUP", "CREATE", "orders", "mail", "$", "MKSTREAM",
		"ACKWAIT", ackWait.Milliseconds(), "MAXDELIVER", 2, "DEADLETTER", "orders.dlq").Err(); err != nil {
		t.Fatal(err)
	}
	cfg := ktOK(t, rdb.Do(ctx, "XGROUP", "GETCONFIG", "orders", "mail")).Val()
	if l, ok := cfg.([]interface{}); !ok || len(l) != 10 || l[1] != int64(400) || l[5] != int64(2) || l[7] != "orders.dlq" || l[8] != "maxpending" || l[9] != int64(0) {
		t.Fatalf("GETCONFIG %#v", cfg)
	}
	dlq := rdb.Subscribe(ctx, "orders.dlq")
	defer dlq.Close()
	if _, err := dlq.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders", ID: "1-1", Values: []string{"message", "o1"}}))
	read := func(consumer string, block time.Duration) []redis.XMessage {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "mail", Consumer: consumer, Streams: []string{"orders", ">"}, Block: block}).Result()
		if err == redis.Nil {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Messages
	}
	delivered := time.Now()
	if got := read("w1", -1); len(got) != 1 || got[0].ID != "1-1" {
		t.Fatalf("first delivery %v", got)
	}
	if got := read("w2", -1); len(got) != 0 {
		t.Fatalf("redelivered at once: %v", got)
	}
	got := read("w2", 5*time.Second) // blocks until the ack wait runs out
	waited := time.Since(delivered)
	if len(got) != 1 || got[0].ID != "1-1" || got[0].Values["message"] != "o1" {
		t.Fatalf("redelivery %v", got)
	}
	if waited < ackWait || waited > ackWait+scan+time.Second { // slack: a loaded 2-core CI machine
		t.Fatalf("redelivered after %v, want within [%v, %v+%v]", waited, ackWait, ackWait, scan)
	}
	ext := ktOK(t, rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "orders", Group: "mail", Start: "-", End: "+", Count: 10})).Val()
	if len(ext) != 1 || ext[0].Consumer != "w2" || ext[0].RetryCount != 2 {
		t.Fatalf("pending after redelivery %+v", ext)
	}
	// Second delivery was the last: once its ack wait runs out, the broker
	// dead-letters the entry without any reader coming by.
	select {
	case m := <-dlq.Channel():
		if m.Payload != "o1" {
			t.Fatalf("dead-letter subscriber got %q", m.Payload)
		}
	case <-time.After(ackWait + time.Second):
		t.Fatal("entry was not dead-lettered")
	}
	entries := ktOK(t, rdb.XRange(ctx, "orders.dlq", "-", "+")).Val()
	if len(entries) != 1 || entries[0].Values["dlq-id"] != "1-1" || entries[0].Values["dlq-channel"] != "orders" ||
		entries[0].Values["dlq-group"] != "mail" || entries[0].Values["dlq-consumer"] != "w2" || entries[0].Values["dlq-deliveries"] != "2" {
		t.Fatalf("dead-letter entry %+v", entries)
	}
	if sum := ktOK(t, rdb.XPending(ctx, "orders", "mail")).Val(); sum.Count != 0 {
		t.Fatalf("dead-lettered entry still pending: %+v", sum)
	}
	time.Sleep(3 * scan)
	if n := ktOK(t, rdb.XLen(ctx, "orders.dlq")).Val(); n != 1 {
		t.Fatalf("dead-lettered %d times, want exactly once", n)
	}
	if got := read("w3", -1); len(got) != 0 {
		t.Fatalf("a dead-lettered entry was delivered again: %v", got)
	}
	// SETCONFIG with no option returns the group to Redis's behaviour.
	ktOK(t, rdb.Do(ctx, "XGROUP", "SETCONFIG", "orders", "mail"))
	ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders", ID: "2-1", Values: []string{"message", "o2"}}))
	read("w1", -1)
	time.Sleep(ackWait + 2*scan)
	if got := read("w2", -1); len(got) != 0 {
		t.Fatalf("redelivered without a policy: %v", got)
	}
}
