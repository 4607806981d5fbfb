package resp

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConnCommands checks the connection commands byte for byte.
func TestConnCommands(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	long := strings.Repeat("a", 200)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"ping", "hello world"}, bulk("hello world")},
		{[]string{"PING", "a", "b"}, errReply("ERR wrong number of arguments for 'ping' command")},
		{[]string{"ECHO", "\x00\r\n binary"}, bulk("\x00\r\n binary")},
		{[]string{"ECHO"}, errReply("ERR wrong number of arguments for 'echo' command")},
		{[]string{"SELECT", "0"}, "+OK\r\n"},
		{[]string{"SELECT", "1"}, errReply("ERR DB index is out of range")}, // one keyspace, as Redis with databases 1
		{[]string{"SELECT", "x"}, errReply("ERR value is not an integer or out of range")},
		{[]string{"SELECT", "01"}, errReply("ERR value is not an integer or out of range")},
		{[]string{"AUTH", "secret"}, errReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")},
		{[]string{"AUTH", "default", "anything"}, "+OK\r\n"},
		{[]string{"AUTH", "someone", "secret"}, errReply("WRONGPASS invalid username-password pair or user is disabled.")},
		{[]string{"AUTH", "a", "b", "c"}, errReply("ERR syntax error")},
		{[]string{"HELLO", "4"}, errReply("NOPROTO unsupported protocol version")},
		{[]string{"HELLO", "x"}, errReply("ERR Protocol version is not an integer or out of range")},
		{[]string{"HELLO", "3", "AUTH", "someone", "pw"}, errReply("WRONGPASS invalid username-password pair or user is disabled.")},
		{[]string{"HELLO", "3", "SETNAME", "two words"}, errReply("ERR Client names cannot contain spaces, newlines or special characters.")},
		{[]string{"HELLO", "3", "FOO"}, errReply("ERR Syntax error in HELLO option 'FOO'")},
		// A failed HELLO leaves the protocol as it was.
		{[]string{"PING"}, "+PONG\r\n"},
		// Unknown commands quote their arguments, each clipped, until the
		// list passes 128 bytes; the command name is clipped to 128.
		{[]string{"NOPE"}, errReply("ERR unknown command 'NOPE', with args beginning with: ")},
		{[]string{"NOPE", "a b", ""}, errReply("ERR unknown command 'NOPE', with args beginning with: 'a b' '' ")},
		{[]string{"NOPE", long, "x"}, errReply("ERR unknown command 'NOPE', with args beginning with: '" + long[:128] + "' ")},
		{[]string{long, "x"}, errReply("ERR unknown command '" + long[:128] + "', with args beginning with: 'x' ")},
		{[]string{"NOPE", strings.Repeat("b", 100), strings.Repeat("c", 100)},
			errReply("ERR unknown command 'NOPE', with args beginning with: '" + strings.Repeat("b", 100) + "' '" + strings.Repeat("c", 25) + "' ")},
		{[]string{"NOPE", "line\r\nbreak"}, errReply("ERR unknown command 'NOPE', with args beginning with: 'line  break' ")},
		// Wrong arity, for commands and subcommands; the connection stays.
		{[]string{"XLEN"}, errReply("ERR wrong number of arguments for 'xlen' command")},
		{[]string{"PUBLISH", "ch"}, errReply("ERR wrong number of arguments for 'publish' command")},
		{[]string{"PUBSUB"}, errReply("ERR wrong number of arguments for 'pubsub' command")},
		{[]string{"PUBSUB", "NUMPAT", "x"}, errReply("ERR wrong number of arguments for 'pubsub|numpat' command")},
		{[]string{"PUBSUB", "CHANNELS", "a", "b"}, errReply("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")},
		{[]string{"PUBSUB", "nope"}, errReply("ERR unknown subcommand 'nope'. Try PUBSUB HELP.")},
		{[]string{"PING"}, "+PONG\r\n"},
	}
	for _, tc := range cases {
		if got := rc.do(tc.args...); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestConnHello checks the handshake map in both protocols, SETNAME, and
// that HELLO switches the protocol of the replies that follow.
func TestConnHello(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	for _, proto := range []int64{2, 3} {
		c := newClientProto(t, addr, int(proto))
		v, err := c.Do(ctx, "HELLO", proto, "SETNAME", "conn-test").Result()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		switch v := v.(type) {
		case map[any]any: // RESP3 map
			for k, x := range v {
				m[k.(string)] = x
			}
		case []any: // RESP2 flat array
			for i := 0; i+1 < len(v); i += 2 {
				m[v[i].(string)] = v[i+1]
			}
		default:
			t.Fatalf("HELLO %d = %T %v", proto, v, v)
		}
		if m["server"] != "redis" || m["proto"] != proto || m["mode"] != "standalone" || m["role"] != "master" ||
			m["version"] == nil || m["id"] == nil || len(m) != 7 {
			t.Fatalf("HELLO %d = %v", proto, m)
		}
		if name, err := c.Do(ctx, "CLIENT", "GETNAME").Text(); err != nil || name != "conn-test" {
			t.Fatalf("CLIENT GETNAME after HELLO SETNAME = %q, %v", name, err)
		}
	}

	rc := dialRaw(t, addr)
	if got := rc.do("HELLO", "3"); !strings.HasPrefix(got, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n") {
		t.Fatalf("HELLO 3 = %q", got)
	}
	if got := rc.do("XREAD", "STREAMS", "none", "0"); got != "_\r\n" {
		t.Fatalf("RESP3 null: %q", got)
	}
	if got := rc.do("HELLO"); !strings.Contains(got, "$5\r\nproto\r\n:3\r\n") {
		t.Fatalf("HELLO without a version keeps RESP3: %q", got)
	}
	if got := rc.do("HELLO", "2"); !strings.HasPrefix(got, "*14\r\n") {
		t.Fatalf("HELLO 2 = %q", got)
	}
	if got := rc.do("XREAD", "STREAMS", "none", "0"); got != "*-1\r\n" {
		t.Fatalf("RESP2 null: %q", got)
	}
	// RESET goes back to RESP2 and clears the name.
	rc.do("HELLO", "3", "SETNAME", "x")
	if got := rc.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET = %q", got)
	}
	if got := rc.do("XREAD", "STREAMS", "none", "0"); got != "*-1\r\n" {
		t.Fatalf("after RESET: %q", got)
	}
}

