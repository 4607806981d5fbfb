package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// The differential test runs the command scripts of the top-level
// testdata/diff/*.txt against a real redis-server and against rewind, over
// raw RESP, and compares every reply byte for byte.
//
// Script format (one command per line, split as redis-cli splits: spaces
// separate arguments, double quotes group them with C escapes such as \n
// and \x00, single quotes group them literally):
//
//	# comment
//	CMD arg ...           run on the case's main connection, compare the reply
//	@name CMD arg ...     run on connection "name" (opened on first use)
//	@name !read           read one more reply (e.g. a pushed message), compare
//	!raw "bytes"          send bytes as they are, read nothing
//	!eof                  expect the server to close the connection
//	!blocked              wait until the server reports a blocked client
//	                      (INFO blocked_clients): a BLOCK sent with !raw is
//	                      blocked before another connection's write wakes it
//	!resp2 ... / !resp3 ...  a step run in that protocol only
//
// A blank line ends a case. Every case runs twice, on fresh connections:
// once in RESP2 and once after HELLO 3. Both servers start each case empty
// (FLUSHALL on Redis; every channel dropped on rewind), with keyspace
// notifications off (notify-keyspace-events "") and the default stream
// node limits, so a case may change them. Replies to a successful HELLO are not compared (the client id and
// version differ).
//
// Left out on purpose, because rewind differs from Redis by design or the
// reply is not deterministic: FLUSHALL/FLUSHDB (rewind needs CONFIRM),
// XADD with "*" or "<ms>-*" IDs (time-based), INFO, CLIENT LIST/ID, HELLO's
// map, UNSUBSCRIBE without arguments with several subscriptions (Redis
// replies in hash-table order), several patterns matching one PUBLISH.

// diffCase is one script: commands run in order on one or more connections.
type diffCase struct {
	name  string // file:line
	steps []diffStep
}

type diffStep struct {
	line  int
	proto int      // 2 or 3: run in that protocol only; 0: in both
	conn  string   // connection name; "" is the main one
	args  []string // a command; nil for a directive
	raw   string   // !raw bytes
	op    string   // "", "read", "raw", "eof"
}

func (s diffStep) String() string {
	prefix := ""
	if s.conn != "" {
		prefix = "@" + s.conn + " "
	}
	switch s.op {
	case "read":
		return prefix + "!read"
	case "raw":
		return prefix + fmt.Sprintf("!raw %q", s.raw)
	case "eof":
		return prefix + "!eof"
	case "blocked":
		return prefix + "!blocked"
	}
	q := make([]string, len(s.args))
	for i, a := range s.args {
		q[i] = strconv.Quote(a)
	}
	return prefix + strings.Join(q, " ")
}

// loadDiffCases parses every script in dir.
func loadDiffCases(t *testing.T, dir string) []diffCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", dir, err)
	}
	var cases []diffCase
	for _, f := range files {
		cs, err := parseDiffScript(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	return cases
}

func parseDiffScript(path string) ([]diffCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	var cases []diffCase
	var cur *diffCase
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			cur = nil
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		args, err := splitArgs(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", base, i+1, err)
		}
		step := diffStep{line: i + 1}
		if len(args) > 0 && (args[0] == "!resp2" || args[0] == "!resp3") {
			step.proto, args = int(args[0][5]-'0'), args[1:]
		}
		if len(args) > 0 && strings.HasPrefix(args[0], "@") {
			step.conn, args = args[0][1:], args[1:]
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("%s:%d: no command", base, i+1)
		}
		switch args[0] {
		case "!read", "!eof", "!blocked":
			step.op = args[0][1:]
		case "!raw":
			if len(args) != 2 {
				return nil, fmt.Errorf("%s:%d: !raw takes one quoted argument", base, i+1)
			}
			step.op, step.raw = "raw", args[1]
		default:
			if strings.HasPrefix(args[0], "!") {
				return nil, fmt.Errorf("%s:%d: unknown directive %s", base, i+1, args[0])
			}
			step.args = args
		}
		if cur == nil {
			cases = append(cases, diffCase{name: fmt.Sprintf("%s:%d", base, i+1)})
			cur = &cases[len(cases)-1]
		}
		cur.steps = append(cur.steps, step)
	}
	return cases, nil
}

