package resp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// smallLimits make the limits reachable in a test.
var smallLimits = broker.Limits{
	MaxMessageBytes:       1 << 10,
	MaxQueryBytes:         64 << 10,
	SubscriberBufferBytes: 64 << 10,
}

// TestBadInputProtocolErrors sends malformed requests: each gets Redis's
// error, then the connection is closed, and the server goes on serving.
func TestBadInputProtocolErrors(t *testing.T) {
	addr, _ := startServer(t, withLimits(smallLimits))
	witness := dialRaw(t, addr)
	cases := []struct {
		name, input, want string
	}{
		{"multibulk length", "*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"multibulk leading zero", "*01\r\n$4\r\nPING\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"multibulk over MaxArgs", "*2000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"bulk length", "*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"negative bulk length", "*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"bulk over MaxQueryBytes", "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$70000\r\n", "-ERR Protocol error: invalid bulk length (max 65536 bytes per argument; see --max-message-bytes)\r\n"},
		{"dollar expected", "*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
		{"unbalanced double quote", "ECHO \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"unbalanced single quote", "ECHO 'abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"text after a closing quote", "ECHO \"a\"b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"too big inline", strings.Repeat("x", 70<<10), "-ERR Protocol error: too big inline request\r\n"},
		{"too big multibulk count", "*" + strings.Repeat("1", 70<<10), "-ERR Protocol error: too big mbulk count string\r\n"},
		{"too big bulk count", "*1\r\n$" + strings.Repeat("1", 70<<10), "-ERR Protocol error: too big bulk count string\r\n"},
		// Commands before the bad one are answered first.
		{"after a good command", "PING\r\n*1\r\n$x\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rc.write(tc.input)
			if got := rc.expectClosed(); got != tc.want {
				t.Fatalf("got %q then close, want %q", got, tc.want)
			}
			if got := witness.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("another client after the error: %q", got)
			}
		})
	}
}

// TestBadInputKeepsConnection: errors that are not protocol errors leave
// the connection usable.
func TestBadInputKeepsConnection(t *testing.T) {
	addr, _ := startServer(t, withLimits(smallLimits))
	rc := dialRaw(t, addr)
	big := strings.Repeat("m", smallLimits.MaxMessageBytes+1)
	tooLarge := "-ERR message too large (max 1024 bytes; see --max-message-bytes)\r\n"
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"PUBLISH", "ch", big}, tooLarge},
		{[]string{"SPUBLISH", "ch", big}, tooLarge},
		{[]string{"XADD", "ch", "1-1", "f", big}, tooLarge},
		{[]string{"PUBLISH", "ch", big[:smallLimits.MaxMessageBytes]}, ":0\r\n"},
		{[]string{"NOSUCHCOMMAND", "x"}, "-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \r\n"},
		{[]string{"XLEN"}, "-ERR wrong number of arguments for 'xlen' command\r\n"},
		{[]string{"XLEN", "ch"}, ":1\r\n"},
	}
	for _, s := range steps {
		if got := rc.do(s.args...); got != s.want {
			t.Fatalf("%.40q: got %q, want %q", s.args, got, s.want)
		}
	}
}

