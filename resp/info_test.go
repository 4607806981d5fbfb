package resp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// INFO against a real redis-server 7.0.15: the section headers and field
// names (values differ, so INFO is not in the byte-for-byte diff scripts),
// and the commandstats and errorstats counts of the same traffic.

// infoExtensions are the fields rewind reports that Redis 7.0.15 does not,
// by section: its own (rewind_*, go_*), fields of Redis 7.2 that rewind
// follows, and the AOF fields Redis prints only with appendonly yes (the
// reference runs with appendonly no; rewind's log is always on).
var infoExtensions = map[string][]string{
	"Server":  {"listener0" /* 7.2 */, "rewind_version", "go_version"},
	"Clients": {"total_blocking_keys", "total_blocking_keys_on_nokey", "pubsub_clients" /* 7.2 */, "rewind_subscriber_output_bytes"},
	"Memory":  {"go_heap_sys", "go_num_gc"},
	"Persistence": {"aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
		"aof_pending_bio_fsync", "aof_delayed_fsync", "rewind_fsync", "rewind_disk_bytes", "rewind_entries", "rewind_entry_bytes"},
	"Stats": {"rewind_published_entries", "rewind_deliveries", "rewind_slow_subscriber_disconnects"},
}

// infoSection is one section of an INFO reply: its title and field names,
// in order. A commandstats or errorstats field is named with the keys of
// its value ("cmdstat_ping:calls,usec,..."), so those are compared too.
type infoSection struct {
	title  string
	fields []string
}

func parseInfoFields(text string) []infoSection {
	var out []infoSection
	for _, line := range strings.Split(text, "\r\n") {
		if title, ok := strings.CutPrefix(line, "# "); ok {
			out = append(out, infoSection{title: title})
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || len(out) == 0 {
			continue
		}
		if strings.HasPrefix(name, "cmdstat_") || strings.HasPrefix(name, "errorstat_") {
			var keys []string
			for _, kv := range strings.Split(value, ",") {
				k, _, _ := strings.Cut(kv, "=")
				keys = append(keys, k)
			}
			name += ":" + strings.Join(keys, ",")
		}
		out[len(out)-1].fields = append(out[len(out)-1].fields, name)
	}
	return out
}

// infoTraffic runs the same commands on a server: a call, a rejected call
// (wrong arity), a failed call and a blocking read, so that commandstats,
// errorstats and the keyspace have lines.
func infoTraffic(t *testing.T, addr string) string {
	c := dialRaw(t, addr)
	c.do("CONFIG", "RESETSTAT")
	c.do("PING")
	c.do("XADD", "s")
	c.do("XADD", "s", "1-1", "a", "b")
	c.do("XADD", "s", "1-1", "a", "b")
	c.do("XREAD", "BLOCK", "1", "STREAMS", "nothing", "$")
	return c.do("INFO", "everything")
}

func TestInfoFieldsMatchRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := newTestServer(t)
	want := parseInfoFields(infoTraffic(t, redisAddr))
	got := parseInfoFields(infoTraffic(t, ts.Addr))

	titles := func(ss []infoSection) (out []string) {
		for _, s := range ss {
			out = append(out, s.title)
		}
		return out
	}
	if !slices.Equal(titles(got), titles(want)) {
		t.Fatalf("INFO everything sections:\n rewind %q\n redis  %q", titles(got), titles(want))
	}
	for i, ws := range want {
		gs := got[i]
		var common []string // rewind's Redis fields, in rewind's order
		for _, f := range gs.fields {
			switch {
			case slices.Contains(infoExtensions[gs.title], f):
			case !slices.Contains(ws.fields, f):
				t.Errorf("INFO %s: rewind reports %q, which Redis does not", gs.title, f)
			default:
				common = append(common, f)
			}
		}
		var inRedisOrder, missing []string
		for _, f := range ws.fields {
			if slices.Contains(common, f) {
				inRedisOrder = append(inRedisOrder, f)
			} else {
				missing = append(missing, f)
			}
		}
		// Redis lists commandstats in hash-table order.
		if gs.title != "Commandstats" && !slices.Equal(common, inRedisOrder) {
			t.Errorf("INFO %s: fields out of Redis's order:\n rewind %q\n redis  %q", gs.title, common, inRedisOrder)
		}
		for _, must := range []string{"total_error_replies", "blocked_clients",
			"cmdstat_ping:calls,usec,usec_per_call,rejected_calls,failed_calls",
			"cmdstat_xadd:calls,usec,usec_per_call,rejected_calls,failed_calls",
			"cmdstat_xread:calls,usec,usec_per_call,rejected_calls,failed_calls",
			"errorstat_ERR:count", "db0"} {
			if slices.Contains(missing, must) {
				t.Errorf("INFO %s lacks %q", gs.title, must)
			}
		}
		if len(missing) > 0 {
			t.Logf("INFO %s: %d Redis fields rewind does not report: %v", gs.title, len(missing), missing)
		}
	}
}

