package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestKill9AfterDel: a DEL is durable before its reply. Channels with
// entries, a consumer group and a named subscriber's cursor are deleted,
// and the process is killed with SIGKILL right after the replies. After the
// restart every deleted channel is gone with its group, a channel of the
// same name is a new one (IDs from 1-1 again, entries-added 1), and the named
// subscriber's old, higher cursor does not hide the new channel's entries.
func TestKill9AfterDel(t *testing.T) {
	bin := rewindBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	srv := startServer(t, bin, dir, port)
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	const channels = 20
	for i := range channels {
		ch := fmt.Sprintf("gone-%d", i)
		for j := range 5 {
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: ch, ID: fmt.Sprintf("1000-%d", j), Values: []string{"message", "old"}}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := rdb.XGroupCreate(ctx, ch, "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	// A named subscriber reads gone-0 up to 1000-4 and leaves: its cursor
	// is saved at UNSUBSCRIBE.
	sub := redis.NewClient(&redis.Options{Addr: srv.addr, ClientName: "app-sub"})
	ps := sub.Subscribe(ctx, "gone-0")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "gone-0", ID: "2000-0", Values: []string{"message", "seen"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if m, err := ps.ReceiveMessage(ctx); err != nil || m.Payload != "seen" {
		t.Fatalf("named subscriber: %v %v", m, err)
	}
	if err := ps.Unsubscribe(ctx, "gone-0"); err != nil {
		t.Fatal(err)
	}
	_ = ps.Close()
	_ = sub.Close()

	for i := range channels {
		if n, err := rdb.Del(ctx, fmt.Sprintf("gone-%d", i)).Result(); err != nil || n != 1 {
			t.Fatalf("DEL gone-%d: %d %v", i, n, err)
		}
	}
	srv.kill9(t)
	_ = rdb.Close()

	srv = startServer(t, bin, dir, port)
	rdb = redis.NewClient(&redis.Options{Addr: srv.addr})
	defer rdb.Close()
	for i := range channels {
		ch := fmt.Sprintf("gone-%d", i)
		if n := rdb.Exists(ctx, ch).Val(); n != 0 {
			t.Fatalf("%s exists after DEL and kill -9", ch)
		}
		if err := rdb.XInfoGroups(ctx, ch).Err(); err == nil || !strings.Contains(err.Error(), "no such key") {
			t.Fatalf("XINFO GROUPS %s after DEL and kill -9: %v", ch, err)
		}
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "gone-0", ID: "1-1", Values: []string{"message", "new"}}).Err(); err != nil {
		t.Fatal(err)
	}
	info := rdb.XInfoStream(ctx, "gone-0").Val()
	if info.Length != 1 || info.EntriesAdded != 1 || info.Groups != 0 {
		t.Fatalf("the new gone-0: %+v", info)
	}
	sub = redis.NewClient(&redis.Options{Addr: srv.addr, ClientName: "app-sub"})
	defer sub.Close()
	ps = sub.Subscribe(ctx, "gone-0")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := ps.ReceiveTimeout(ctx, 10*time.Second)
	if msg, ok := m.(*redis.Message); err != nil || !ok || msg.Payload != "new" {
		t.Fatalf("resumed subscriber of the new gone-0: %#v %v", m, err)
	}
}