// splitArgs splits a line as redis-cli does, with Redis's sdssplitargs
// (a direct port on a NUL-terminated copy, so that it can also serve as the
// reference for the server's inline parser in the fuzz test): white space
// separates; "..." groups with escapes \n \r \t \b \a \<any> \xHH; '...'
// groups with \' only; a closing quote must be followed by white space or
// the end; a NUL ends the line.
func splitArgs(line string) ([]string, error) {
	b := append([]byte(line), 0, 0, 0, 0) // NUL-terminated, with room to look ahead
	errUnbalanced := errors.New("unbalanced quotes")
	var out []string
	p := 0
	for {
		for b[p] != 0 && cIsSpace(b[p]) {
			p++
		}
		if b[p] == 0 {
			return out, nil
		}
		inq, insq, done := false, false, false
		cur := []byte{}
		for !done {
			switch {
			case inq:
				switch {
				case b[p] == '\\' && b[p+1] == 'x' && isHex(b[p+2]) && isHex(b[p+3]):
					v, _ := strconv.ParseUint(string(b[p+2:p+4]), 16, 8)
					cur = append(cur, byte(v))
					p += 3
				case b[p] == '\\' && b[p+1] != 0:
					p++
					c := b[p]
					switch c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					cur = append(cur, c)
				case b[p] == '"':
					if b[p+1] != 0 && !cIsSpace(b[p+1]) {
						return nil, errUnbalanced
					}
					done = true
				case b[p] == 0:
					return nil, errUnbalanced
				default:
					cur = append(cur, b[p])
				}
			case insq:
				switch {
				case b[p] == '\\' && b[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case b[p] == '\'':
					if b[p+1] != 0 && !cIsSpace(b[p+1]) {
						return nil, errUnbalanced
					}
					done = true
				case b[p] == 0:
					return nil, errUnbalanced
				default:
					cur = append(cur, b[p])
				}
			default:
				switch b[p] {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, b[p])
				}
			}
			if b[p] != 0 {
				p++
			}
		}
		out = append(out, string(cur))
	}
}

// cIsSpace is C's isspace.
func cIsSpace(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// startRedis runs a redis-server on a free port until the end of the test,
// or skips the test if there is none.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not in PATH: skipping the differential test against Redis")
	}
	var addr string
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		_ = ln.Close()
		cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", t.TempDir(), "--loglevel", "warning",
			"--databases", "1") // like rewind: one keyspace, so SELECT 1 is out of range
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		addr = "127.0.0.1:" + port
		lastErr = pollRedis(addr, exited)
		if lastErr == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return addr
		}
		_ = cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%w; output: %s", lastErr, out.String())
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return ""
}

// pollRedis waits until the server at addr answers PING.
func pollRedis(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("redis-server exited")
		default:
		}
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = nc.SetDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(nc, "PING\r\n")
			line, err := bufio.NewReader(nc).ReadString('\n')
			_ = nc.Close()
			if err == nil && line == "+PONG\r\n" {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("no PONG within 10s")
}

// diffConn is one connection of a case to one server.
type diffConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func (c *diffConn) send(b string) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := io.WriteString(c.nc, b)
	return err
}

// reply reads one reply; a closed connection or timeout is described in
// the result, so that it is compared like a reply.
func (c *diffConn) reply() string {
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var sb strings.Builder
	if err := readReply(c.r, &sb); err != nil {
		return sb.String() + "<" + describeReadErr(err) + ">"
	}
	return sb.String()
}

func describeReadErr(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		return "connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "no reply"
	}
	return "read error"
}

// diffTarget is one server under test.
type diffTarget struct {
	name  string
	addr  string
	reset func(t *testing.T)
	conns map[string]*diffConn
}

func (d *diffTarget) conn(t *testing.T, name string, proto int) *diffConn {
	t.Helper()
	if c := d.conns[name]; c != nil {
		return c
	}
	nc, err := net.DialTimeout("tcp", d.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: dial: %v", d.name, err)
	}
	c := &diffConn{nc: nc, r: bufio.NewReader(nc)}
	if proto == 3 {
		if err := c.send(encodeCommand("HELLO", "3")); err != nil {
			t.Fatalf("%s: HELLO 3: %v", d.name, err)
		}
		if r := c.reply(); !strings.HasPrefix(r, "%") {
			t.Fatalf("%s: HELLO 3 replied %q", d.name, r)
		}
	}
	d.conns[name] = c
	return c
}

func (d *diffTarget) closeAll() {
	for name, c := range d.conns {
		_ = c.nc.Close()
		delete(d.conns, name)
	}
}

// waitBlocked waits, on a connection of its own, until the server reports
// a blocked client (INFO blocked_clients), and fails the test if none is
// within 5 s: the servers handle connections concurrently, so a command
// sent on one is not known to be blocked when the next step writes on
// another. It returns "" for the comparison.
func (d *diffTarget) waitBlocked(t *testing.T) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", d.addr, 5*time.Second)
	if err != nil {
		t.Errorf("%s: !blocked: dial: %v", d.name, err)
		return ""
	}
	defer nc.Close()
	c := &diffConn{nc: nc, r: bufio.NewReader(nc)}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if err := c.send(encodeCommand("INFO", "clients")); err != nil {
			t.Errorf("%s: !blocked: INFO: %v", d.name, err)
			return ""
		}
		info := c.reply()
		i := strings.Index(info, "blocked_clients:")
		if i < 0 {
			t.Errorf("%s: !blocked: INFO clients without blocked_clients: %q", d.name, info)
			return ""
		}
		if n := strings.TrimSpace(strings.SplitN(info[i+len("blocked_clients:"):], "\r\n", 2)[0]); n != "0" {
			return ""
		}
	}
	t.Errorf("%s: !blocked: no client blocked within 5s", d.name)
	return ""
}