// TestInfoSectionsMatchRedis: which sections INFO returns, by argument, is
// Redis's: none or "default", "all" (all but module-generated ones),
// "everything", one or several names in any case, unknown names ignored.
func TestInfoSectionsMatchRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := newTestServer(t)
	redisConn, rewindConn := dialRaw(t, redisAddr), dialRaw(t, ts.Addr)
	titles := func(c *rawConn, args []string) []string {
		var out []string
		for _, s := range parseInfoFields(c.do(append([]string{"INFO"}, args...)...)) {
			out = append(out, s.title)
		}
		return out
	}
	for _, args := range [][]string{
		nil, {"default"}, {"DEFAULT"}, {"all"}, {"everything"}, {"server"}, {"Server", "CLIENTS"},
		{"keyspace", "server"}, {"commandstats"}, {"errorstats"}, {"latencystats"}, {"modules"},
		{"module_list"}, {"default", "commandstats"}, {"all", "nosuch"}, {"nosuch"}, {"cpu", "cpu"},
		{"everything", "server"}, {"memory", "persistence", "stats", "replication", "cluster"},
	} {
		want, got := titles(redisConn, args), titles(rewindConn, args)
		if !slices.Equal(got, want) {
			t.Errorf("INFO %q sections:\n rewind %q\n redis  %q", args, got, want)
		}
	}
}

// statsStep is a pipeline sent on one connection and the number of replies
// it gets (CLIENT REPLY OFF and SKIP withhold some).
type statsStep struct {
	conn    string
	cmds    [][]string
	replies int
}

