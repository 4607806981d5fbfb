package resp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// CLIENT REPLY where the differential scripts cannot go (the top-level
// testdata/diff/client_reply.txt has the cases Redis shares): rewind's own
// commands and features, and where rewind differs from Redis on purpose.

// TestClientReplyOffClose: QUIT and a protocol error under CLIENT REPLY
// OFF send nothing, as in Redis. Redis 7.0.15 then leaves the connection
// open without reading from it (it closes after a reply that never comes);
// rewind closes it.
func TestClientReplyOffClose(t *testing.T) {
	ts := newTestServer(t)
	for _, input := range []string{"CLIENT REPLY OFF\r\nQUIT\r\n", "CLIENT REPLY OFF\r\n*1\r\n$x\r\n"} {
		c := dialRaw(t, ts.Addr)
		c.write(input)
		if rest := c.expectClosed(); rest != "" {
			t.Fatalf("%q: sent %q under CLIENT REPLY OFF", input, rest)
		}
	}
}

// TestClientReplyXStream: XSTREAM's chunks, written straight to the socket,
// are withheld like any reply.
func TestClientReplyXStream(t *testing.T) {
	ts := newTestServer(t)
	c := dialRaw(t, ts.Addr)
	for _, id := range []string{"1-1", "2-1"} {
		c.do("XADD", "s", id, "f", "v")
	}
	c.write("CLIENT REPLY SKIP\r\nXSTREAM s - +\r\nPING\r\n")
	if got := c.read(); got != "+PONG\r\n" {
		t.Fatalf("after a skipped XSTREAM: %q, want +PONG", got)
	}
	c.write("CLIENT REPLY OFF\r\nXSTREAM s - +\r\nCLIENT REPLY ON\r\n")
	if got := c.read(); got != "+OK\r\n" {
		t.Fatalf("after XSTREAM under OFF: %q, want +OK", got)
	}
}

// TestClientReplyResumeCatchUp: a resumable subscriber's catch-up from the
// log is pushes, sent under CLIENT REPLY OFF like live messages; and its
// cursor moves past live messages as they are sent.
func TestClientReplyResumeCatchUp(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "app-*" })
	pub := dialRaw(t, ts.addr)
	sub := dialRaw(t, ts.addr)
	sub.do("CLIENT", "SETNAME", "app-a")
	sub.do("SUBSCRIBE", "news")
	sub.do("UNSUBSCRIBE", "news")
	for _, m := range []string{"m1", "m2"} {
		pub.do("PUBLISH", "news", m)
	}
	sub.write("CLIENT REPLY OFF\r\nSUBSCRIBE news\r\n")
	want := []string{
		arr(3) + bulk("subscribe") + bulk("news") + integer(1),
		arr(3) + bulk("message") + bulk("news") + bulk("m1"),
		arr(3) + bulk("message") + bulk("news") + bulk("m2"),
	}
	for _, w := range want {
		if got := sub.read(); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
	pub.do("PUBLISH", "news", "m3")
	if got, w := sub.read(), arr(3)+bulk("message")+bulk("news")+bulk("m3"); got != w {
		t.Fatalf("live message under OFF: %q, want %q", got, w)
	}
	sub.write("PING\r\nUNSUBSCRIBE news\r\n")
	if got := sub.read(); !strings.HasPrefix(got, arr(3)+bulk("unsubscribe")) {
		t.Fatalf("after a withheld PING: %q, want the unsubscribe confirmation", got)
	}
	waitFor(t, 5*time.Second, "the cursor at m3", func() error {
		id, ok, err := ts.b.CursorOf([]byte("app-a"), []byte("news"))
		if m, _ := ts.b.Meta([]byte("news")); err != nil || !ok || id.ID != m.LastID {
			return fmt.Errorf("cursor %v %v %v, want %v", id, ok, err, m.LastID)
		}
		return nil
	})
}
