package resp

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// --- CLIENT ---

func TestClientNameAndID(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		if err := rdb.ClientGetName(ctx).Err(); err != redis.Nil {
			t.Fatalf("CLIENT GETNAME unset: %v, want a null", err)
		}
		ktOK(t, rdb.Do(ctx, "CLIENT", "SETNAME", "worker-1"))
		if got := ktOK(t, rdb.ClientGetName(ctx)).Val(); got != "worker-1" {
			t.Fatalf("CLIENT GETNAME = %q", got)
		}
		id := ktOK(t, rdb.ClientID(ctx)).Val()
		if info := ktOK(t, rdb.ClientInfo(ctx)).Val(); info.ID != id || info.Name != "worker-1" {
			t.Fatalf("CLIENT INFO id=%d name=%q, want %d worker-1", info.ID, info.Name, id)
		}

		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"CLIENT", "GETNAME"}, ktNull(proto)},
			{[]string{"CLIENT", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
			{[]string{"CLIENT", "SETNAME", "a\nb"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
			{[]string{"CLIENT", "SETNAME", "me"}, "+OK\r\n"},
			{[]string{"CLIENT", "GETNAME"}, ktBulk("me")},
			{[]string{"CLIENT", "SETNAME", ""}, "+OK\r\n"},
			{[]string{"CLIENT", "GETNAME"}, ktNull(proto)},
			{[]string{"CLIENT", "SETNAME"}, "-ERR wrong number of arguments for 'client|setname' command\r\n"},
			{[]string{"CLIENT", "ID", "x"}, "-ERR wrong number of arguments for 'client|id' command\r\n"},
			{[]string{"CLIENT"}, "-ERR wrong number of arguments for 'client' command\r\n"},
			{[]string{"CLIENT", "BLAH"}, "-ERR unknown subcommand 'BLAH'. Try CLIENT HELP.\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
		if got := raw.do("CLIENT", "ID"); !strings.HasPrefix(got, ":") {
			t.Fatalf("CLIENT ID = %q", got)
		}
	})
}

// clientLineKeys are the fields of a Redis 7.2 CLIENT LIST line, in order.
var clientLineKeys = []string{"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
	"ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem",
	"events", "cmd", "user", "redir", "resp", "lib-name", "lib-ver"}

// parseClientLine splits a CLIENT LIST line, checking Redis's field order.
func parseClientLine(t *testing.T, line string) map[string]string {
	t.Helper()
	fields := strings.Split(line, " ")
	if len(fields) != len(clientLineKeys) {
		t.Fatalf("client line has %d fields, want %d: %q", len(fields), len(clientLineKeys), line)
	}
	m := map[string]string{}
	for i, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != clientLineKeys[i] {
			t.Fatalf("field %d of %q is %q, want %s=...", i, line, f, clientLineKeys[i])
		}
		m[k] = v
	}
	return m
}

func TestClientInfoAndList(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)

		// go-redis identifies itself with CLIENT SETINFO when it connects.
		info := ktOK(t, rdb.ClientInfo(ctx)).Val()
		if !strings.HasPrefix(info.LibName, "go-redis") || info.LibVer == "" || info.Resp != proto ||
			info.LAddr != ts.addr || info.LastCmd != "client|info" || info.DB != 0 || info.User != "default" {
			t.Fatalf("CLIENT INFO = %+v", *info)
		}

		raw := ts.dialRawKeys(proto)
		got := raw.do("CLIENT", "INFO")
		var text string
		if proto == 3 {
			hdr, body, _ := strings.Cut(got, "\r\n")
			if !strings.HasPrefix(hdr, "=") || !strings.HasPrefix(body, "txt:") {
				t.Fatalf("RESP3 CLIENT INFO is not a verbatim string: %q", got)
			}
			text = strings.TrimPrefix(body, "txt:")
		} else {
			_, text, _ = strings.Cut(got, "\r\n")
		}
		text = strings.TrimSuffix(text, "\r\n")
		if !strings.HasSuffix(text, "\n") {
			t.Fatalf("CLIENT INFO does not end with a newline: %q", got)
		}
		self := parseClientLine(t, strings.TrimSuffix(text, "\n"))
		want := map[string]string{"name": "", "flags": "N", "db": "0", "sub": "0", "psub": "0", "ssub": "0",
			"multi": "-1", "argv-mem": "10", "multi-mem": "0", "events": "r", "cmd": "client|info", "user": "default",
			"redir": "-1", "resp": strconv.Itoa(proto), "lib-name": "", "lib-ver": "", "laddr": ts.addr}
		for k, v := range want {
			if self[k] != v {
				t.Errorf("CLIENT INFO %s=%q, want %q", k, self[k], v)
			}
		}

		// A subscriber and a client inside MULTI, seen by others.
		sub := rdb.Subscribe(ctx, "news")
		t.Cleanup(func() { _ = sub.Close() })
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		multi := ts.dialRawKeys(2)
		multi.do("CLIENT", "SETNAME", "tx")
		multi.do("MULTI")
		multi.do("PING")
		list := ktOK(t, rdb.ClientList(ctx)).Val()
		lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
		if len(lines) != 4 {
			t.Fatalf("CLIENT LIST has %d lines, want 4:\n%s", len(lines), list)
		}
		byName := map[string]map[string]string{}
		var subLine map[string]string
		for _, l := range lines {
			m := parseClientLine(t, l)
			byName[m["name"]] = m
			if m["sub"] == "1" {
				subLine = m
			}
		}
		if tx := byName["tx"]; tx == nil || tx["flags"] != "x" || tx["multi"] != "1" || tx["cmd"] != "ping" {
			t.Fatalf("MULTI client line = %v", tx)
		}
		if subLine == nil || subLine["flags"] != "P" || subLine["cmd"] != "subscribe" {
			t.Fatalf("subscriber line = %v\n%s", subLine, list)
		}
		pubsub := ktText(t, rdb.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub"))
		if n := strings.Count(pubsub, "\n"); n != 1 || !strings.Contains(pubsub, " sub=1 ") {
			t.Fatalf("CLIENT LIST TYPE pubsub = %q", pubsub)
		}
		normal := ktText(t, rdb.Do(ctx, "CLIENT", "LIST", "TYPE", "NORMAL"))
		if n := strings.Count(normal, "\n"); n != 3 || strings.Contains(normal, " sub=1 ") {
			t.Fatalf("CLIENT LIST TYPE normal = %q", normal)
		}
		if master := ktText(t, rdb.Do(ctx, "CLIENT", "LIST", "TYPE", "master")); master != "" {
			t.Fatalf("CLIENT LIST TYPE master = %q", master)
		}
		byID := ktText(t, rdb.Do(ctx, "CLIENT", "LIST", "ID", byName["tx"]["id"], "999999", byName["tx"]["id"]))
		if strings.Count(byID, "name=tx ") != 2 || strings.Count(byID, "\n") != 2 {
			t.Fatalf("CLIENT LIST ID tx 999999 tx = %q", byID)
		}

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"CLIENT", "LIST", "TYPE", "foo"}, "-ERR Unknown client type 'foo'\r\n"},
			{[]string{"CLIENT", "LIST", "ID", "x"}, "-ERR Invalid client ID\r\n"},
			{[]string{"CLIENT", "LIST", "ID"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "LIST", "foo"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "LIST", "TYPE", "normal", "x"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "LIST", "ID", "999999"}, map[int]string{2: "$0\r\n\r\n", 3: "=4\r\ntxt:\r\n"}[proto]},
			{[]string{"CLIENT", "INFO", "x"}, "-ERR wrong number of arguments for 'client|info' command\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
	})
}