func splitCmds(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

// statsSteps covers Redis's counting rules: calls, rejected calls (arity,
// subscribe mode, MULTI queuing, a command not allowed in MULTI), failed
// calls (an error from the command, from the broker after the commit, EXEC
// aborted, WATCH in MULTI), the unknown command and subcommand (errorstats
// only), EXEC not failing for the commands inside it, and errors counted
// whether or not CLIENT REPLY lets them be sent.
var statsSteps = []statsStep{
	{"", splitCmds("CONFIG RESETSTAT"), 1},
	{"", splitCmds("PING"), 1},
	{"", splitCmds("XADD s"), 1},
	{"", splitCmds("CLIENT FOO"), 1},
	{"", splitCmds("CLIENT"), 1},
	{"", splitCmds("NOSUCH"), 1},
	{"", splitCmds("MULTI", "XADD s", "EXEC"), 3},
	{"", splitCmds("MULTI", "PING", "XADD s 1-1 a", "EXEC"), 4},
	{"", splitCmds("EXEC"), 1},
	{"", splitCmds("MULTI", "WATCH x", "MULTI", "DISCARD"), 4},
	{"", splitCmds("MULTI", "SAVE", "EXEC"), 3},
	{"", splitCmds("MULTI", "XADD s 0-1 a b", "PING", "EXEC"), 4},
	{"", splitCmds("MULTI", "XADD s 0-1 a b", "EXEC"), 3},
	{"", splitCmds("CLIENT REPLY FOO"), 1},
	{"sub", splitCmds("SUBSCRIBE c"), 1},
	{"sub", splitCmds("XADD k 1-1 a b"), 1},
	{"sub", splitCmds("CLIENT LIST"), 1},
	{"", splitCmds("XREAD BLOCK 10 STREAMS s2 $"), 1},
	{"", splitCmds("PING a b c"), 1},
	{"", splitCmds("HELLO 4"), 1},
	{"", splitCmds("XADD s 5-1 a b", "XADD s 5-1 a b", "PING"), 3},
	{"", splitCmds("XREADGROUP GROUP g c STREAMS s >"), 1},
	{"", splitCmds("CLIENT REPLY OFF", "XADD s", "XADD s 1-1 a b", "NOSUCH", "CLIENT REPLY ON"), 1},
	{"", splitCmds("CLIENT REPLY SKIP", "XADD s 1-1 a b", "PUBLISH"), 1},
	{"", splitCmds("XGROUP CREATE s g $", "XREADGROUP GROUP g c STREAMS s >", "XACK s g 1-1", "XACK s"), 4},
}

// runStatsSteps runs statsSteps on a server and returns its replies and
// INFO commandstats, errorstats and total_error_replies, without times.
func runStatsSteps(t *testing.T, addr string) (replies, stats string) {
	conns := map[string]*rawConn{}
	var sb strings.Builder
	for _, st := range statsSteps {
		c := conns[st.conn]
		if c == nil {
			c = dialRaw(t, addr)
			conns[st.conn] = c
		}
		var pipeline strings.Builder
		for _, args := range st.cmds {
			pipeline.WriteString(encodeCommand(args...))
		}
		c.write(pipeline.String())
		for i := 0; i < st.replies; i++ {
			sb.WriteString(c.read())
		}
		sb.WriteString("\n")
	}
	info := conns[""].do("INFO", "commandstats", "errorstats", "stats")
	var lines []string
	for _, l := range strings.Split(info, "\r\n") {
		switch {
		case strings.HasPrefix(l, "cmdstat_"):
			name, value, _ := strings.Cut(l, ":")
			var kept []string
			for _, kv := range strings.Split(value, ",") {
				if !strings.HasPrefix(kv, "usec") {
					kept = append(kept, kv)
				}
			}
			lines = append(lines, name+":"+strings.Join(kept, ","))
		case strings.HasPrefix(l, "errorstat_"), strings.HasPrefix(l, "total_error_replies:"):
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return sb.String(), strings.Join(lines, "\n")
}

func TestCommandStatsMatchRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := newTestServer(t)
	wantReplies, want := runStatsSteps(t, redisAddr)
	gotReplies, got := runStatsSteps(t, ts.Addr)
	if gotReplies != wantReplies {
		t.Errorf("replies differ:\n rewind %q\n redis  %q", gotReplies, wantReplies)
	}
	if got != want {
		t.Fatalf("INFO commandstats, errorstats:\n--- rewind\n%s\n--- redis\n%s", got, want)
	}
	t.Logf("counts as Redis's:\n%s", got)

	// CONFIG RESETSTAT zeroes them: only its own call is left.
	for _, addr := range []string{redisAddr, ts.Addr} {
		c := dialRaw(t, addr)
		c.do("CONFIG", "RESETSTAT")
		info := c.do("INFO", "commandstats", "errorstats")
		if !strings.Contains(info, "# Commandstats\r\ncmdstat_config|resetstat:calls=1,") ||
			strings.Count(info, "cmdstat_") != 1 || strings.Contains(info, "errorstat_") {
			t.Errorf("%s: INFO after CONFIG RESETSTAT = %q", addr, info)
		}
		if stats := c.do("INFO", "stats"); !strings.Contains(stats, "\r\ntotal_error_replies:0\r\n") {
			t.Errorf("%s: total_error_replies after CONFIG RESETSTAT: %q", addr, stats)
		}
	}
}

// TestCommandStatsTimes checks what the times say: a write includes the
// group commit it waited for, a blocked read not the time it was blocked,
// and usec_per_call is usec over calls.
func TestCommandStatsTimes(t *testing.T) {
	ts := newTestServer(t)
	ctx := testCtx(t)
	rdb := newClient(t, ts.Addr)
	for i := 0; i < 10; i++ {
		ktOK(t, rdb.Publish(ctx, "news", "hi"))
	}
	if err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"news", "$"}, Block: 300 * time.Millisecond}).Err(); err != redis.Nil {
		t.Fatalf("XREAD BLOCK 300 = %v, want a timeout", err)
	}
	info := ktOK(t, rdb.Info(ctx, "commandstats")).Val()
	var calls, usec int64
	var perCall float64
	line := findInfoLine(t, info, "cmdstat_publish")
	if _, err := fmt.Sscanf(line, "cmdstat_publish:calls=%d,usec=%d,usec_per_call=%f", &calls, &usec, &perCall); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if calls != 10 || usec <= 0 || fmt.Sprintf("%.2f", float64(usec)/10) != fmt.Sprintf("%.2f", perCall) {
		t.Errorf("PUBLISH stats %q: want 10 calls and the commit time", line)
	}
	line = findInfoLine(t, info, "cmdstat_xread")
	if _, err := fmt.Sscanf(line, "cmdstat_xread:calls=%d,usec=%d", &calls, &usec); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if calls != 1 || usec >= 300_000 {
		t.Errorf("XREAD stats %q: want 1 call, without the 300 ms it was blocked", line)
	}
}