// run runs one step and returns what the server answered.
func (d *diffTarget) run(t *testing.T, s diffStep, proto int) string {
	t.Helper()
	c := d.conn(t, s.conn, proto)
	switch s.op {
	case "raw":
		if err := c.send(s.raw); err != nil {
			return "<write error>"
		}
		return ""
	case "read":
		return c.reply()
	case "blocked":
		return d.waitBlocked(t)
	case "eof":
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		rest, err := io.ReadAll(c.r)
		if err != nil {
			return string(rest) + "<" + describeReadErr(err) + ">"
		}
		return string(rest) + "<connection closed>"
	}
	if err := c.send(encodeCommand(s.args...)); err != nil {
		return "<write error>"
	}
	r := c.reply()
	if strings.EqualFold(s.args[0], "hello") && !strings.HasPrefix(r, "-") {
		return "<HELLO reply not compared>"
	}
	return r
}

// redisReset empties Redis and waits for the subscriptions of closed
// connections to go (Redis handles a close in its event loop, maybe after
// the next case's first command).
func redisReset(addr string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		ctl := dialRaw(t, addr)
		defer ctl.nc.Close()
		if r := ctl.do("CONFIG", "SET", "notify-keyspace-events", "", "stream-node-max-entries", "100", "stream-node-max-bytes", "4096"); r != "+OK\r\n" {
			t.Fatalf("redis CONFIG SET: %q", r)
		}
		if r := ctl.do("FLUSHALL"); r != "+OK\r\n" {
			t.Fatalf("redis FLUSHALL: %q", r)
		}
		waitFor(t, 5*time.Second, "redis subscriptions to go", func() error {
			for _, cmd := range [][]string{{"PUBSUB", "NUMPAT"}, {"PUBSUB", "CHANNELS"}, {"PUBSUB", "SHARDCHANNELS"}} {
				if r := ctl.do(cmd...); r != ":0\r\n" && r != "*0\r\n" {
					return fmt.Errorf("%v = %q", cmd, r)
				}
			}
			return nil
		})
	}
}

// rewindReset turns keyspace notifications off, drops every channel of the
// broker and waits for the subscriptions of closed connections to go.
func rewindReset(ts *testServer) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		ts.Srv.setNotifyFlags(0)
		if err := ts.B.SetNodeLimits(broker.NodeLimits{MaxEntries: 100, MaxBytes: 4096}); err != nil {
			t.Fatalf("reset stream node limits: %v", err)
		}
		req := broker.NewRequest()
		ts.B.Channels(func(ci broker.ChannelInfo) bool {
			req.Drop([]byte(ci.Name))
			return true
		})
		if req.Len() > 0 {
			if err := ts.B.Do(req); err != nil {
				t.Fatalf("drop channels: %v", err)
			}
			for i := range req.Len() {
				if err := req.Result(i).Err; err != nil {
					t.Fatalf("drop %s: %v", req.Command(i).Channel, err)
				}
			}
		}
		waitFor(t, 5*time.Second, "rewind subscriptions to go", func() error {
			for _, k := range []broker.SubKind{broker.KindChannel, broker.KindPattern, broker.KindShard} {
				if n := ts.B.NumSubscriptionNames(k); n != 0 {
					return fmt.Errorf("%d names of kind %d", n, k)
				}
			}
			return nil
		})
	}
}

func TestDiffRedis(t *testing.T) {
	redisAddr := startRedis(t)
	cases := loadDiffCases(t, sharedTestdata(t, "diff"))
	ts := newTestServer(t)
	targets := []*diffTarget{
		{name: "redis", addr: redisAddr, reset: redisReset(redisAddr), conns: map[string]*diffConn{}},
		{name: "rewind", addr: ts.Addr, reset: rewindReset(ts), conns: map[string]*diffConn{}},
	}
	t.Logf("%d cases, each in RESP2 and RESP3", len(cases))
	for _, proto := range []int{2, 3} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("RESP%d/%s", proto, c.name), func(t *testing.T) {
				runDiffCase(t, c, proto, targets)
			})
		}
	}
}

func runDiffCase(t *testing.T, c diffCase, proto int, targets []*diffTarget) {
	for _, d := range targets {
		d.reset(t)
	}
	defer func() {
		for _, d := range targets {
			d.closeAll()
		}
	}()
	for _, s := range c.steps {
		if s.proto != 0 && s.proto != proto {
			continue
		}
		var got [2]string
		for i, d := range targets {
			got[i] = d.run(t, s, proto)
		}
		if strings.Contains(got[0], "<no reply>") {
			t.Errorf("line %d: %s: the script waits for a reply Redis does not send (%q)", s.line, s, got[0])
		}
		if got[0] != got[1] {
			t.Errorf("line %d: %s\n  redis:  %q\n  rewind: %q", s.line, s, got[0], got[1])
		}
	}
}