// expectClosed waits for the server to close a raw connection.
func (c *rawKeysConn) expectClosed() {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := c.r.ReadByte()
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		c.t.Fatalf("connection still open (read %q, %v)", b, err)
	}
}

func TestClientKill(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		killer := ts.dialRawKeys(proto)
		idOf := func(c *rawKeysConn) string {
			return strings.TrimSuffix(strings.TrimPrefix(c.do("CLIENT", "ID"), ":"), "\r\n")
		}

		// Filter form: an integer reply, the victim is disconnected.
		victim := ts.dialRawKeys(proto)
		if got := killer.do("CLIENT", "KILL", "ID", idOf(victim)); got != ":1\r\n" {
			t.Fatalf("CLIENT KILL ID = %q", got)
		}
		victim.expectClosed()
		if got := killer.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("killer after kill: %q", got)
		}

		// Old form: +OK, or an error when no client has that address.
		victim = ts.dialRawKeys(proto)
		victim.do("PING") // the server has accepted it
		if got := killer.do("CLIENT", "KILL", victim.nc.LocalAddr().String()); got != "+OK\r\n" {
			t.Fatalf("CLIENT KILL addr = %q", got)
		}
		victim.expectClosed()
		if got := killer.do("CLIENT", "KILL", "1.2.3.4:5"); got != "-ERR No such client\r\n" {
			t.Fatalf("CLIENT KILL unknown addr = %q", got)
		}

		// TYPE pubsub kills subscribers only; LADDR and USER match everyone.
		rdb := ts.client(proto)
		sub := rdb.Subscribe(keysCtx(t), "ch")
		t.Cleanup(func() { _ = sub.Close() })
		if _, err := sub.Receive(keysCtx(t)); err != nil {
			t.Fatal(err)
		}
		if got := killer.do("CLIENT", "KILL", "TYPE", "pubsub"); got != ":1\r\n" {
			t.Fatalf("CLIENT KILL TYPE pubsub = %q", got)
		}
		other := ts.dialRawKeys(proto)
		other.do("PING") // the server has accepted it
		if got := killer.do("CLIENT", "KILL", "LADDR", ts.addr, "USER", "default", "TYPE", "normal"); got != ":1\r\n" {
			t.Fatalf("CLIENT KILL LADDR USER TYPE normal = %q (SKIPME is yes by default)", got)
		}
		other.expectClosed()

		// Killing oneself: the reply arrives, then the connection closes.
		self := killer.nc.LocalAddr().String()
		if got := killer.do("CLIENT", "KILL", "ADDR", self); got != ":0\r\n" {
			t.Fatalf("CLIENT KILL ADDR self (SKIPME yes) = %q", got)
		}
		killer.send("CLIENT", "KILL", "ADDR", self, "SKIPME", "no")
		killer.send("PING")
		if got := killer.reply(); got != ":1\r\n" {
			t.Fatalf("CLIENT KILL ADDR self SKIPME no = %q", got)
		}
		killer.expectClosed()

		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"CLIENT", "KILL", "ID", "999999"}, ":0\r\n"},
			{[]string{"CLIENT", "KILL", "ID", "0"}, "-ERR client-id should be greater than 0\r\n"},
			{[]string{"CLIENT", "KILL", "ID", "x"}, "-ERR client-id should be greater than 0\r\n"},
			{[]string{"CLIENT", "KILL", "USER", "nobody"}, "-ERR No such user 'nobody'\r\n"},
			{[]string{"CLIENT", "KILL", "TYPE", "foo"}, "-ERR Unknown client type 'foo'\r\n"},
			{[]string{"CLIENT", "KILL", "TYPE", "master"}, ":0\r\n"},
			{[]string{"CLIENT", "KILL", "TYPE", "replica"}, ":0\r\n"},
			{[]string{"CLIENT", "KILL", "SKIPME", "maybe"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "KILL", "ADDR", "1.1.1.1:1", "SKIPME"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "KILL", "foo", "bar"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "KILL"}, "-ERR wrong number of arguments for 'client|kill' command\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
	})
}

