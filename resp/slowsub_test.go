package resp

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/rewind-mq/rewind/broker"
)

// dialSmallWindow is dialRaw with a 4 KiB receive buffer, so that what the
// server sends a client that does not read stays in the server's memory
// rather than in the kernel's.
func dialSmallWindow(t testing.TB, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
}

// waitOutputReleased waits until no subscriber output is counted anywhere
// and the given clients (idle now) hold no output: every chunk taken was
// returned and uncounted.
func waitOutputReleased(t *testing.T, ts *testServer, idle ...*rawConn) {
	t.Helper()
	waitFor(t, 5*time.Second, "all output released", func() error {
		if n := ts.Srv.pushBytes.Load(); n != 0 {
			return fmt.Errorf("%d bytes of subscriber output still counted", n)
		}
		for i, c := range idle {
			if sc := serverConn(ts, c); sc == nil {
				return fmt.Errorf("idle client %d is gone", i)
			} else if n := sc.held.Load(); n != 0 {
				return fmt.Errorf("idle client %d holds %d bytes of output", i, n)
			}
		}
		return nil
	})
}

// Past TotalSubscriberBufferBytes, the subscriber holding the most output
// is disconnected, and only as many as needed: a smaller subscriber keeps
// everything it was sent, and a client that only receives a large reply
// (no pushes) is never chosen, however much it holds.
func TestSubscriberOutputServerWideLimit(t *testing.T) {
	ts := newTestServer(t, withLimits(broker.Limits{
		MaxMessageBytes:            64 << 10,
		SubscriberBufferBytes:      64 << 20, // far above: only the server-wide limit acts
		TotalSubscriberBufferBytes: 2 << 20,
	}))
	big := dialSmallWindow(t, ts.Addr)
	big.do("SUBSCRIBE", "wide")
	big.do("SUBSCRIBE", "narrow")
	small := dialSmallWindow(t, ts.Addr)
	small.do("SUBSCRIBE", "wide")
	seedStream(t, ts.Addr, "log", 4000, 1000)
	replies := dialSmallWindow(t, ts.Addr)
	replies.write(encodeCommand("XRANGE", "log", "-", "+")) // ~4 MiB, read at the end

	pub := dialRaw(t, ts.Addr)
	payload := strings.Repeat("x", 32<<10)
	const wide = 16 // 512 KiB to both subscribers: under the limit together
	for i := 0; i < wide; i++ {
		if got := pub.do("PUBLISH", "wide", payload); got != integer(2) {
			t.Fatalf("PUBLISH wide: %q", got)
		}
	}
	for i := 0; ts.Srv.stats.evictedClients.Load() == 0; i++ {
		if i == 256 {
			t.Fatalf("8 MiB queued for a subscriber that does not read, and nobody was evicted")
		}
		pub.do("PUBLISH", "narrow", payload)
	}

	big.expectClosed()
	for i := 0; i < wide; i++ {
		if got := small.read(); got != arr(3)+bulk("message")+bulk("wide")+bulk(payload) {
			t.Fatalf("message %d to the smaller subscriber: %.60q", i, got)
		}
	}
	if got := replies.read(); !strings.HasPrefix(got, arr(4000)) || len(got) < 4000*1000 {
		t.Fatalf("the client receiving a reply got %d bytes: %.60q", len(got), got)
	}
	if n := ts.Srv.stats.evictedClients.Load(); n != 1 {
		t.Fatalf("%d clients evicted, want only the largest", n)
	}
	waitOutputReleased(t, ts, small, replies)
	if got := pub.do("INFO", "stats"); !strings.Contains(got, "evicted_clients:1\r\n") {
		t.Fatalf("INFO stats: %q", got)
	}
	if got := pub.do("INFO", "clients"); !strings.Contains(got, "rewind_subscriber_output_bytes:0\r\n") {
		t.Fatalf("INFO clients: %q", got)
	}
}

