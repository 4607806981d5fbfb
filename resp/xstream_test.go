package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// seedStream appends n entries to key through one pipelined connection:
// IDs 1000-0, 1000-1, ... (ten per ms), each with a "message" field of
// about size bytes, and every seventh with two more fields.
func seedStream(t testing.TB, addr, key string, n, size int) {
	t.Helper()
	c := dialRaw(t, addr)
	const batch = 500
	for done := 0; done < n; {
		var sb strings.Builder
		k := min(batch, n-done)
		for i := done; i < done+k; i++ {
			id := fmt.Sprintf("%d-%d", 1000+i/10, i%10)
			payload := fmt.Sprintf("%08d:%s", i, strings.Repeat("p", max(size-9, 0)))
			if i%7 == 0 {
				sb.WriteString(encodeCommand("XADD", key, id, "message", payload, "n", strconv.Itoa(i), "", "empty"))
			} else {
				sb.WriteString(encodeCommand("XADD", key, id, "message", payload))
			}
		}
		c.write(sb.String())
		for i := 0; i < k; i++ {
			if r := c.read(); !strings.HasPrefix(r, "$") {
				t.Fatalf("XADD: %q", r)
			}
		}
		done += k
	}
}

// entryID returns the entry number i's ID as seedStream assigns it.
func entryID(i int) string { return fmt.Sprintf("%d-%d", 1000+i/10, i%10) }

// xstreamReply is an XSTREAM reply read back: the chunks' entries (each the
// raw bytes of one XRANGE-shaped array without its header), and how it
// ended.
type xstreamReply struct {
	chunks  []string // raw bodies
	counts  []int    // entries per chunk
	raw     []int    // raw size of each chunk, header included
	end     string   // "*0\r\n" or an error reply
	entries string   // all bodies, in order
	total   int
}

// readXStream reads the arrays of one XSTREAM reply up to its end marker
// or error.
func readXStream(t testing.TB, r *bufio.Reader) xstreamReply {
	t.Helper()
	var x xstreamReply
	var all strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("XSTREAM: reading a chunk header: %v (after %d chunks)", err, len(x.chunks))
		}
		if line[0] == '-' {
			x.end = line
			break
		}
		if line[0] != '*' {
			t.Fatalf("XSTREAM: chunk header %q", line)
		}
		n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil || n < 0 {
			t.Fatalf("XSTREAM: chunk header %q", line)
		}
		if n == 0 {
			x.end = line
			break
		}
		var body strings.Builder
		for i := 0; i < n; i++ {
			if err := readReply(r, &body); err != nil {
				t.Fatalf("XSTREAM: chunk %d entry %d: %v", len(x.chunks), i, err)
			}
		}
		x.chunks = append(x.chunks, body.String())
		x.counts = append(x.counts, n)
		x.raw = append(x.raw, len(line)+body.Len())
		x.total += n
		all.WriteString(body.String())
	}
	x.entries = all.String()
	return x
}

// xrangeBody is an XRANGE reply without its array header, and its count.
func xrangeBody(t testing.TB, c *rawConn, args ...string) (string, int) {
	t.Helper()
	reply := c.do(append([]string{"XRANGE"}, args...)...)
	head, body, ok := strings.Cut(reply, "\r\n")
	if !ok || head[0] != '*' {
		t.Fatalf("XRANGE %v: %q", args, reply)
	}
	n, _ := strconv.Atoi(head[1:])
	return body, n
}