func TestClientSetInfoAndModes(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"CLIENT", "SETINFO", "LIB-NAME", "mylib"}, "+OK\r\n"},
			{[]string{"CLIENT", "SETINFO", "lib-ver", "1.2.3"}, "+OK\r\n"},
			{[]string{"CLIENT", "SETINFO", "foo", "x"}, "-ERR Unrecognized option 'foo'\r\n"},
			{[]string{"CLIENT", "SETINFO", "LiB-NaMe", "a b"}, "-ERR LiB-NaMe cannot contain spaces, newlines or special characters.\r\n"},
			{[]string{"CLIENT", "SETINFO", "lib-name"}, "-ERR wrong number of arguments for 'client|setinfo' command\r\n"},
			{[]string{"CLIENT", "NO-EVICT", "on"}, "+OK\r\n"},
			{[]string{"CLIENT", "NO-EVICT", "OFF"}, "+OK\r\n"},
			{[]string{"CLIENT", "NO-EVICT", "x"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "NO-TOUCH", "on"}, "+OK\r\n"},
			{[]string{"CLIENT", "NO-TOUCH", "maybe"}, "-ERR syntax error\r\n"},
			{[]string{"CLIENT", "REPLY", "ON"}, "+OK\r\n"},
			{[]string{"CLIENT", "REPLY", "x"}, "-ERR syntax error\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
		line := raw.do("CLIENT", "INFO")
		if !strings.Contains(line, " lib-name=mylib lib-ver=1.2.3\n") {
			t.Fatalf("CLIENT INFO after SETINFO: %q", line)
		}
		raw.do("CLIENT", "SETINFO", "lib-ver", "")
		if line := raw.do("CLIENT", "INFO"); !strings.Contains(line, " lib-name=mylib lib-ver=\n") {
			t.Fatalf("CLIENT INFO after clearing lib-ver: %q", line)
		}
		help := raw.do("CLIENT", "HELP")
		if !strings.HasPrefix(help, "*") || !strings.Contains(help, "+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n") ||
			!strings.HasSuffix(help, "+HELP\r\n+    Print this help.\r\n") {
			t.Fatalf("CLIENT HELP = %q", help)
		}
	})
}

// --- COMMAND ---

// TestCommandDocsMatchTable checks the Redis metadata against the command
// table: a command that exists in Redis must keep Redis's arity.
func TestCommandDocsMatchTable(t *testing.T) {
	check := func(cmd *command) {
		d := redisCommandDocs[cmd.fullName()]
		if d == nil {
			return
		}
		if d.arity != cmd.arity {
			t.Errorf("%s: arity %d, Redis has %d", cmd.fullName(), cmd.arity, d.arity)
		}
		var walk func(args []docArg)
		walk = func(args []docArg) {
			for _, a := range args {
				if a.keySpec > len(d.keySpecs) {
					t.Errorf("%s: argument %s names key spec %d of %d", cmd.fullName(), a.name, a.keySpec, len(d.keySpecs))
				}
				walk(a.args)
			}
		}
		walk(d.args)
	}
	for _, cmd := range commandTable {
		check(cmd)
		for _, sub := range cmd.subs {
			check(sub)
		}
		if cmd.summary == "" || cmd.since == "" || cmd.group == "" {
			t.Errorf("%s: summary, since and group must be set", cmd.name)
		}
	}
}

