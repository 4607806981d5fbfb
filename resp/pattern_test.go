package resp

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPSubscribeMissesNothingPublishedAfterConfirmation: while a client
// publishes without pause, a subscriber that already receives messages
// (so its output is being written concurrently) PSUBSCRIBEs to new
// patterns; each pattern receives every matching message sent after its
// confirmation was read. (A new pattern's confirmation waits for the
// publishes in flight, which fan-out delivers without the pattern; it
// must not reach the client before that wait is over.)
func TestPSubscribeMissesNothingPublishedAfterConfirmation(t *testing.T) {
	const patternsToAdd = 20
	addr, _ := startServer(t)
	ctx := testCtx(t)
	pub := newClient(t, addr)
	var sent atomic.Int64
	stop, stopped := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				stopped <- nil
				return
			default:
			}
			n := sent.Add(1)
			if err := pub.Publish(ctx, "ch."+strconv.FormatInt(n%patternsToAdd, 10)+".", n).Err(); err != nil {
				stopped <- err
				return
			}
		}
	}()
	sub := dialRaw(t, addr)
	got := map[string]map[string]bool{} // pattern → payloads
	// readPush reads one push and returns its kind and pattern.
	readPush := func() (kind, pattern string) {
		parts := strings.Split(sub.read(), "\r\n")
		if len(parts) < 5 {
			t.Fatalf("unexpected reply %q", parts)
		}
		if parts[2] == "pmessage" {
			if got[parts[4]] == nil {
				got[parts[4]] = map[string]bool{}
			}
			got[parts[4]][parts[8]] = true
		}
		return parts[2], parts[4]
	}
	sub.write(encodeCommand("PSUBSCRIBE", "ch*"))
	after := map[string]int64{}
	for i := range patternsToAdd {
		pattern := fmt.Sprintf("ch.%d.*", i)
		sub.write(encodeCommand("PSUBSCRIBE", pattern))
		for kind, p := readPush(); kind != "psubscribe" || p != pattern; kind, p = readPush() {
		}
		after[pattern] = sent.Load()
		for sent.Load() < after[pattern]+20 && ctx.Err() == nil {
			time.Sleep(time.Millisecond) // let messages flow before the next
		}
	}
	close(stop)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	last := sent.Load() - 1 // the last number was not published
	sub.write(encodeCommand("PING", "end"))
	for {
		if kind, _ := readPush(); kind == "pong" {
			break // every message published before is read
		}
	}
	for i := range patternsToAdd {
		pattern := fmt.Sprintf("ch.%d.*", i)
		for n := after[pattern] + 1; n <= last; n++ {
			if n%patternsToAdd == int64(i) && !got[pattern][strconv.FormatInt(n, 10)] {
				t.Fatalf("pattern %s, confirmed after message %d was sent, missed message %d", pattern, after[pattern], n)
			}
		}
	}
}
