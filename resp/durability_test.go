package resp

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// walSyncGate blocks fsyncs of Pebble's WAL while closed, or fails them.
type walSyncGate struct {
	mu      sync.Mutex
	release chan struct{} // non-nil: syncs wait for it
	fail    bool
	waiting chan struct{}
}

func (g *walSyncGate) String() string { return "walSyncGate" }

func (g *walSyncGate) MaybeError(op errorfs.Op) error {
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
	default:
		return nil
	}
	if !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	g.mu.Lock()
	rel, fail := g.release, g.fail
	g.mu.Unlock()
	if fail {
		return errorfs.ErrInjected
	}
	if rel != nil {
		select {
		case g.waiting <- struct{}{}:
		default:
		}
		<-rel
	}
	return nil
}

func (g *walSyncGate) stall() {
	g.mu.Lock()
	g.release = make(chan struct{})
	g.mu.Unlock()
}

func (g *walSyncGate) unstall() {
	g.mu.Lock()
	close(g.release)
	g.release = nil
	g.mu.Unlock()
}

func (g *walSyncGate) failSyncs() {
	g.mu.Lock()
	g.fail = true
	g.mu.Unlock()
}

// startGatedServer runs a broker on an in-memory filesystem whose WAL
// fsyncs the gate controls, with a RESP server in front.
func startGatedServer(t *testing.T) (string, *walSyncGate) {
	t.Helper()
	gate := &walSyncGate{waiting: make(chan struct{}, 1)}
	b, err := broker.Open(broker.Config{Dir: "data", FS: errorfs.Wrap(vfs.NewMem(), gate)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() {
		gate.mu.Lock()
		if gate.release != nil {
			close(gate.release)
			gate.release = nil
		}
		gate.mu.Unlock()
		_ = srv.Close()
		_ = b.Close()
	})
	return srv.Addr().(*net.TCPAddr).String(), gate
}

// TestNothingVisibleBeforeFsync: while the WAL fsync is stalled, a PUBLISH
// is not answered and no reader sees its entry — not SUBSCRIBE, not a
// blocked XREAD, not XRANGE or XLEN. Once the fsync returns, all of them do.
func TestNothingVisibleBeforeFsync(t *testing.T) {
	addr, gate := startGatedServer(t)
	ctx := context.Background()
	pub := redis.NewClient(&redis.Options{Addr: addr})
	defer pub.Close()
	reader := redis.NewClient(&redis.Options{Addr: addr})
	defer reader.Close()
	if err := pub.Publish(ctx, "news", "before").Err(); err != nil {
		t.Fatal(err)
	}
	sub := reader.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := sub.Channel()

	blocked := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1})
	defer blocked.Close()
	xread := make(chan []redis.XStream, 1)
	go func() {
		res, _ := blocked.XRead(ctx, &redis.XReadArgs{Streams: []string{"news", "$"}, Block: 0}).Result()
		xread <- res
	}()
	time.Sleep(100 * time.Millisecond) // let XREAD block

	gate.stall()
	published := make(chan int64, 1)
	go func() {
		n, _ := pub.Publish(ctx, "news", "stalled").Result()
		published <- n
	}()
	select {
	case <-gate.waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("the publish never reached fsync")
	}
	check := redis.NewClient(&redis.Options{Addr: addr})
	defer check.Close()
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		select {
		case <-published:
			t.Fatal("PUBLISH was answered before its fsync")
		case m := <-msgs:
			t.Fatalf("subscriber got %q before its fsync", m.Payload)
		case r := <-xread:
			t.Fatalf("XREAD returned %v before the fsync", r)
		default:
		}
		entries, err := check.XRange(ctx, "news", "-", "+").Result()
		if err != nil || len(entries) != 1 {
			t.Fatalf("XRANGE during the stall: %v %v", entries, err)
		}
		if n, _ := check.XLen(ctx, "news").Result(); n != 1 {
			t.Fatalf("XLEN during the stall: %d", n)
		}
	}
	gate.unstall()
	select {
	case n := <-published:
		if n != 1 {
			t.Fatalf("PUBLISH reached %d subscribers, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("PUBLISH not answered after the fsync")
	}
	select {
	case m := <-msgs:
		if m.Payload != "stalled" {
			t.Fatalf("subscriber got %q", m.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber never got the message")
	}
	select {
	case r := <-xread:
		if len(r) != 1 || len(r[0].Messages) != 1 || r[0].Messages[0].Values["message"] != "stalled" {
			t.Fatalf("XREAD returned %v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("XREAD never woke")
	}
}

// TestFailedFsyncNeverAcknowledged: a PUBLISH whose fsync fails gets an
// error, is never delivered, and the node refuses later writes with a clear
// error while still serving reads of what is durable.
func TestFailedFsyncNeverAcknowledged(t *testing.T) {
	addr, gate := startGatedServer(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"message", "durable"}}).Err(); err != nil {
		t.Fatal(err)
	}
	sub := c.Subscribe(ctx, "s")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	gate.failSyncs()
	err := c.Publish(ctx, "s", "lost").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Fatalf("PUBLISH with a failing fsync: %v, want a MISCONF error", err)
	}
	err = c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"f", "v"}}).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Fatalf("XADD after the failure: %v, want a MISCONF error", err)
	}
	select {
	case m := <-sub.Channel():
		t.Fatalf("subscriber got %q from a failed write", m.Payload)
	case <-time.After(200 * time.Millisecond):
	}
	entries, err := c.XRange(ctx, "s", "-", "+").Result()
	if err != nil || len(entries) != 1 || entries[0].ID != "1-1" {
		t.Fatalf("reads after the failure: %v %v", entries, err)
	}
}

// TestBlockedXReadFreedOnDisconnect: a client blocked in XREAD BLOCK 0 that
// disconnects is noticed at once (its connection leaves CLIENT LIST), and a
// command pipelined behind a blocking XREAD runs when the XREAD returns.
func TestBlockedXReadFreedOnDisconnect(t *testing.T) {
	addr, _ := startGatedServer(t)
	ctx := context.Background()
	check := redis.NewClient(&redis.Options{Addr: addr})
	defer check.Close()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write([]byte("XREAD BLOCK 0 STREAMS s $\r\n")); err != nil {
		t.Fatal(err)
	}
	clients := func() int {
		list, err := check.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(list, "\n")
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatal(what)
			}
		}
	}
	waitFor("the blocked client never showed up", func() bool { return clients() == 2 })
	raw.Close()
	waitFor("a disconnected XREAD BLOCK client was not freed", func() bool { return clients() == 1 })

	raw, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Write([]byte("XREAD BLOCK 0 STREAMS s $\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := raw.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := check.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "5-1", Values: []string{"message", "x"}}).Err(); err != nil {
		t.Fatal(err)
	}
	_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for !strings.HasSuffix(string(got), "+PONG\r\n") {
		n, err := raw.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	if !strings.Contains(string(got), "5-1") {
		t.Fatalf("XREAD reply missing: %q", got)
	}
}