func TestConnQuit(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	// Commands pipelined before QUIT are answered; those after it are not.
	rc.write("PING\r\nQUIT\r\nPING\r\n")
	if got := rc.expectClosed(); got != "+PONG\r\n+OK\r\n" {
		t.Fatalf("replies before the close: %q", got)
	}
	// The server goes on serving others.
	if got := dialRaw(t, addr).do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after another client quit: %q", got)
	}
}

// TestRedisCLI builds the rewind binary, starts `rewind serve` on a free
// port and runs the top-level testdata/redis-cli.sh, which drives it with
// the real redis-cli and checks every output exactly.
func TestRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not in PATH: skipping the redis-cli script")
	}
	if testing.Short() {
		t.Skip("builds the rewind binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "rewind")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/rewind").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	var serverLog strings.Builder
	srv := exec.Command(bin, "serve", "--port", port, "--dir", filepath.Join(tmp, "data"), "--log-level", "warn")
	srv.Stdout, srv.Stderr = &serverLog, &serverLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
	})
	if err := pollRedis("127.0.0.1:"+port, exited); err != nil {
		t.Fatalf("rewind serve did not start: %v\n%s", err, serverLog.String())
	}
	script := exec.Command("bash", sharedTestdata(t, "redis-cli.sh"), port)
	out, err := script.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli.sh: %v\n%s\nserver log:\n%s", err, out, serverLog.String())
	}
	t.Logf("%s", out)
}