func TestCommand(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)

		infos := ktOK(t, rdb.Command(ctx)).Val()
		if len(infos) != len(commandTable) {
			t.Fatalf("COMMAND returned %d commands, table has %d", len(infos), len(commandTable))
		}
		xadd := infos["xadd"]
		if xadd == nil || xadd.Arity != -5 || xadd.FirstKeyPos != 1 || xadd.LastKeyPos != 1 || xadd.StepCount != 1 ||
			!slices.Equal(xadd.Flags, []string{"write", "denyoom", "fast"}) ||
			!slices.Equal(xadd.ACLFlags, []string{"@write", "@stream", "@fast"}) {
			t.Fatalf("COMMAND xadd = %+v", xadd)
		}
		if r := infos["retention"]; r == nil || r.Arity != -2 {
			t.Fatalf("COMMAND retention = %+v", r)
		}
		if xr := infos["xrange"]; xr == nil || !xr.ReadOnly {
			t.Fatalf("COMMAND xrange = %+v", xr)
		}
		if n := ktOK(t, rdb.Do(ctx, "COMMAND", "COUNT")).Val(); n != int64(len(commandTable)) {
			t.Fatalf("COMMAND COUNT = %d", n)
		}
		names := ktOK(t, rdb.CommandList(ctx, nil)).Val()
		for _, want := range []string{"client", "client|kill", "retention|set", "xinfo|stream", "flushall"} {
			if !slices.Contains(names, want) {
				t.Errorf("COMMAND LIST lacks %q", want)
			}
		}
		xs := ktOK(t, rdb.CommandList(ctx, &redis.FilterBy{Pattern: "xinfo*"})).Val()
		if !slices.Equal(xs, []string{"xinfo", "xinfo|consumers", "xinfo|groups", "xinfo|help", "xinfo|stream"}) {
			t.Fatalf("COMMAND LIST FILTERBY PATTERN xinfo* = %q", xs)
		}
		streams := ktOK(t, rdb.CommandList(ctx, &redis.FilterBy{ACLCat: "stream"})).Val()
		if !slices.Contains(streams, "xadd") || slices.Contains(streams, "publish") {
			t.Fatalf("COMMAND LIST FILTERBY ACLCAT stream = %q", streams)
		}
		keys := ktOK(t, rdb.CommandGetKeys(ctx, "xread", "count", "1", "streams", "a", "b", "0", "0")).Val()
		if !slices.Equal(keys, []string{"a", "b"}) {
			t.Fatalf("COMMAND GETKEYS xread = %q", keys)
		}
		kf := ktOK(t, rdb.CommandGetKeysAndFlags(ctx, "del", "a", "b")).Val()
		if len(kf) != 2 || kf[1].Key != "b" || !slices.Equal(kf[1].Flags, []string{"RM", "delete"}) {
			t.Fatalf("COMMAND GETKEYSANDFLAGS del a b = %+v", kf)
		}
		if keys := ktOK(t, rdb.CommandGetKeys(ctx, "retention", "set", "ch", "maxlen", "5")).Val(); !slices.Equal(keys, []string{"ch"}) {
			t.Fatalf("COMMAND GETKEYS retention set = %q", keys)
		}

		// Docs: a map of name to docs; redis-cli reads arguments from it.
		docs := ktOK(t, rdb.Do(ctx, "COMMAND", "DOCS", "xadd", "nope", "client|kill")).Val()
		m := asMap(t, docs)
		if len(m) != 2 {
			t.Fatalf("COMMAND DOCS xadd nope client|kill has %d entries", len(m))
		}
		xd := asMap(t, m["xadd"])
		if xd["summary"] != "Appends a new message to a stream. Creates the key if it doesn't exist." || xd["group"] != "stream" ||
			xd["since"] != "5.0.0" || len(xd["arguments"].([]any)) != 5 || len(xd["history"].([]any)) != 2 {
			t.Fatalf("COMMAND DOCS xadd = %v", xd)
		}
		cd := asMap(t, ktOK(t, rdb.Do(ctx, "COMMAND", "DOCS", "client")).Val())
		if subs := asMap(t, asMap(t, cd["client"])["subcommands"]); len(subs) != len(commandTable["client"].subs) {
			t.Fatalf("COMMAND DOCS client has %d subcommands", len(subs))
		}
		all := asMap(t, ktOK(t, rdb.Do(ctx, "COMMAND", "DOCS")).Val())
		if len(all) != len(commandTable) {
			t.Fatalf("COMMAND DOCS returned %d commands", len(all))
		}
	})
}

// ktText returns a command's string reply (bulk or verbatim).
func ktText(t *testing.T, cmd *redis.Cmd) string {
	t.Helper()
	s, err := cmd.Text()
	if err != nil {
		t.Fatalf("%v: %v", cmd.Args(), err)
	}
	return s
}

// asMap converts a go-redis map reply (a map in RESP3, a flat array in
// RESP2) to a map keyed by strings.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	out := map[string]any{}
	switch v := v.(type) {
	case map[any]any:
		for k, x := range v {
			out[k.(string)] = x
		}
	case []any:
		for i := 0; i+1 < len(v); i += 2 {
			out[v[i].(string)] = v[i+1]
		}
	default:
		t.Fatalf("not a map: %T %v", v, v)
	}
	return out
}

