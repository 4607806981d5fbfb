package main

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/node"
)

// TestBug4ResumeRepeatsAfterUnsubscribe is the regression test of
// jepsen/README.md bug 4, on a real process: a named subscriber that
// UNSUBSCRIBEs and reads up to the confirmation, then subscribes again,
// continues after the last message it got (the README: "no gap and no
// duplicate at the seam"). rewind saved the cursor at UNSUBSCRIBE as what
// the socket had accepted, so messages still queued then (and delivered
// before the confirmation) came again.
func TestBug4ResumeRepeatsAfterUnsubscribe(t *testing.T) {
	dir := t.TempDir()
	n, err := node.NewProcess(node.ProcessConfig{Name: "bug4", Binary: rewindBinary(t), DataDir: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "n.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := n.Start(ctx, node.Mode{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); publishCounter(ctx, n.Addr()) }()

	repeats, rounds := 0, 100
	last := -1
	for round := 0; round < rounds; round++ {
		first, l, err := namedRound(n.Addr(), 20)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if last >= 0 && first <= last {
			repeats++
			t.Logf("round %d: got %d again (last before UNSUBSCRIBE: %d)", round, first, last)
		}
		last = l
	}
	if repeats > 0 {
		t.Fatalf("%d of %d resumptions after a confirmed UNSUBSCRIBE repeated messages", repeats, rounds)
	}
}

// publishCounter publishes 0, 1, 2, ... to channel "bug4" in pipelines of
// 50 until ctx ends.
func publishCounter(ctx context.Context, addr string) {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	for i := 0; ctx.Err() == nil; {
		pipe := c.Pipeline()
		for k := 0; k < 50; k, i = k+1, i+1 {
			pipe.Publish(ctx, "bug4", strconv.Itoa(i))
		}
		_, _ = pipe.Exec(ctx)
	}
}

// namedRound subscribes as "bug4-sub", receives want messages, then
// unsubscribes and receives up to the confirmation; it returns the first
// and the last message received.
func namedRound(addr string, want int) (first, last int, err error) {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ClientName: "bug4-sub", MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	ps := c.Subscribe(ctx, "bug4")
	defer ps.Close()
	first, last = -1, -1
	got := 0
	for {
		msg, err := ps.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			return first, last, err
		}
		switch m := msg.(type) {
		case *redis.Message:
			v, _ := strconv.Atoi(m.Payload)
			if first < 0 {
				first = v
			}
			last = v
			if got++; got == want {
				// Stop reading for a moment, so that the server's
				// writes to this socket block with output queued.
				time.Sleep(30 * time.Millisecond)
				if err := ps.Unsubscribe(ctx, "bug4"); err != nil {
					return first, last, err
				}
			}
		case *redis.Subscription:
			if m.Kind == "unsubscribe" {
				return first, last, nil
			}
		}
	}
}
