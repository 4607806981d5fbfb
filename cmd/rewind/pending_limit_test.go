package main

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestServePendingLimitFlag: `rewind serve --max-pending-per-group 2`
// gives a consumer group no more than 2 entries pending: a third
// XREADGROUP > gets a nil reply until an XACK makes room.
func TestServePendingLimitFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real process")
	}
	srv := startServer(t, rewindBinary(t), t.TempDir(), freePort(t), "--max-pending-per-group", "2")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	defer c.Close()
	for _, id := range []string{"1-1", "1-2", "1-3"} {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: id, Values: []string{"message", id}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.XGroupCreate(ctx, "s", "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	read := func() ([]redis.XStream, error) {
		return c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: -1}).Result()
	}
	if res, err := read(); err != nil || len(res[0].Messages) != 2 {
		t.Fatalf("first read: %v %v, want 2 entries", res, err)
	}
	if res, err := read(); err != redis.Nil {
		t.Fatalf("read of a full group: %v %v, want a nil reply", res, err)
	}
	if err := c.XAck(ctx, "s", "g", "1-1").Err(); err != nil {
		t.Fatal(err)
	}
	if res, err := read(); err != nil || len(res[0].Messages) != 1 || res[0].Messages[0].ID != "1-3" {
		t.Fatalf("read after an ack: %v %v, want 1-3", res, err)
	}
}
