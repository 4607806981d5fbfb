package resp

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// bigArg is a command argument: s, or when n > 0, n bytes of 'x'.
type bigArg struct {
	s string
	n int
}

// writeBigCommand writes args as a RESP array without building it in
// memory.
func writeBigCommand(w io.Writer, args ...bigArg) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	chunk := []byte(strings.Repeat("x", 1<<20))
	for _, a := range args {
		if a.n == 0 {
			bw.WriteString("$" + strconv.Itoa(len(a.s)) + "\r\n" + a.s + "\r\n")
			continue
		}
		bw.WriteString("$" + strconv.Itoa(a.n) + "\r\n")
		for left := a.n; left > 0; left -= min(left, len(chunk)) {
			if _, err := bw.Write(chunk[:min(left, len(chunk))]); err != nil {
				return err
			}
		}
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

// TestOversizedCommandsAreAnswered: commands over the default limits get an
// error naming the limit and the flag that raises it, and it reaches the
// client, which is still writing when the server answers. Before, a command
// over about 32 MiB in total was dropped with a reset and no reply, and a
// 64 MB argument got a bare "invalid bulk length" (when the reset did not
// destroy it).
func TestOversizedCommandsAreAnswered(t *testing.T) {
	addr, _ := startServer(t) // default limits: 8 MiB messages
	witness := dialRaw(t, addr)
	const mb = 1000 * 1000
	cases := []struct {
		name      string
		args      []bigArg
		want      string
		staysOpen bool
	}{
		{"XADD of 3 x 15 MB fields", []bigArg{{s: "XADD"}, {s: "k"}, {s: "*"}, {s: "a"}, {n: 15 * mb}, {s: "b"}, {n: 15 * mb}, {s: "c"}, {n: 15 * mb}},
			"-ERR Protocol error: query too large (max 33685504 bytes per command; see --max-message-bytes)\r\n", false},
		{"PUBLISH of 64 MB", []bigArg{{s: "PUBLISH"}, {s: "ch"}, {n: 64 * mb}},
			"-ERR Protocol error: invalid bulk length (max 33619968 bytes per argument; see --max-message-bytes)\r\n", false},
		{"XADD of 2 x 10 MB fields", []bigArg{{s: "XADD"}, {s: "k"}, {s: "*"}, {s: "a"}, {n: 10 * mb}, {s: "b"}, {n: 10 * mb}},
			"-ERR message too large (max 8388608 bytes; see --max-message-bytes)\r\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			_ = rc.nc.SetWriteDeadline(time.Now().Add(time.Minute))
			written := make(chan error, 1)
			go func() { written <- writeBigCommand(rc.nc, tc.args...) }()
			reply, err := rc.readErr(time.Minute)
			if err != nil || reply != tc.want {
				t.Fatalf("reply %q (err %v), want %q", reply, err, tc.want)
			}
			if err := <-written; err != nil {
				t.Fatalf("writing the command: %v (the server did not read it to the end)", err)
			}
			if tc.staysOpen {
				if got := rc.do("PING"); got != "+PONG\r\n" {
					t.Fatalf("PING on the same connection: %q", got)
				}
			} else if rest := rc.expectClosed(); rest != "" {
				t.Fatalf("after the error: %q, want the connection closed", rest)
			}
			if got := witness.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("another client after the error: %q", got)
			}
		})
	}
}

// TestLimitsDefaultQueryBytes: the default leaves room for a message four
// times the message limit, so that it gets "message too large" on a
// connection that stays open.
func TestLimitsDefaultQueryBytes(t *testing.T) {
	l := broker.Limits{MaxMessageBytes: 1 << 20}
	l.EnsureDefaults()
	if want := 4<<20 + 64<<10; l.MaxQueryBytes != want {
		t.Fatalf("MaxQueryBytes = %d, want %d", l.MaxQueryBytes, want)
	}
}

// levelRecorder keeps the records logged through it at or above min.
type levelRecorder struct {
	min     slog.Level
	mu      sync.Mutex
	records []slog.Record
}

func (h *levelRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
func (h *levelRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelRecorder) WithGroup(string) slog.Handler      { return h }

// protocolErrorRecords returns the records about protocol errors.
func (h *levelRecorder) protocolErrorRecords() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []slog.Record
	for _, r := range h.records {
		if strings.Contains(r.Message, "protocol error") {
			out = append(out, r)
		}
	}
	return out
}

// sendProtocolErrors opens n connections that each send garbage and waits
// for each to be answered and closed.
func sendProtocolErrors(t *testing.T, addr string, n int) {
	t.Helper()
	for range n {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write([]byte("*x\r\n"))
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(nc); err != nil {
			t.Fatal(err)
		}
		nc.Close()
	}
}

// TestProtocolErrorsLogQuietly: protocol errors are logged at debug level
// only (Redis logs them at its verbose level), at most a few a second
// across all clients. Before, each was an INFO line: any client could flood
// the log.
func TestProtocolErrorsLogQuietly(t *testing.T) {
	for _, min := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		h := &levelRecorder{min: min}
		ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.Logger = slog.New(h) })
		start := time.Now()
		const clients = 200
		sendProtocolErrors(t, ts.addr, clients)
		windows := int(time.Since(start)/time.Second) + 1
		records := h.protocolErrorRecords()
		for _, r := range records {
			if r.Level != slog.LevelDebug {
				t.Fatalf("a protocol error logged at %v, want debug: %s", r.Level, r.Message)
			}
		}
		switch {
		case min == slog.LevelInfo && len(records) > 0:
			t.Fatalf("%d protocol-error lines at log level info, want none", len(records))
		case min == slog.LevelDebug && (len(records) == 0 || len(records) > protocolErrorLogBurst*windows):
			t.Fatalf("%d protocol-error lines for %d clients over %d seconds, want 1 to %d",
				len(records), clients, windows, protocolErrorLogBurst*windows)
		}
	}
}

// TestClientLinesLogQuietly: the lines any client can cause by being closed
// by the server (here: 100 clients killed with CLIENT KILL) are limited to a
// few a second, and the next one says how many were held back.
func TestClientLinesLogQuietly(t *testing.T) {
	h := &levelRecorder{min: slog.LevelInfo}
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.Logger = slog.New(h) })
	ctx := keysCtx(t)
	admin := ts.client(2)
	start := time.Now()
	const clients = 100
	for range clients {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := bufio.NewReader(nc).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		ktOK(t, admin.Do(ctx, "CLIENT", "KILL", "LADDR", ts.addr, "SKIPME", "yes"))
		if _, err := io.ReadAll(nc); err != nil {
			t.Fatal(err)
		}
		nc.Close()
	}
	windows := int(time.Since(start)/time.Second) + 1
	time.Sleep(100 * time.Millisecond) // the last cleanup logs after the socket closed
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Message == "resp: client closed" {
			n++
		}
	}
	if n == 0 || n > protocolErrorLogBurst*windows {
		t.Fatalf("%d client-closed lines for %d killed clients over %d seconds, want 1 to %d", n, clients, windows, protocolErrorLogBurst*windows)
	}
}