func TestXStreamMatchesXRange(t *testing.T) {
	ts := newTestServer(t)
	const n = 6000 // about 1 MiB: several chunks
	seedStream(t, ts.Addr, "s", n, 150)
	c := dialRaw(t, ts.Addr)
	for _, tc := range []struct {
		name       string
		args       []string // after the key, for both commands
		count      int      // COUNT, -1: none
		wantChunks int      // at least
	}{
		{"all", []string{"-", "+"}, -1, 3},
		{"bounds", []string{entryID(1234), entryID(4321)}, -1, 2},
		{"ms bounds", []string{"1100", "1300"}, -1, 1},
		{"exclusive", []string{"(" + entryID(10), "(" + entryID(5000)}, -1, 2},
		{"count across chunks", []string{"-", "+"}, 2500, 2},
		{"count within a chunk", []string{entryID(17), "+"}, 3, 1},
		{"one entry", []string{entryID(99), entryID(99)}, -1, 1},
		{"past the end", []string{"5000", "+"}, -1, 0},
		{"reversed", []string{entryID(50), entryID(40)}, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"s"}, tc.args...)
			if tc.count >= 0 {
				args = append(args, "COUNT", strconv.Itoa(tc.count))
			}
			want, wantN := xrangeBody(t, c, args...)
			c.write(encodeCommand(append([]string{"XSTREAM"}, args...)...))
			x := readXStream(t, c.r)
			if x.end != "*0\r\n" {
				t.Fatalf("ended with %q", x.end)
			}
			if x.total != wantN || x.entries != want {
				t.Fatalf("XSTREAM sent %d entries in %d chunks, XRANGE %d; equal bytes: %v", x.total, len(x.chunks), wantN, x.entries == want)
			}
			if len(x.chunks) < tc.wantChunks {
				t.Errorf("%d chunks, want at least %d", len(x.chunks), tc.wantChunks)
			}
			for i, size := range x.raw {
				if size > xstreamHeaderRoom+xstreamChunkBytes+1024 {
					t.Errorf("chunk %d: %d bytes", i, size)
				}
				if i < len(x.raw)-1 && size < xstreamChunkBytes {
					t.Errorf("chunk %d of %d: only %d bytes", i, len(x.raw), size)
				}
			}
		})
	}
}

func TestXStreamReplies(t *testing.T) {
	ts := newTestServer(t)
	seedStream(t, ts.Addr, "s", 3, 10)
	first := arr(2) + bulk(entryID(0)) + arr(6) + bulk("message") + bulk("00000000:p") + bulk("n") + bulk("0") + bulk("") + bulk("empty")
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			c := dialRaw(t, ts.Addr)
			if proto == 3 {
				c.do("HELLO", "3")
			}
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"XSTREAM", "s", "-", "+", "COUNT", "1"}, arr(1) + first + arr(0)},
				{[]string{"XSTREAM", "missing", "-", "+"}, arr(0)},
				{[]string{"XSTREAM", "s", "-", "+", "COUNT", "0"}, arr(0)},
				{[]string{"XSTREAM", "s", "-", "+", "COUNT", "-5"}, arr(0)},
				{[]string{"xstream", "s", "(" + entryID(2), "+"}, arr(0)},
				{[]string{"XSTREAM", "s", "-", "+", "COUNT"}, errReply("ERR syntax error")},
				{[]string{"XSTREAM", "s", "-", "+", "COUNT", "x"}, errReply("ERR value is not an integer or out of range")},
				{[]string{"XSTREAM", "s", "nope", "+"}, errReply("ERR Invalid stream ID specified as stream command argument")},
				{[]string{"XSTREAM", "s", "-"}, errReply("ERR wrong number of arguments for 'xstream' command")},
				{[]string{"XSTREAM"}, errReply("ERR wrong number of arguments for 'xstream' command")},
			} {
				c.write(encodeCommand(tc.args...))
				var got strings.Builder
				for !strings.HasSuffix(got.String(), tc.want[len(tc.want)-min(len(tc.want), 4):]) || got.Len() < len(tc.want) {
					s, err := c.readErr(5 * time.Second)
					if err != nil {
						t.Fatalf("%v: %v after %q", tc.args, err, got.String())
					}
					got.WriteString(s)
				}
				if got.String() != tc.want {
					t.Errorf("%v:\n got %q\nwant %q", tc.args, got.String(), tc.want)
				}
			}
			help := c.do("XSTREAM", "HELP")
			if !strings.HasPrefix(help, "*") || !strings.Contains(help, "XSTREAM <key> <start> <end> [COUNT <count>]") {
				t.Errorf("XSTREAM HELP = %q", help)
			}
		})
	}
}