// TestCommandBytes compares replies with Redis's, byte for byte.
func TestCommandBytes(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		raw := ts.dialRawKeys(proto)
		set, mp := byte('~'), byte('%')
		agg := func(kind byte, n int) string { return ktAgg(proto, kind, n) }
		// Captured from Redis 7 (the metadata of XLEN did not change in 7.2).
		xlenInfo := "*10\r\n$4\r\nxlen\r\n:2\r\n" + agg(set, 2) + "+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n" +
			agg(set, 3) + "+@read\r\n+@stream\r\n+@fast\r\n" + agg(set, 0) + agg(set, 1) +
			agg(mp, 3) + "$5\r\nflags\r\n" + agg(set, 1) + "+RO\r\n" +
			"$12\r\nbegin_search\r\n" + agg(mp, 2) + "$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n" + agg(mp, 1) + "$5\r\nindex\r\n:1\r\n" +
			"$9\r\nfind_keys\r\n" + agg(mp, 2) + "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n" + agg(mp, 3) +
			"$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n" + agg(set, 0)
		xlenDocs := agg(mp, 1) + "$4\r\nxlen\r\n" + agg(mp, 5) + ktBulk("summary") + ktBulk("Return the number of messages in a stream.") +
			ktBulk("since") + ktBulk("5.0.0") + ktBulk("group") + ktBulk("stream") + ktBulk("complexity") + ktBulk("O(1)") +
			ktBulk("arguments") + "*1\r\n" + agg(mp, 4) + ktBulk("name") + ktBulk("key") + ktBulk("type") + ktBulk("key") +
			ktBulk("display_text") + ktBulk("key") + ktBulk("key_spec_index") + ":0\r\n"
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"COMMAND", "INFO", "xlen"}, "*1\r\n" + xlenInfo},
			{[]string{"COMMAND", "INFO", "XLEN", "nope"}, "*2\r\n" + xlenInfo + ktNull(proto)},
			{[]string{"COMMAND", "INFO", "client|kill|x", "client|nope"}, "*2\r\n" + ktNull(proto) + ktNull(proto)},
			{[]string{"COMMAND", "DOCS", "xlen", "nope"}, xlenDocs},
			{[]string{"COMMAND", "DOCS", "nope"}, agg(mp, 0)},
			{[]string{"COMMAND", "GETKEYS", "nope", "a"}, "-ERR Invalid command specified\r\n"},
			{[]string{"COMMAND", "GETKEYS", "ping", "x"}, "-ERR The command has no key arguments\r\n"},
			{[]string{"COMMAND", "GETKEYS", "xadd", "s"}, "-ERR Invalid number of arguments specified for command\r\n"},
			{[]string{"COMMAND", "GETKEYS", "xread", "streams", "a", "b", "1"}, "*1\r\n$1\r\na\r\n"},
			{[]string{"COMMAND", "GETKEYS", "xread", "count", "1", "x", "y"}, "-ERR Invalid arguments specified for command\r\n"},
			{[]string{"COMMAND", "GETKEYS", "xinfo", "stream", "s"}, "*1\r\n$1\r\ns\r\n"},
			{[]string{"COMMAND", "GETKEYS"}, "-ERR wrong number of arguments for 'command|getkeys' command\r\n"},
			{[]string{"COMMAND", "LIST", "FILTERBY"}, "-ERR syntax error\r\n"},
			{[]string{"COMMAND", "LIST", "FILTERBY", "foo", "x"}, "-ERR syntax error\r\n"},
			{[]string{"COMMAND", "LIST", "FILTERBY", "module", "x"}, "*0\r\n"},
			{[]string{"COMMAND", "LIST", "FILTERBY", "aclcat", "nope"}, "*0\r\n"},
			{[]string{"COMMAND", "COUNT", "x"}, "-ERR wrong number of arguments for 'command|count' command\r\n"},
			{[]string{"COMMAND", "foo"}, "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q:\n got %q\nwant %q", tc.args, got, tc.want)
			}
		}
	})
}

// --- INFO ---

func TestInfo(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)

		def := ktOK(t, rdb.Info(ctx)).Val()
		var titles []string
		for _, l := range strings.Split(def, "\r\n") {
			if strings.HasPrefix(l, "# ") {
				titles = append(titles, l[2:])
			}
		}
		want := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}
		if !slices.Equal(titles, want) {
			t.Fatalf("INFO sections = %q, want %q", titles, want)
		}
		if !strings.HasSuffix(def, "# Keyspace\r\n") {
			t.Fatalf("INFO on an empty server must end with an empty Keyspace section: %q", def[len(def)-40:])
		}
		if all := ktOK(t, rdb.Info(ctx, "everything")).Val(); !strings.Contains(all, "# Commandstats\r\n") || !strings.Contains(all, "# Latencystats\r\n") {
			t.Fatal("INFO everything lacks Commandstats or Latencystats")
		}
		if got := ktOK(t, rdb.Info(ctx, "nosuch")).Val(); got != "" {
			t.Fatalf("INFO nosuch = %q", got)
		}

		ktXAdd(t, rdb, "a", "1-1", "2-1")
		sub := rdb.Subscribe(ctx, "news")
		t.Cleanup(func() { _ = sub.Close() })
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		ktOK(t, rdb.Publish(ctx, "news", "hi"))
		im := ktOK(t, rdb.InfoMap(ctx, "server", "keyspace", "stats", "persistence", "clients", "replication", "memory", "cpu")).Val()
		for section, fields := range map[string]map[string]string{
			"Server":      {"redis_version": redisVersion, "redis_mode": "standalone", "tcp_port": ts.addr[strings.LastIndex(ts.addr, ":")+1:], "rewind_version": Version, "arch_bits": strconv.Itoa(strconv.IntSize), "config_file": ""},
			"Keyspace":    {"db0": "keys=2,expires=0,avg_ttl=0"},
			"Stats":       {"pubsub_channels": "1", "pubsub_patterns": "0", "pubsubshard_channels": "0", "rewind_published_entries": "3", "rewind_deliveries": "1", "rejected_connections": "0"},
			"Persistence": {"loading": "0", "aof_enabled": "1", "rewind_entries": "3", "aof_last_write_status": "ok", "rewind_fsync": "always"},
			"Clients":     {"connected_clients": "2", "pubsub_clients": "1", "maxclients": "10000", "blocked_clients": "0"},
			"Replication": {"role": "master", "connected_slaves": "0"},
			"Memory":      {"maxmemory": "0", "maxmemory_policy": "noeviction"},
		} {
			for k, v := range fields {
				if got, ok := im[section][k]; !ok || got != v {
					t.Errorf("INFO %s %s = %q (present %v), want %q", section, k, got, ok, v)
				}
			}
		}
		for _, k := range []string{"process_id", "uptime_in_seconds", "run_id", "executable"} {
			if im["Server"][k] == "" {
				t.Errorf("INFO server lacks %s", k)
			}
		}
		if n, _ := strconv.Atoi(im["Stats"]["total_commands_processed"]); n < 5 {
			t.Errorf("total_commands_processed = %q", im["Stats"]["total_commands_processed"])
		}
		if n, _ := strconv.Atoi(im["Memory"]["used_memory"]); n <= 0 {
			t.Errorf("used_memory = %q", im["Memory"]["used_memory"])
		}
		if !strings.Contains(im["CPU"]["used_cpu_user"], ".") {
			t.Errorf("used_cpu_user = %q", im["CPU"]["used_cpu_user"])
		}

		// Two sections, in Redis's order whatever the order asked.
		two := ktOK(t, rdb.Info(ctx, "CLUSTER", "server")).Val()
		if !strings.HasPrefix(two, "# Server\r\n") || !strings.HasSuffix(two, "\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n") {
			t.Fatalf("INFO cluster server = %q", two)
		}

		raw := ts.dialRawKeys(proto)
		got := raw.do("INFO", "cluster")
		body := "# Cluster\r\ncluster_enabled:0\r\n"
		if proto == 3 {
			if want := "=" + strconv.Itoa(len(body)+4) + "\r\ntxt:" + body + "\r\n"; got != want {
				t.Fatalf("RESP3 INFO cluster = %q, want %q", got, want)
			}
		} else if want := ktBulk(body); got != want {
			t.Fatalf("RESP2 INFO cluster = %q, want %q", got, want)
		}
		if got := raw.do("INFO", "nosuch", "other"); got != map[int]string{2: "$0\r\n\r\n", 3: "=4\r\ntxt:\r\n"}[proto] {
			t.Fatalf("INFO nosuch other = %q", got)
		}

		// CONFIG RESETSTAT zeroes the counters.
		ktOK(t, rdb.ConfigResetStat(ctx))
		stats := ktOK(t, rdb.InfoMap(ctx, "stats")).Val()["Stats"]
		if stats["rewind_published_entries"] != "0" || stats["rewind_deliveries"] != "0" || stats["total_connections_received"] != "0" {
			t.Fatalf("INFO stats after RESETSTAT = %v", stats)
		}
	})
}

