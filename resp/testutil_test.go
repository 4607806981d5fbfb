package resp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// Shared test helpers: a real broker on t.TempDir() served over real TCP,
// go-redis clients for RESP2 and RESP3, a raw RESP connection, and a
// polling helper. Other test files of the package build on these.

// testServer is a keysTestServer (helpers_test.go) seen through exported
// fields, for the tests written against this shape; Restart keeps them
// current.
type testServer struct {
	*keysTestServer
	Addr string
	Dir  string
	B    *broker.Broker
	Srv  *Server
}

type serverOption func(*broker.Config)

func withLimits(l broker.Limits) serverOption {
	return func(c *broker.Config) { c.Limits = l }
}

// newTestServer starts a broker and a RESP server on a loopback port, with
// its data in a temporary directory; both stop when the test ends.
func newTestServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	k := startServerForKeysTest(t, func(b *broker.Config, _ *Config) {
		for _, o := range opts {
			o(b)
		}
	})
	ts := &testServer{keysTestServer: k}
	ts.sync()
	return ts
}

// startServer is newTestServer for tests that need only the address and a
// restart.
func startServer(t testing.TB, opts ...serverOption) (addr string, restart func()) {
	ts := newTestServer(t, opts...)
	return ts.Addr, ts.Restart
}

func (ts *testServer) sync() { ts.Addr, ts.Dir, ts.B, ts.Srv = ts.addr, ts.dir, ts.b, ts.srv }

// Restart closes the server and the broker and reopens the same directory
// on the same address.
func (ts *testServer) Restart() {
	ts.t.Helper()
	ts.restart()
	ts.sync()
}

// newClient returns a go-redis client speaking RESP2, closed at the end of
// the test.
func newClient(t testing.TB, addr string) *redis.Client {
	return newClientProto(t, addr, 2)
}

// newClient3 returns a go-redis client speaking RESP3.
func newClient3(t testing.TB, addr string) *redis.Client {
	return newClientProto(t, addr, 3)
}

func newClientProto(t testing.TB, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         addr,
		Protocol:     proto,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxRetries:   -1,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx returns a context cancelled at the end of the test (or after a
// minute, so that a hung test fails instead of stalling).
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sharedTestdata returns the path of elem under the repository's top-level
// testdata/, which holds the fixtures more than one package uses (the
// differential scripts, the redis-cli script; see testdata/README.md). It
// finds the repository as the nearest directory above the working
// directory (the package's, under go test) that holds go.mod, so the path
// does not depend on how deep the package sits.
func sharedTestdata(t testing.TB, elem ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(append([]string{dir, "testdata"}, elem...)...)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory: cannot find the top-level testdata/")
		}
		dir = parent
	}
}

// waitFor polls fn every few milliseconds until it returns nil, and fails
// the test with fn's last error after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	sleep := time.Millisecond
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(sleep)
		sleep = min(2*sleep, 50*time.Millisecond)
	}
}

// rawConn is a plain TCP connection to a server that writes exact bytes and
// reads one RESP reply at a time as its raw bytes.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
}

// write sends b as is.
func (c *rawConn) write(b string) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.nc, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// do sends a command encoded as a RESP array and returns the raw reply.
func (c *rawConn) do(args ...string) string {
	c.t.Helper()
	c.write(encodeCommand(args...))
	return c.read()
}

// read returns the raw bytes of the next reply, failing the test on error.
func (c *rawConn) read() string {
	c.t.Helper()
	reply, err := c.readErr(10 * time.Second)
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	return reply
}

// readErr returns the raw bytes of the next reply, or the error.
func (c *rawConn) readErr(timeout time.Duration) (string, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	var sb strings.Builder
	err := readReply(c.r, &sb)
	return sb.String(), err
}

// expectClosed asserts the server closes the connection (after any replies
// still unread, which are returned).
func (c *rawConn) expectClosed() string {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(c.r)
	if err != nil {
		c.t.Fatalf("expected the server to close the connection, got %v after %q", err, rest)
	}
	return string(rest)
}

// encodeCommand encodes args as a RESP array of bulk strings.
func encodeCommand(args ...string) string {
	var sb strings.Builder
	sb.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		sb.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return sb.String()
}

// readReply copies one complete RESP2/RESP3 reply from r to w, byte for
// byte, including the attributes that may precede it.
func readReply(r *bufio.Reader, w *strings.Builder) error {
	line, err := r.ReadString('\n')
	w.WriteString(line)
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("malformed reply line %q", line)
	}
	head := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(head)
		if err != nil {
			return fmt.Errorf("bad length in %q", line)
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		w.Write(buf)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(head)
		if err != nil {
			return fmt.Errorf("bad length in %q", line)
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, w); err != nil {
				return err
			}
		}
		if line[0] == '|' { // an attribute precedes the reply it annotates
			return readReply(r, w)
		}
		return nil
	}
	return fmt.Errorf("unknown reply type in %q", line)
}

// bulk and friends build expected raw replies.
func bulk(s string) string     { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
func arr(n int) string         { return "*" + strconv.Itoa(n) + "\r\n" }
func integer(n int64) string   { return ":" + strconv.FormatInt(n, 10) + "\r\n" }
func errReply(s string) string { return "-" + s + "\r\n" }