func findInfoLine(t *testing.T, info, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, prefix+":") {
			return l
		}
	}
	t.Fatalf("no %s in %q", prefix, info)
	return ""
}

// TestBlockedClients polls INFO clients as a test harness does to know a
// client is blocked: blocked_clients counts XREAD and XREADGROUP BLOCK
// while they wait, and drops when they are served, time out or disconnect.
func TestBlockedClients(t *testing.T) {
	ts := newTestServer(t)
	ctx := testCtx(t)
	admin := newClient(t, ts.Addr)
	blocked := func() string {
		return ktOK(t, admin.InfoMap(ctx, "clients")).Val()["Clients"]["blocked_clients"]
	}
	waitBlocked := func(want string) {
		t.Helper()
		waitFor(t, 10*time.Second, "blocked_clients:"+want, func() error {
			if got := blocked(); got != want {
				return fmt.Errorf("blocked_clients = %s", got)
			}
			return nil
		})
	}
	if got := blocked(); got != "0" {
		t.Fatalf("blocked_clients = %s with nobody blocked", got)
	}

	// Served by an XADD.
	reader := newClient(t, ts.Addr)
	done := make(chan error, 1)
	go func() {
		done <- reader.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Err()
	}()
	waitBlocked("1")
	// CLIENT LIST flags the blocked client b, as Redis does.
	if list := ktOK(t, admin.ClientList(ctx)).Val(); !strings.Contains(list, "flags=b ") {
		t.Fatalf("CLIENT LIST while a client is blocked:\n%s", list)
	}
	ktOK(t, admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"a", "b"}}))
	if err := <-done; err != nil {
		t.Fatalf("XREAD BLOCK 0: %v", err)
	}
	waitBlocked("0")
	if list := ktOK(t, admin.ClientList(ctx)).Val(); strings.Contains(list, "flags=b ") {
		t.Fatalf("CLIENT LIST after the blocked client was served:\n%s", list)
	}

	// Two at once, one of them a consumer group read that times out.
	ktOK(t, admin.XGroupCreate(ctx, "s", "g", "$"))
	group := newClient(t, ts.Addr)
	go func() {
		done <- reader.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Err()
	}()
	go func() {
		done <- group.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 500 * time.Millisecond}).Err()
	}()
	waitBlocked("2")
	if err := <-done; err != redis.Nil {
		t.Fatalf("XREADGROUP BLOCK 500 = %v, want a timeout", err)
	}
	waitBlocked("1")
	ktOK(t, admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []string{"a", "b"}}))
	if err := <-done; err != nil {
		t.Fatalf("XREAD BLOCK 0: %v", err)
	}
	waitBlocked("0")

	// A blocked client that disconnects.
	raw := dialRaw(t, ts.Addr)
	raw.write(encodeCommand("XREAD", "BLOCK", "0", "STREAMS", "s", "$"))
	waitBlocked("1")
	_ = raw.nc.Close()
	waitBlocked("0")
}