// --- CONFIG ---

func TestConfig(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, func(b *broker.Config, _ *Config) {
			b.Retention = broker.Retention{MaxAgeMs: 3600000, MaxLen: 1000}
			b.Limits.MaxMessageBytes = 1 << 20
		})
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		port := ts.addr[strings.LastIndex(ts.addr, ":")+1:]
		for pattern, want := range map[string]map[string]string{
			"maxclients": {"maxclients": "10000"},
			"max*": {"max-channel-name-bytes": "65536", "max-message-bytes": "1048576", "max-pattern-bytes": "1024",
				"maxclients": "10000", "maxmemory": "0", "maxmemory-clients": "1073741824", "maxmemory-policy": "noeviction"},
			"retention-*": {"retention-max-age": "3600000", "retention-max-len": "1000", "retention-max-bytes": "0"},
			"port":        {"port": port},
			"nosuch":      {},
			"save":        {"save": ""},
			"append*":     {"appendonly": "yes", "appendfsync": "always"},
		} {
			got := ktOK(t, rdb.ConfigGet(ctx, pattern)).Val()
			if len(got) != len(want) {
				t.Errorf("CONFIG GET %s = %v, want %v", pattern, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("CONFIG GET %s: %s = %q, want %q", pattern, k, got[k], v)
				}
			}
		}
		if got := ktOK(t, rdb.ConfigGet(ctx, "dir")).Val()["dir"]; got != ts.dir {
			t.Errorf("CONFIG GET dir = %q, want %q", got, ts.dir)
		}
		ktOK(t, rdb.ConfigSet(ctx, "maxclients", "10000"))
		ktOK(t, rdb.ConfigSet(ctx, "save", ""))
		ktOK(t, rdb.ConfigSet(ctx, "APPENDONLY", "YES"))

		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"CONFIG", "GET", "MAXCLIENTS"}, ktAgg(proto, '%', 1) + ktBulk("MAXCLIENTS") + ktBulk("10000")},
			{[]string{"CONFIG", "GET", "maxclients", "MAXCLIENTS"}, ktAgg(proto, '%', 1) + ktBulk("maxclients") + ktBulk("10000")},
			{[]string{"CONFIG", "GET", "nosuch"}, ktAgg(proto, '%', 0)},
			{[]string{"CONFIG", "GET"}, "-ERR wrong number of arguments for 'config|get' command\r\n"},
			{[]string{"CONFIG", "SET", "maxclients", "5"}, "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - can't set immutable config\r\n"},
			{[]string{"CONFIG", "SET", "nosuch", "1"}, "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"},
			{[]string{"CONFIG", "SET", "nosuch", "1", "maxclients"}, "-ERR syntax error\r\n"},
			{[]string{"CONFIG", "SET", "maxclients", "10000", "maxclients", "10000"}, "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter\r\n"},
			{[]string{"CONFIG", "SET", "maxclients"}, "-ERR wrong number of arguments for 'config|set' command\r\n"},
			{[]string{"CONFIG", "REWRITE"}, "-ERR The server is running without a config file\r\n"},
			{[]string{"CONFIG", "RESETSTAT"}, "+OK\r\n"},
			{[]string{"CONFIG", "RESETSTAT", "x"}, "-ERR wrong number of arguments for 'config|resetstat' command\r\n"},
			{[]string{"CONFIG"}, "-ERR wrong number of arguments for 'config' command\r\n"},
			{[]string{"CONFIG", "foo"}, "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"},
			{[]string{"CONFIG", "HELP"}, "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n" +
				"+    Return parameters matching the glob-like <pattern> and their values.\r\n+SET <directive> <value>\r\n" +
				"+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n+    Reset statistics reported by the INFO command.\r\n" +
				"+REWRITE\r\n+    Rewrite the configuration file.\r\n+HELP\r\n+    Print this help.\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
	})
}