// Commands pipelined around an XSTREAM are answered in order: the replies
// before it, its arrays, the replies after it.
func TestXStreamPipelined(t *testing.T) {
	ts := newTestServer(t)
	seedStream(t, ts.Addr, "s", 4000, 200)
	c := dialRaw(t, ts.Addr)
	want, wantN := xrangeBody(t, c, "s", "-", "+")
	c.write(encodeCommand("PING") + encodeCommand("XSTREAM", "s", "-", "+") + encodeCommand("ECHO", "between") +
		encodeCommand("XSTREAM", "s", "-", "+", "COUNT", "3") + encodeCommand("XADD", "s", "*", "message", "after") + encodeCommand("PING", "end"))
	if r := c.read(); r != "+PONG\r\n" {
		t.Fatalf("before: %q", r)
	}
	x := readXStream(t, c.r)
	if x.end != "*0\r\n" || x.total != wantN || x.entries != want || len(x.chunks) < 2 {
		t.Fatalf("XSTREAM: %d entries in %d chunks ending %q; want %d", x.total, len(x.chunks), x.end, wantN)
	}
	if r := c.read(); r != bulk("between") {
		t.Fatalf("between: %q", r)
	}
	if x := readXStream(t, c.r); x.total != 3 || x.end != "*0\r\n" {
		t.Fatalf("second XSTREAM: %d entries, end %q", x.total, x.end)
	}
	if r := c.read(); !strings.HasPrefix(r, "$") {
		t.Fatalf("XADD: %q", r)
	}
	if r := c.read(); r != bulk("end") {
		t.Fatalf("after: %q", r)
	}
}

func TestXStreamInMulti(t *testing.T) {
	ts := newTestServer(t)
	c := dialRaw(t, ts.Addr)
	c.do("MULTI")
	if r := c.do("XSTREAM", "s", "-", "+"); r != errReply("ERR Command not allowed inside a transaction") {
		t.Fatalf("XSTREAM in MULTI: %q", r)
	}
	if r := c.do("EXEC"); !strings.HasPrefix(r, "-EXECABORT") {
		t.Fatalf("EXEC: %q", r)
	}
}

// The range ends at the durable watermark as the command starts: entries
// appended while it streams are not sent.
func TestXStreamBoundedAtStart(t *testing.T) {
	ts := newTestServer(t)
	const n = 3000
	seedStream(t, ts.Addr, "s", n, 1000) // ~3 MiB: the stream outlasts the first chunk
	c := dialRaw(t, ts.Addr)
	c.write(encodeCommand("XSTREAM", "s", "-", "+"))
	// Once the first chunk header arrives, the stream has started.
	if _, err := c.r.Peek(1); err != nil {
		t.Fatal(err)
	}
	w := dialRaw(t, ts.Addr)
	for i := 0; i < 20; i++ {
		if r := w.do("XADD", "s", "*", "message", "late"); !strings.HasPrefix(r, "$") {
			t.Fatalf("XADD: %q", r)
		}
	}
	x := readXStream(t, c.r)
	if x.total != n || x.end != "*0\r\n" {
		t.Fatalf("streamed %d entries (end %q), want the %d there when it started", x.total, x.end, n)
	}
	if x := readStreamAll(t, c, "s"); x.total != n+20 {
		t.Fatalf("a new XSTREAM sent %d entries, want %d", x.total, n+20)
	}
}

// serverConn returns the server's side of c, or nil once it is gone.
func serverConn(ts *testServer, c *rawConn) *conn {
	for _, sc := range ts.Srv.clients() {
		if sc.addr == c.nc.LocalAddr().String() {
			return sc
		}
	}
	return nil
}

func readStreamAll(t testing.TB, c *rawConn, key string) xstreamReply {
	t.Helper()
	c.write(encodeCommand("XSTREAM", key, "-", "+"))
	return readXStream(t, c.r)
}