// A subscriber's limit counts the output being written as well as what is
// queued: one that does not read is disconnected with at most about its
// limit in memory, and every chunk it held is returned.
func TestSubscriberLimitCountsOutputBeingWritten(t *testing.T) {
	const limit = 256 << 10
	ts := newTestServer(t, withLimits(broker.Limits{MaxMessageBytes: 64 << 10, SubscriberBufferBytes: limit}))
	slow := dialSmallWindow(t, ts.Addr)
	slow.do("SUBSCRIBE", "ch")
	sc := serverConn(ts, slow)
	pub := dialRaw(t, ts.Addr)
	payload := strings.Repeat("x", 16<<10)
	var maxHeld int64
	for i := 0; ts.Srv.stats.subscriberDrops.Load() == 0; i++ {
		if i == 1024 {
			t.Fatal("16 MiB published to a subscriber that does not read, and it was not disconnected")
		}
		pub.do("PUBLISH", "ch", payload)
		maxHeld = max(maxHeld, sc.held.Load())
	}
	// Checked as each message is added: over by at most one message.
	if maxHeld > limit+int64(len(payload))+int64(ts.Srv.chunks.size) {
		t.Fatalf("the subscriber held %d bytes, limit %d", maxHeld, limit)
	}
	slow.expectClosed()
	waitFor(t, 5*time.Second, "the dropped subscriber's output released", func() error {
		if n := sc.held.Load(); n != 0 {
			return fmt.Errorf("%d bytes still held", n)
		}
		return nil
	})
	waitOutputReleased(t, ts, pub)
}

// Output chunks are a small part of the subscriber limit, so a subscriber
// that reads is served even with the smallest limit allowed (1 KiB).
func TestSubscriberWithSmallestLimitIsServed(t *testing.T) {
	ts := newTestServer(t, withLimits(broker.Limits{SubscriberBufferBytes: 1 << 10}))
	sub := dialRaw(t, ts.Addr)
	sub.do("SUBSCRIBE", "ch")
	pub := dialRaw(t, ts.Addr)
	payload := strings.Repeat("x", 100)
	for i := 0; i < 100; i++ {
		if got := pub.do("PUBLISH", "ch", payload); got != integer(1) {
			t.Fatalf("PUBLISH %d: %q", i, got)
		}
		if got := sub.read(); got != arr(3)+bulk("message")+bulk("ch")+bulk(payload) {
			t.Fatalf("message %d: %q", i, got)
		}
	}
	if n := ts.Srv.stats.subscriberDrops.Load(); n != 0 {
		t.Fatalf("%d subscribers dropped", n)
	}
}

// Delivering to a subscriber whose socket is full appends chunks after
// what it holds and never moves or copies them: the fan-out's cost is the
// message, not the backlog.
func TestDeliverNeverCopiesQueuedOutput(t *testing.T) {
	ts := newTestServer(t, withLimits(broker.Limits{MaxMessageBytes: 64 << 10, SubscriberBufferBytes: 64 << 20}))
	slow := dialSmallWindow(t, ts.Addr)
	slow.do("SUBSCRIBE", "ch")
	sc := serverConn(ts, slow)
	pub := dialRaw(t, ts.Addr)
	payload := strings.Repeat("x", 16<<10)
	// The queued chunks, and where their bytes are.
	type placed struct {
		chunk *outChunk
		data  *byte
	}
	queued := func() []placed {
		sc.out.mu.Lock()
		defer sc.out.mu.Unlock()
		var q []placed
		for _, ch := range sc.out.chunks {
			q = append(q, placed{ch, unsafe.SliceData(ch.b)})
		}
		return q
	}
	var before []placed
	for i := 0; len(before) < 8; i++ {
		if i == 4096 {
			t.Fatal("the subscriber's output is not queued: is its socket not full?")
		}
		pub.do("PUBLISH", "ch", payload)
		before = queued()
	}
	for i := 0; i < 64; i++ {
		pub.do("PUBLISH", "ch", payload)
	}
	after := queued()
	if len(after) <= len(before) {
		t.Fatalf("%d chunks queued, then %d: the queue did not grow", len(before), len(after))
	}
	for i := range before {
		if after[i] != before[i] {
			t.Fatalf("queued chunk %d was replaced or moved", i)
		}
	}
}
