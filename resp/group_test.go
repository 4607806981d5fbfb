package resp

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestConsumerGroupLifecycle drives XGROUP, XREADGROUP, XACK, XPENDING and
// XINFO GROUPS/CONSUMERS through go-redis, in RESP2 and RESP3, and checks
// that a restart loses no delivery record and no ack.
func TestConsumerGroupLifecycle(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(proto)
		ctx := keysCtx(t)
		ktWantErr(t, rdb.XGroupCreate(ctx, "orders", "billing", "0").Err(),
			"ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
		ktOK(t, rdb.XGroupCreateMkStream(ctx, "orders", "billing", "0"))
		ktWantErr(t, rdb.XGroupCreate(ctx, "orders", "billing", "0").Err(), "BUSYGROUP Consumer Group name already exists")
		for i := 1; i <= 5; i++ {
			ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders", ID: fmt.Sprintf("%d-1", i), Values: []string{"n", fmt.Sprint(i)}}))
		}
		got := ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: "w1", Streams: []string{"orders", ">"}, Count: 2})).Val()
		if len(got) != 1 || len(got[0].Messages) != 2 || got[0].Messages[0].ID != "1-1" || got[0].Messages[1].Values["n"] != "2" {
			t.Fatalf("first read: %+v", got)
		}
		got = ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: "w2", Streams: []string{"orders", ">"}})).Val()
		if len(got[0].Messages) != 3 || got[0].Messages[0].ID != "3-1" {
			t.Fatalf("second read: %+v", got)
		}
		if n := ktOK(t, rdb.XAck(ctx, "orders", "billing", "1-1", "1-1", "9-9")).Val(); n != 1 {
			t.Fatalf("XACK acknowledged %d, want 1", n)
		}
		check := func(rdb *redis.Client) {
			t.Helper()
			sum := ktOK(t, rdb.XPending(ctx, "orders", "billing")).Val()
			if sum.Count != 4 || sum.Lower != "2-1" || sum.Higher != "5-1" || sum.Consumers["w1"] != 1 || sum.Consumers["w2"] != 3 {
				t.Fatalf("XPENDING summary %+v", sum)
			}
			ext := ktOK(t, rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "orders", Group: "billing", Start: "-", End: "+", Count: 10, Consumer: "w2"})).Val()
			if len(ext) != 3 || ext[0].ID != "3-1" || ext[0].Consumer != "w2" || ext[0].RetryCount != 1 {
				t.Fatalf("XPENDING extended %+v", ext)
			}
			groups := ktOK(t, rdb.XInfoGroups(ctx, "orders")).Val()
			if len(groups) != 1 || groups[0].Name != "billing" || groups[0].Consumers != 2 || groups[0].Pending != 4 ||
				groups[0].LastDeliveredID != "5-1" || groups[0].EntriesRead != 5 || groups[0].Lag != 0 {
				t.Fatalf("XINFO GROUPS %+v", groups)
			}
			cons := ktOK(t, rdb.XInfoConsumers(ctx, "orders", "billing")).Val()
			if len(cons) != 2 || cons[0].Name != "w1" || cons[0].Pending != 1 || cons[1].Pending != 3 {
				t.Fatalf("XINFO CONSUMERS %+v", cons)
			}
		}
		check(rdb)
		ts.restart()
		rdb = ts.client(proto)
		check(rdb)

		// History: w2's pending entries, each delivered once more.
		hist := ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: "w2", Streams: []string{"orders", "0"}})).Val()
		if len(hist) != 1 || len(hist[0].Messages) != 3 || hist[0].Messages[2].ID != "5-1" {
			t.Fatalf("history read %+v", hist)
		}
		ext := ktOK(t, rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "orders", Group: "billing", Start: "3-1", End: "3-1", Count: 1})).Val()
		if len(ext) != 1 || ext[0].RetryCount != 2 {
			t.Fatalf("delivery count after a history read: %+v", ext)
		}
		// A deleted pending entry reads back as [id, nil].
		ktOK(t, rdb.XDel(ctx, "orders", "4-1"))
		hist = ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: "w2", Streams: []string{"orders", "3-1"}})).Val()
		if len(hist[0].Messages) != 2 || hist[0].Messages[0].ID != "4-1" || hist[0].Messages[0].Values != nil {
			t.Fatalf("history with a deleted entry %+v", hist)
		}
		if n := ktOK(t, rdb.XGroupDelConsumer(ctx, "orders", "billing", "w2")).Val(); n != 3 {
			t.Fatalf("DELCONSUMER returned %d pending, want 3", n)
		}
		if n := ktOK(t, rdb.XGroupCreateConsumer(ctx, "orders", "billing", "w3")).Val(); n != 1 {
			t.Fatalf("CREATECONSUMER %d", n)
		}
		ktWantErr(t, rdb.XGroupSetID(ctx, "orders", "nope", "0").Err(), "NOGROUP No such consumer group 'nope' for key name 'orders'")
		ktWantErr(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "nope", Consumer: "c", Streams: []string{"orders", ">"}}).Err(),
			"NOGROUP No such key 'orders' or consumer group 'nope' in XREADGROUP with GROUP option")
		if n := ktOK(t, rdb.XGroupDestroy(ctx, "orders", "billing")).Val(); n != 1 {
			t.Fatalf("DESTROY %d", n)
		}
	})
}

// TestXReadGroupBlockWokenByPublish: a blocked XREADGROUP > returns the
// entry a PUBLISH appends, and NOACK leaves nothing pending.
func TestXReadGroupBlockWokenByPublish(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	rdb := ts.client(2)
	ktOK(t, rdb.XGroupCreateMkStream(ctx, "news", "g", "$"))
	done := make(chan []redis.XStream, 1)
	go func() {
		c := ts.client(3)
		res, _ := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"news", ">"}, Block: 5 * time.Second, NoAck: true}).Result()
		done <- res
	}()
	time.Sleep(100 * time.Millisecond)
	ktOK(t, rdb.Publish(ctx, "news", "hello"))
	select {
	case res := <-done:
		if len(res) != 1 || len(res[0].Messages) != 1 || res[0].Messages[0].Values["message"] != "hello" {
			t.Fatalf("blocked XREADGROUP got %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("XREADGROUP BLOCK was not woken by PUBLISH")
	}
	if sum := ktOK(t, rdb.XPending(ctx, "news", "g")).Val(); sum.Count != 0 {
		t.Fatalf("NOACK left %d pending", sum.Count)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"news", ">"}, Block: 50 * time.Millisecond}).Err(); err != redis.Nil {
		t.Fatalf("timed-out XREADGROUP: %v, want nil reply", err)
	}
}
