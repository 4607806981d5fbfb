package resp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// readGroup runs XREADGROUP GROUP group consumer [COUNT count] [BLOCK
// block] STREAMS key > and returns the IDs it got (none for a nil reply).
func readGroup(t *testing.T, rdb *redis.Client, key, group, consumer string, count int64, block time.Duration) []string {
	t.Helper()
	res, err := rdb.XReadGroup(keysCtx(t), &redis.XReadGroupArgs{Group: group, Consumer: consumer, Streams: []string{key, ">"},
		Count: count, Block: block}).Result()
	if err == redis.Nil {
		return nil
	}
	if err != nil {
		t.Fatalf("XREADGROUP %s %s: %v", key, group, err)
	}
	var ids []string
	for _, m := range res[0].Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestPendingLimitBlockedReadWakesOnAck: with the server's limit of 2
// pending entries per group, a group holding 2 gets a nil reply to
// XREADGROUP >, as when nothing is new; a BLOCK read waits, and the XACK
// that makes room for one entry wakes it with exactly one. NOACK reads
// are not limited.
func TestPendingLimitBlockedReadWakesOnAck(t *testing.T) {
	ts := startServerForKeysTest(t, func(b *broker.Config, _ *Config) { b.Limits.MaxPendingPerGroup = 2 })
	ctx := keysCtx(t)
	rdb := ts.client(2)
	ktXAdd(t, rdb, "s", "1-1", "1-2", "1-3", "1-4", "1-5")
	ktOK(t, rdb.XGroupCreate(ctx, "s", "g", "0"))
	if got := readGroup(t, rdb, "s", "g", "alice", 10, -1); fmt.Sprint(got) != "[1-1 1-2]" {
		t.Fatalf("first read at the limit 2: %v", got)
	}
	if got := readGroup(t, rdb, "s", "g", "bob", 0, -1); got != nil {
		t.Fatalf("read of a full group: %v, want a nil reply", got)
	}
	blocked := redis.NewClient(&redis.Options{Addr: ts.addr, ReadTimeout: -1})
	defer blocked.Close()
	woken := make(chan []string, 1)
	go func() {
		res, err := blocked.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "bob", Streams: []string{"s", ">"},
			Block: 20 * time.Second}).Result()
		var ids []string
		if err == nil {
			for _, m := range res[0].Messages {
				ids = append(ids, m.ID)
			}
		}
		woken <- append(ids, fmt.Sprint(err))
	}()
	waitFor(t, 10*time.Second, "the reader to block", func() error {
		if info := rdb.Info(ctx, "clients").Val(); !strings.Contains(info, "blocked_clients:1\r\n") {
			return fmt.Errorf("INFO clients: %q", info)
		}
		return nil
	})
	ktXAdd(t, rdb, "s", "1-6") // wakes the reader, which finds no room and waits again
	if n := ktOK(t, rdb.XAck(ctx, "s", "g", "1-1")).Val(); n != 1 {
		t.Fatalf("XACK: %d", n)
	}
	select {
	case got := <-woken:
		if fmt.Sprint(got) != "[1-3 <nil>]" {
			t.Fatalf("the woken reader got %v, want [1-3] (room for one)", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the XACK that made room did not wake the blocked reader")
	}
	res := ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "carol", Streams: []string{"s", ">"}, NoAck: true}))
	if ms := res.Val()[0].Messages; len(ms) != 3 || ms[0].ID != "1-4" {
		t.Fatalf("NOACK read of a full group: %v", ms)
	}
	if sum := ktOK(t, rdb.XPending(ctx, "s", "g")).Val(); sum.Count != 2 {
		t.Fatalf("pending after the NOACK read: %d", sum.Count)
	}
}

// TestPendingLimitPerGroup: XGROUP CREATE and SETCONFIG take MAXPENDING
// n, which wins over the server's limit (0: back to it), GETCONFIG shows
// it, it survives a restart, and a negative one is refused.
func TestPendingLimitPerGroup(t *testing.T) {
	ts := startServerForKeysTest(t, func(b *broker.Config, _ *Config) { b.Limits.MaxPendingPerGroup = 3 })
	ctx := keysCtx(t)
	rdb := ts.client(2)
	ktXAdd(t, rdb, "s", "1-1", "1-2", "1-3", "1-4", "1-5", "1-6", "1-7", "1-8")
	ktOK(t, rdb.Do(ctx, "XGROUP", "CREATE", "s", "g", "0", "MAXPENDING", 1))
	if got := readGroup(t, rdb, "s", "g", "a", 0, -1); fmt.Sprint(got) != "[1-1]" {
		t.Fatalf("read at the group's limit 1: %v", got)
	}
	ts.restart()
	rdb = ts.client(3)
	cfg := ktOK(t, rdb.Do(ctx, "XGROUP", "GETCONFIG", "s", "g")).Val()
	if m, ok := cfg.(map[interface{}]interface{}); !ok || len(m) != 5 || m["maxpending"] != int64(1) || m["ackwait"] != int64(0) {
		t.Fatalf("GETCONFIG after a restart: %#v", cfg)
	}
	if got := readGroup(t, rdb, "s", "g", "a", 0, -1); got != nil {
		t.Fatalf("read at the group's limit after a restart: %v", got)
	}
	ktOK(t, rdb.Do(ctx, "XGROUP", "SETCONFIG", "s", "g", "MAXPENDING", 5))
	if got := readGroup(t, rdb, "s", "g", "a", 0, -1); fmt.Sprint(got) != "[1-2 1-3 1-4 1-5]" {
		t.Fatalf("read at the group's limit 5, above the server's 3: %v", got)
	}
	ktOK(t, rdb.Do(ctx, "XGROUP", "SETCONFIG", "s", "g", "MAXPENDING", 0))
	ktOK(t, rdb.XAck(ctx, "s", "g", "1-1", "1-2", "1-3"))
	if got := readGroup(t, rdb, "s", "g", "a", 0, -1); fmt.Sprint(got) != "[1-6]" {
		t.Fatalf("read at the server's limit 3 again: %v", got)
	}
	ktWantErr(t, rdb.Do(ctx, "XGROUP", "SETCONFIG", "s", "g", "MAXPENDING", -1).Err(), "ERR MAXPENDING must be a non-negative integer")
	ktWantErr(t, rdb.Do(ctx, "XGROUP", "CREATE", "s", "g2", "0", "MAXPENDING", "x").Err(), "ERR MAXPENDING must be a non-negative integer")
}