// A client that stops reading is disconnected after the write timeout, with
// at most a chunk or two buffered; one that disconnects stops its stream.
// Either way the server keeps serving others, and closes cleanly.
func TestXStreamSlowAndGoneClients(t *testing.T) {
	ts := newTestServer(t, withLimits(broker.Limits{WriteTimeout: 300 * time.Millisecond}))
	seedStream(t, ts.Addr, "s", 20000, 1000) // ~20 MiB: more than the socket buffers hold

	stalled := dialRaw(t, ts.Addr)
	if tc, ok := stalled.nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(64 << 10)
	}
	stalled.write(encodeCommand("XSTREAM", "s", "-", "+"))

	gone := dialRaw(t, ts.Addr)
	gone.write(encodeCommand("XSTREAM", "s", "-", "+"))
	if _, err := gone.r.Peek(1 << 10); err != nil {
		t.Fatal(err)
	}
	_ = gone.nc.Close()

	other := dialRaw(t, ts.Addr)
	waitFor(t, 10*time.Second, "the stalled and gone clients to be disconnected", func() error {
		if r := other.do("PING"); r != "+PONG\r\n" {
			t.Fatalf("PING: %q", r)
		}
		if serverConn(ts, gone) != nil {
			return errors.New("the client that disconnected is still there")
		}
		if serverConn(ts, stalled) != nil {
			return errors.New("the client that does not read is still connected")
		}
		return nil
	})
	// The stalled client got part of the stream, not its end.
	_ = stalled.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(stalled.r)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the stalled client's stream: %v", err)
	}
	if len(rest) == 0 || len(rest) >= 20000*1000 || strings.HasSuffix(string(rest), "*0\r\n") {
		t.Fatalf("the stalled client read %d bytes (ending %q)", len(rest), rest[max(len(rest)-8, 0):])
	}
}

// Server.Close during a stream ends it with an error reply in place of the
// end marker (or lets it finish), and returns.
func TestXStreamServerClose(t *testing.T) {
	ts := newTestServer(t)
	seedStream(t, ts.Addr, "s", 20000, 1000)
	c := dialRaw(t, ts.Addr)
	c.write(encodeCommand("XSTREAM", "s", "-", "+"))
	if _, err := c.r.Peek(1); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- ts.Srv.Close() }()
	x := readXStream(t, c.r)
	if x.end != "*0\r\n" && x.end != errReply("ERR server is shutting down") {
		t.Fatalf("stream ended with %q after %d entries", x.end, x.total)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Server.Close did not return")
	}
}

// A connection keeps a large output buffer while it keeps writing large
// replies and releases it once idle.
func TestLargeOutputBufferReleasedWhenIdle(t *testing.T) {
	ts := newTestServer(t)
	seedStream(t, ts.Addr, "s", 4000, 200) // XRANGE - + is ~900 KiB
	c := dialRaw(t, ts.Addr)
	largest := func() int {
		sc := serverConn(ts, c)
		if sc == nil {
			t.Fatal("not connected")
		}
		o := &sc.out
		o.mu.Lock()
		defer o.mu.Unlock()
		return max(cap(o.head), cap(o.spare), cap(o.parked))
	}
	for i := 0; i < 3; i++ {
		if _, n := xrangeBody(t, c, "s", "-", "+"); n != 4000 {
			t.Fatalf("XRANGE: %d entries", n)
		}
	}
	if x := readStreamAll(t, c, "s"); x.total != 4000 {
		t.Fatalf("XSTREAM: %d entries", x.total)
	}
	// The reader parks its buffer as it waits for the next command.
	waitFor(t, time.Second, "a kept large buffer", func() error {
		if n := largest(); n <= maxSpareOutBytes {
			return fmt.Errorf("largest buffer %d bytes", n)
		}
		return nil
	})
	waitFor(t, 5*outIdleRelease, "the large buffers to be released", func() error {
		if n := largest(); n > maxSpareOutBytes {
			return fmt.Errorf("largest buffer %d bytes", n)
		}
		return nil
	})
	// Still usable, and the buffer comes back for the next large reply.
	if _, n := xrangeBody(t, c, "s", "-", "+"); n != 4000 {
		t.Fatalf("XRANGE after release: %d entries", n)
	}
}