// TestBadInputInline: telnet-style commands work, with \r\n or \n.
func TestBadInputInline(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	rc.write("PING\r\nPUBLISH ch hi\nXADD ch 99999999999999-1 f \"two words\"\r\n\r\n  \nXRANGE ch 99999999999999 +\r\n")
	want := []string{"+PONG\r\n", ":0\r\n", bulk("99999999999999-1"),
		arr(1) + arr(2) + bulk("99999999999999-1") + arr(2) + bulk("f") + bulk("two words")}
	for _, w := range want {
		if got := rc.read(); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}

// TestBadInputPipeline writes 100,000 PUBLISH and XADD commands in one go
// while reading the replies concurrently: every reply is right and in order.
func TestBadInputPipeline(t *testing.T) {
	addr, _ := startServer(t)
	const n = 100_000
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
	writeErr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(nc, 256<<10)
		for i := range n {
			if i%2 == 0 {
				fmt.Fprintf(w, "*3\r\n$7\r\nPUBLISH\r\n$2\r\npp\r\n$%d\r\n%d\r\n", len(strconv.Itoa(i)), i)
			} else {
				id := strconv.Itoa(i) + "-1"
				fmt.Fprintf(w, "*5\r\n$4\r\nXADD\r\n$2\r\nsx\r\n$%d\r\n%s\r\n$1\r\nf\r\n$1\r\nv\r\n", len(id), id)
			}
		}
		writeErr <- w.Flush()
	}()
	r := bufio.NewReaderSize(nc, 256<<10)
	for i := range n {
		var sb strings.Builder
		if err := readReply(r, &sb); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		want := ":0\r\n"
		if i%2 == 1 {
			want = bulk(strconv.Itoa(i) + "-1")
		}
		if sb.String() != want {
			t.Fatalf("reply %d = %q, want %q", i, sb.String(), want)
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	c := newClient(t, addr)
	if n1, n2 := c.XLen(testCtx(t), "pp").Val(), c.XLen(testCtx(t), "sx").Val(); n1 != n/2 || n2 != n/2 {
		t.Fatalf("XLEN pp = %d, sx = %d; want %d each", n1, n2, n/2)
	}
}

// TestBadInputSlowSubscriber: a subscriber that never reads is disconnected
// once its output passes SubscriberBufferBytes; publishers are not slowed,
// every message is in the log, and other subscribers get everything.
func TestBadInputSlowSubscriber(t *testing.T) {
	// The buffer holds a burst of pipelined messages (so a subscriber that
	// reads is never cut off) but far less than the whole stream.
	addr, _ := startServer(t, withLimits(broker.Limits{MaxMessageBytes: 16 << 10, SubscriberBufferBytes: 1 << 20}))
	ctx := testCtx(t)

	// (Its socket buffers keep their default size: with a tiny receive
	// window Linux may never deliver the FIN of a closed socket.)
	slow := dialRaw(t, addr)
	if got := slow.do("SUBSCRIBE", "firehose"); got != arr(3)+bulk("subscribe")+bulk("firehose")+integer(1) {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	good := newClient(t, addr).Subscribe(ctx, "firehose")
	defer good.Close()
	expectSubscription(t, good, "subscribe", "firehose", 1)
	const batches, perBatch = 100, 20 // 16 MB in bursts of 160 KB
	received := make(chan int, 1)
	go func() {
		n := 0
		for n < batches*perBatch {
			m, err := good.ReceiveMessage(ctx)
			if err != nil {
				break
			}
			if m.Payload[:8] != fmt.Sprintf("%08d", n) {
				break
			}
			n++
		}
		received <- n
	}()

	pub := newClient(t, addr)
	payload := strings.Repeat("x", 8<<10)
	for b := range batches {
		start := time.Now()
		cmds, err := pub.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range perBatch {
				p.Publish(ctx, "firehose", fmt.Sprintf("%08d", b*perBatch+i)+payload)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("a batch of %d PUBLISH took %v: the slow subscriber slows publishers", perBatch, d)
		}
		for _, c := range cmds {
			if n := c.(*redis.IntCmd).Val(); n < 1 || n > 2 {
				t.Fatalf("batch %d: PUBLISH receivers = %d", b, n)
			}
		}
	}
	if n := <-received; n != batches*perBatch {
		t.Fatalf("the reading subscriber got %d of %d messages in order", n, batches*perBatch)
	}
	// The slow one was cut off: its stream ends (EOF, not a timeout) before
	// all the messages.
	_ = slow.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.Copy(io.Discard, slow.r)
	if err != nil {
		t.Fatalf("the slow subscriber was not disconnected: %v after %d bytes", err, got)
	}
	if got >= int64(batches*perBatch*len(payload)) {
		t.Fatalf("the slow subscriber received everything (%d bytes)", got)
	}
	if nums, _ := pub.PubSubNumSub(ctx, "firehose").Result(); nums["firehose"] != 1 {
		t.Fatalf("NUMSUB firehose = %v, want 1", nums)
	}
	if n, err := pub.XLen(ctx, "firehose").Result(); err != nil || n != batches*perBatch {
		t.Fatalf("XLEN = %d, %v; want every message in the log", n, err)
	}
}

// TestBadInputNonReadingClient: a client that sends commands and never
// reads the replies does not block other clients.
func TestBadInputNonReadingClient(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)
	big := strings.Repeat("y", 64<<10)
	for i := 1; i <= 50; i++ {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "bulky", ID: strconv.Itoa(i) + "-1", Values: []string{"f", big}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	hog := dialRaw(t, addr)
	// About 3 MB of replies per command, never read.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd := encodeCommand("XRANGE", "bulky", "-", "+")
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = hog.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := io.WriteString(hog.nc, cmd); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					continue // the server stopped reading from it: as expected
				}
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(200 * time.Millisecond) // let the hog fill its socket buffers
	other := newClient3(t, addr)
	for i := range 20 {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := other.Ping(cctx).Err(); err != nil {
			t.Fatalf("PING %d while a client does not read: %v", i, err)
		}
		if err := other.Publish(cctx, "p", "x").Err(); err != nil {
			t.Fatalf("PUBLISH %d while a client does not read: %v", i, err)
		}
		if n, err := other.XLen(cctx, "bulky").Result(); err != nil || n != 50 {
			t.Fatalf("XLEN %d while a client does not read: %d, %v", i, n, err)
		}
		cancel()
	}
}

// TestBadInputNameLimits: a channel name over --max-channel-name-bytes or
// a pattern over --max-pattern-bytes is refused with an error naming the
// flag, nothing is written or subscribed, and the connection goes on. A
// name at the limit is accepted.
func TestBadInputNameLimits(t *testing.T) {
	limits := smallLimits
	limits.MaxChannelNameBytes, limits.MaxPatternBytes = 16, 8
	addr, _ := startServer(t, withLimits(limits))
	rc := dialRaw(t, addr)
	long, atLimit := strings.Repeat("c", 17), strings.Repeat("c", 16)
	nameErr := "-ERR channel name too long (17 bytes, max 16; see --max-channel-name-bytes)\r\n"
	patternErr := "-ERR pattern too long (9 bytes, max 8; see --max-pattern-bytes)\r\n"
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"PUBLISH", long, "m"}, nameErr},
		{[]string{"SPUBLISH", long, "m"}, nameErr},
		{[]string{"XADD", long, "*", "f", "v"}, nameErr},
		{[]string{"XGROUP", "CREATE", long, "g", "$", "MKSTREAM"}, nameErr},
		{[]string{"XGROUP", "CREATE", long, "g", "$"}, "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"},
		{[]string{"EXISTS", long}, ":0\r\n"},
		{[]string{"PUBLISH", atLimit, "m"}, ":0\r\n"},
		{[]string{"XLEN", atLimit}, ":1\r\n"},
		{[]string{"XRANGE", long, "-", "+"}, "*0\r\n"},
		{[]string{"SUBSCRIBE", "ok", long}, nameErr},
		{[]string{"SSUBSCRIBE", long}, nameErr},
		{[]string{"PSUBSCRIBE", "a*", "*aaaaaaab"}, patternErr},
		{[]string{"PUBSUB", "NUMSUB", "ok"}, "*2\r\n$2\r\nok\r\n:0\r\n"},
		{[]string{"PUBSUB", "NUMPAT"}, ":0\r\n"},
		{[]string{"PSUBSCRIBE", "*aaaaaab"}, "*3\r\n$10\r\npsubscribe\r\n$8\r\n*aaaaaab\r\n:1\r\n"},
	}
	for _, s := range steps {
		if got := rc.do(s.args...); got != s.want {
			t.Fatalf("%.60q: got %q, want %q", s.args, got, s.want)
		}
	}
}
