package resp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// Helpers of the admin and keyspace command tests (cmd_server_test.go,
// cmd_keys_test.go, cmd_xinfo_test.go): a broker on t.TempDir() served on
// 127.0.0.1 over real TCP, go-redis clients, and a raw connection that
// returns a reply's exact bytes.

// keysTestServer is a broker and a resp server on one directory.
type keysTestServer struct {
	t      testing.TB
	dir    string
	addr   string
	bcfg   broker.Config
	scfg   Config
	b      *broker.Broker
	srv    *Server
	served chan error
}

// startServerForKeysTest starts a server; adjust (optional) edits the
// configurations first. Everything is closed at the end of the test.
func startServerForKeysTest(t testing.TB, adjust func(*broker.Config, *Config)) *keysTestServer {
	t.Helper()
	ts := &keysTestServer{t: t, dir: t.TempDir()}
	ts.bcfg = broker.Config{Dir: ts.dir}
	ts.scfg = Config{Addr: "127.0.0.1:0"}
	if adjust != nil {
		adjust(&ts.bcfg, &ts.scfg)
	}
	ts.open()
	t.Cleanup(ts.close)
	return ts
}

func (ts *keysTestServer) open() {
	ts.t.Helper()
	b, err := broker.Open(ts.bcfg)
	if err != nil {
		ts.t.Fatalf("broker.Open: %v", err)
	}
	cfg := ts.scfg
	cfg.Broker = b
	if ts.addr != "" {
		cfg.Addr = ts.addr
	}
	var srv *Server
	deadline := time.Now().Add(5 * time.Second)
	for {
		srv, err = Listen(cfg)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the port of a closed listener may linger
	}
	if err != nil {
		ts.t.Fatalf("Listen: %v", err)
	}
	ts.b, ts.srv, ts.addr = b, srv, srv.Addr().String()
	ts.served = make(chan error, 1)
	go func() { ts.served <- srv.Serve() }()
}

func (ts *keysTestServer) close() {
	if ts.srv == nil {
		return
	}
	if err := ts.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		ts.t.Errorf("Server.Close: %v", err)
	}
	if err := <-ts.served; err != nil {
		ts.t.Errorf("Serve: %v", err)
	}
	if err := ts.b.Close(); err != nil {
		ts.t.Errorf("Broker.Close: %v", err)
	}
	ts.srv, ts.b = nil, nil
}

// restart closes the server and the broker and reopens the same directory
// on the same address.
func (ts *keysTestServer) restart() {
	ts.t.Helper()
	ts.close()
	ts.open()
}

// client returns a go-redis client of the given protocol version.
func (ts *keysTestServer) client(proto int) *redis.Client {
	ts.t.Helper()
	return newClientProto(ts.t, ts.addr, proto)
}

// ktEachProto runs fn as a subtest for RESP2 and RESP3.
func ktEachProto(t *testing.T, fn func(t *testing.T, proto int)) {
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) { fn(t, proto) })
	}
}

func keysCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ktOK fails the test if a go-redis command failed, and returns it.
func ktOK[C redis.Cmder](t testing.TB, cmd C) C {
	t.Helper()
	if err := cmd.Err(); err != nil {
		t.Fatalf("%v: unexpected error: %v", cmd.Args(), err)
	}
	return cmd
}

// ktWantErr checks that err is a server error with exactly this text.
func ktWantErr(t testing.TB, err error, text string) {
	t.Helper()
	if err == nil || err.Error() != text {
		t.Fatalf("error = %v, want %q", err, text)
	}
}

// rawKeysConn is a plain TCP connection that sends commands and returns
// each reply's bytes as received.
type rawKeysConn struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

// dialRawKeys opens a raw connection; proto 3 sends HELLO 3 first.
func (ts *keysTestServer) dialRawKeys(proto int) *rawKeysConn {
	ts.t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		ts.t.Fatalf("dial: %v", err)
	}
	ts.t.Cleanup(func() { _ = nc.Close() })
	c := &rawKeysConn{t: ts.t, nc: nc, r: bufio.NewReader(nc)}
	if proto == 3 {
		c.do("HELLO", "3")
	}
	return c
}

func (c *rawKeysConn) send(args ...string) {
	c.t.Helper()
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write([]byte(sb.String())); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// do sends one command and returns its reply's exact bytes.
func (c *rawKeysConn) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	return c.reply()
}

func (c *rawKeysConn) reply() string {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var sb strings.Builder
	if err := copyRawReply(c.r, &sb); err != nil {
		c.t.Fatalf("read reply: %v (so far %q)", err, sb.String())
	}
	return sb.String()
}

// copyRawReply copies one RESP2/RESP3 reply from r to w.
func copyRawReply(r *bufio.Reader, w *strings.Builder) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	w.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	switch line[0] {
	case '$', '=', '!':
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		w.Write(buf)
	case '*', '~', '>':
		for i := 0; i < n; i++ {
			if err := copyRawReply(r, w); err != nil {
				return err
			}
		}
	case '%', '|':
		for i := 0; i < 2*n; i++ {
			if err := copyRawReply(r, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// ktBulk and friends build expected replies.
func ktBulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
func ktInt(n int64) string   { return ":" + strconv.FormatInt(n, 10) + "\r\n" }

// ktAgg is an aggregate header: '*' in RESP2; kind ('%', '~') in RESP3,
// where a map's n counts pairs.
func ktAgg(proto int, kind byte, n int) string {
	if proto == 2 || kind == '*' {
		if kind == '%' {
			n *= 2
		}
		return "*" + strconv.Itoa(n) + "\r\n"
	}
	return string(kind) + strconv.Itoa(n) + "\r\n"
}

func ktNull(proto int) string {
	if proto == 3 {
		return "_\r\n"
	}
	return "$-1\r\n"
}

// ktXAdd appends entries with explicit IDs through go-redis.
func ktXAdd(t testing.TB, rdb *redis.Client, key string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := rdb.XAdd(keysCtx(t), &redis.XAddArgs{Stream: key, ID: id, Values: []string{"f", id}}).Err(); err != nil {
			t.Fatalf("XADD %s %s: %v", key, id, err)
		}
	}
}