// --- DBSIZE, TIME, LASTSAVE, SAVE, BGSAVE ---

func TestServerMisc(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		if n := ktOK(t, rdb.DBSize(ctx)).Val(); n != 0 {
			t.Fatalf("DBSIZE = %d", n)
		}
		ktXAdd(t, rdb, "a", "1-1")
		ktXAdd(t, rdb, "b", "1-1")
		if n := ktOK(t, rdb.DBSize(ctx)).Val(); n != 2 {
			t.Fatalf("DBSIZE = %d", n)
		}
		now := time.Now()
		if st := ktOK(t, rdb.Time(ctx)).Val(); st.Sub(now).Abs() > 5*time.Second {
			t.Fatalf("TIME = %v, now %v", st, now)
		}
		if ls := ktOK(t, rdb.LastSave(ctx)).Val(); time.Unix(ls, 0).Sub(now).Abs() > 5*time.Second {
			t.Fatalf("LASTSAVE = %d", ls)
		}
		if got := ktOK(t, rdb.Save(ctx)).Val(); got != "OK" {
			t.Fatalf("SAVE = %q", got)
		}
		if got := ktOK(t, rdb.BgSave(ctx)).Val(); got != "Background saving started" {
			t.Fatalf("BGSAVE = %q", got)
		}
		raw := ts.dialRawKeys(proto)
		if got := raw.do("TIME"); !strings.HasPrefix(got, "*2\r\n$10\r\n") {
			t.Fatalf("TIME = %q", got)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"BGSAVE", "SCHEDULE"}, "+Background saving started\r\n"},
			{[]string{"BGSAVE", "foo"}, "-ERR syntax error\r\n"},
			{[]string{"DBSIZE", "x"}, "-ERR wrong number of arguments for 'dbsize' command\r\n"},
			{[]string{"TIME", "x"}, "-ERR wrong number of arguments for 'time' command\r\n"},
			{[]string{"LASTSAVE", "x"}, "-ERR wrong number of arguments for 'lastsave' command\r\n"},
			{[]string{"SAVE", "x"}, "-ERR wrong number of arguments for 'save' command\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
	})
}

// --- FLUSHALL ---

func TestFlushAllNeedsConfirm(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		ktXAdd(t, rdb, "a", "1-1", "2-1")
		ktXAdd(t, rdb, "b", "1-1")

		ktWantErr(t, rdb.FlushAll(ctx).Err(), "ERR FLUSHALL destroys every channel's log; rewind requires FLUSHALL CONFIRM (or start the server with --allow-flush)")
		ktWantErr(t, rdb.FlushDBAsync(ctx).Err(), "ERR FLUSHDB destroys every channel's log; rewind requires FLUSHDB CONFIRM (or start the server with --allow-flush)")
		ktWantErr(t, rdb.Do(ctx, "FLUSHALL", "foo").Err(), "ERR syntax error")
		ktWantErr(t, rdb.Do(ctx, "FLUSHALL", "ASYNC", "SYNC", "CONFIRM").Err(), "ERR syntax error")
		ktWantErr(t, rdb.Do(ctx, "FLUSHALL", "CONFIRM", "CONFIRM").Err(), "ERR syntax error")
		if n := ktOK(t, rdb.XLen(ctx, "a")).Val(); n != 2 {
			t.Fatalf("refused FLUSHALL lost data: XLEN a = %d", n)
		}
		if n := ktOK(t, rdb.DBSize(ctx)).Val(); n != 2 {
			t.Fatalf("refused FLUSHALL lost data: DBSIZE = %d", n)
		}

		// Pipelined: the XADD before FLUSHALL is flushed, the one after stays.
		raw := ts.dialRawKeys(proto)
		raw.send("XADD", "c", "1-1", "f", "v")
		raw.send("FLUSHALL", "SYNC", "CONFIRM")
		raw.send("XADD", "d", "1-1", "f", "v")
		for i, want := range []string{ktBulk("1-1"), "+OK\r\n", ktBulk("1-1")} {
			if got := raw.reply(); got != want {
				t.Fatalf("reply %d = %q, want %q", i, got, want)
			}
		}
		if keys := ktOK(t, rdb.Keys(ctx, "*")).Val(); !slices.Equal(keys, []string{"d"}) {
			t.Fatalf("KEYS after FLUSHALL CONFIRM = %q", keys)
		}
		if got := raw.do("FLUSHDB", "CONFIRM"); got != "+OK\r\n" {
			t.Fatalf("FLUSHDB CONFIRM = %q", got)
		}
		if got := raw.do("FLUSHALL", "confirm"); got != "+OK\r\n" {
			t.Fatalf("FLUSHALL confirm on an empty server = %q", got)
		}
		ts.restart()
		rdb = ts.client(proto)
		if n := ktOK(t, rdb.DBSize(ctx)).Val(); n != 0 {
			t.Fatalf("DBSIZE after FLUSHALL and restart = %d", n)
		}
		if got := ktOK(t, rdb.XRange(ctx, "a", "-", "+")).Val(); len(got) != 0 {
			t.Fatalf("XRANGE a after FLUSHALL and restart = %v", got)
		}
	})
}

func TestFlushAllAllowed(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.AllowFlush = true })
	ctx := keysCtx(t)
	rdb := ts.client(2)
	ktXAdd(t, rdb, "a", "1-1")
	ktOK(t, rdb.FlushAll(ctx))
	if n := ktOK(t, rdb.DBSize(ctx)).Val(); n != 0 {
		t.Fatalf("DBSIZE after FLUSHALL with AllowFlush = %d", n)
	}
	ktXAdd(t, rdb, "b", "1-1")
	ktOK(t, rdb.FlushDBAsync(ctx))
	if n := ktOK(t, rdb.Exists(ctx, "b")).Val(); n != 0 {
		t.Fatalf("EXISTS b after FLUSHDB ASYNC = %d", n)
	}
}

// --- RETENTION ---

func TestRetention(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, func(b *broker.Config, _ *Config) {
			b.Retention = broker.Retention{MaxLen: 100, MaxAgeMs: 0}
			b.RetentionInterval = time.Hour // passes run when the test asks
		})
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		get := func(ch string) map[string]int64 {
			t.Helper()
			out := map[string]int64{}
			for k, v := range asMap(t, ktOK(t, rdb.Do(ctx, "RETENTION", "GET", ch)).Val()) {
				switch v := v.(type) {
				case bool: // RESP3 boolean (INTEREST)
					out[k] = map[bool]int64{false: 0, true: 1}[v]
				default:
					out[k] = v.(int64)
				}
			}
			return out
		}
		same := func(got, want map[string]int64) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("RETENTION GET = %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("RETENTION GET = %v, want %v", got, want)
				}
			}
		}
		ktWantErr(t, rdb.Do(ctx, "RETENTION", "GET", "ch").Err(), "ERR no such key")
		ktOK(t, rdb.Do(ctx, "RETENTION", "SET", "ch", "MAXAGE", "60000"))
		if got := ktOK(t, rdb.Type(ctx, "ch")).Val(); got != "stream" {
			t.Fatalf("RETENTION SET did not create the channel: TYPE = %q", got)
		}
		same(get("ch"), map[string]int64{"interest": 0, "maxage": 60000, "maxlen": 0, "maxbytes": 0,
			"effective-maxage": 60000, "effective-maxlen": 100, "effective-maxbytes": -1})
		ktOK(t, rdb.Do(ctx, "RETENTION", "SET", "ch", "maxlen", "-1", "MAXBYTES", "4096"))
		same(get("ch"), map[string]int64{"interest": 0, "maxage": 60000, "maxlen": -1, "maxbytes": 4096,
			"effective-maxage": 60000, "effective-maxlen": -1, "effective-maxbytes": 4096})

		// Limits survive a restart, and the retention pass applies them.
		ktOK(t, rdb.Do(ctx, "RETENTION", "SET", "ch", "MAXLEN", "2", "MAXBYTES", "0", "MAXAGE", "0"))
		ktXAdd(t, rdb, "ch", "1-1", "2-1", "3-1", "4-1")
		ts.restart()
		rdb = ts.client(proto)
		same(get("ch"), map[string]int64{"interest": 0, "maxage": 0, "maxlen": 2, "maxbytes": 0,
			"effective-maxage": -1, "effective-maxlen": 2, "effective-maxbytes": -1})
		if err := ts.b.EnforceRetention(); err != nil {
			t.Fatal(err)
		}
		if got := ktOK(t, rdb.XRange(ctx, "ch", "-", "+")).Val(); len(got) != 2 || got[0].ID != "3-1" {
			t.Fatalf("XRANGE after the retention pass = %v", got)
		}

		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"RETENTION", "SET", "ch", "MAXLEN", "-2"}, "-ERR MAXLEN must be -1 (no limit), 0 (the server default) or positive\r\n"},
			{[]string{"RETENTION", "SET", "ch", "maxage", "x"}, "-ERR value is not an integer or out of range\r\n"},
			{[]string{"RETENTION", "SET", "ch", "FOO", "1"}, "-ERR syntax error\r\n"},
			{[]string{"RETENTION", "SET", "ch", "MAXLEN", "1", "MAXAGE"}, "-ERR syntax error\r\n"},
			{[]string{"RETENTION", "SET", "ch", "MAXLEN"}, "-ERR wrong number of arguments for 'retention|set' command\r\n"},
			{[]string{"RETENTION", "GET"}, "-ERR wrong number of arguments for 'retention|get' command\r\n"},
			{[]string{"RETENTION"}, "-ERR wrong number of arguments for 'retention' command\r\n"},
			{[]string{"RETENTION", "FOO"}, "-ERR unknown subcommand 'FOO'. Try RETENTION HELP.\r\n"},
			{[]string{"RETENTION", "GET", "ch"}, ktAgg(proto, '%', 7) + ktBulk("interest") + map[int]string{2: ":0\r\n", 3: "#f\r\n"}[proto] +
				ktBulk("maxage") + ":0\r\n" + ktBulk("maxlen") + ":2\r\n" +
				ktBulk("maxbytes") + ":0\r\n" + ktBulk("effective-maxage") + ":-1\r\n" + ktBulk("effective-maxlen") + ":2\r\n" +
				ktBulk("effective-maxbytes") + ":-1\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
		if help := raw.do("RETENTION", "HELP"); !strings.HasPrefix(help, "*9\r\n+RETENTION <subcommand>") {
			t.Fatalf("RETENTION HELP = %q", help)
		}
	})
}
