package resp

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestXInfoStreamGoRedis(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		ktXAdd(t, rdb, "s", "1-1", "2-1", "3-1")
		ktOK(t, rdb.XDel(ctx, "s", "3-1"))

		info := ktOK(t, rdb.XInfoStream(ctx, "s")).Val()
		want := redis.XInfoStream{Length: 2, RadixTreeKeys: 1, RadixTreeNodes: 2, Groups: 0,
			LastGeneratedID: "3-1", MaxDeletedEntryID: "3-1", EntriesAdded: 3, RecordedFirstEntryID: "1-1",
			FirstEntry: redis.XMessage{ID: "1-1", Values: map[string]any{"f": "1-1"}},
			LastEntry:  redis.XMessage{ID: "2-1", Values: map[string]any{"f": "2-1"}}}
		if info.Length != want.Length || info.RadixTreeKeys != want.RadixTreeKeys || info.RadixTreeNodes != want.RadixTreeNodes ||
			info.LastGeneratedID != want.LastGeneratedID || info.MaxDeletedEntryID != want.MaxDeletedEntryID ||
			info.EntriesAdded != want.EntriesAdded || info.RecordedFirstEntryID != want.RecordedFirstEntryID ||
			info.FirstEntry.ID != "1-1" || info.LastEntry.ID != "2-1" || info.LastEntry.Values["f"] != "2-1" {
			t.Fatalf("XINFO STREAM = %+v\nwant %+v", *info, want)
		}

		full := ktOK(t, rdb.XInfoStreamFull(ctx, "s", 1)).Val()
		if full.Length != 2 || len(full.Entries) != 1 || full.Entries[0].ID != "1-1" || len(full.Groups) != 0 ||
			full.LastGeneratedID != "3-1" || full.EntriesAdded != 3 {
			t.Fatalf("XINFO STREAM FULL COUNT 1 = %+v", *full)
		}

		if got := ktOK(t, rdb.XInfoGroups(ctx, "s")).Val(); len(got) != 0 {
			t.Fatalf("XINFO GROUPS = %v", got)
		}
		ktWantErr(t, rdb.XInfoConsumers(ctx, "s", "g").Err(), "NOGROUP No such consumer group 'g' for key name 's'")
		for _, err := range []error{rdb.XInfoStream(ctx, "nope").Err(), rdb.XInfoGroups(ctx, "nope").Err(),
			rdb.XInfoConsumers(ctx, "nope", "g").Err(), rdb.XInfoStreamFull(ctx, "nope", 5).Err()} {
			ktWantErr(t, err, "ERR no such key")
		}
	})
}

// TestXInfoStreamBytes checks the exact replies against what Redis 7.2
// sends for the same stream.
func TestXInfoStreamBytes(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		raw := ts.dialRawKeys(proto)
		raw.do("XADD", "s", "1-1", "a", "1")
		raw.do("XADD", "s", "2-1", "b", "2", "c", "3")
		raw.do("XADD", "e", "5-5", "a", "1")
		raw.do("XDEL", "e", "5-5")

		m := func(n int) string { return ktAgg(proto, '%', n) }
		head := func(length, keys, nodes int64, last, maxDel string, added int64, first string) string {
			return ktBulk("length") + ktInt(length) + ktBulk("radix-tree-keys") + ktInt(keys) +
				ktBulk("radix-tree-nodes") + ktInt(nodes) + ktBulk("last-generated-id") + ktBulk(last) +
				ktBulk("max-deleted-entry-id") + ktBulk(maxDel) + ktBulk("entries-added") + ktInt(added) +
				ktBulk("recorded-first-entry-id") + ktBulk(first)
		}
		e1 := "*2\r\n" + ktBulk("1-1") + "*2\r\n" + ktBulk("a") + ktBulk("1")
		e2 := "*2\r\n" + ktBulk("2-1") + "*4\r\n" + ktBulk("b") + ktBulk("2") + ktBulk("c") + ktBulk("3")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"XINFO", "STREAM", "s"}, m(10) + head(2, 1, 2, "2-1", "0-0", 2, "1-1") +
				ktBulk("groups") + ktInt(0) + ktBulk("first-entry") + e1 + ktBulk("last-entry") + e2},
			{[]string{"XINFO", "STREAM", "e"}, m(10) + head(0, 0, 1, "5-5", "5-5", 1, "0-0") +
				ktBulk("groups") + ktInt(0) + ktBulk("first-entry") + ktNull(proto) + ktBulk("last-entry") + ktNull(proto)},
			{[]string{"XINFO", "STREAM", "s", "FULL"}, m(9) + head(2, 1, 2, "2-1", "0-0", 2, "1-1") +
				ktBulk("entries") + "*2\r\n" + e1 + e2 + ktBulk("groups") + "*0\r\n"},
			{[]string{"xinfo", "stream", "s", "full", "count", "1"}, m(9) + head(2, 1, 2, "2-1", "0-0", 2, "1-1") +
				ktBulk("entries") + "*1\r\n" + e1 + ktBulk("groups") + "*0\r\n"},
			{[]string{"XINFO", "STREAM", "s", "FULL", "COUNT", "0"}, m(9) + head(2, 1, 2, "2-1", "0-0", 2, "1-1") +
				ktBulk("entries") + "*2\r\n" + e1 + e2 + ktBulk("groups") + "*0\r\n"},
			{[]string{"XINFO", "STREAM", "s", "FULL", "COUNT", "-3"}, m(9) + head(2, 1, 2, "2-1", "0-0", 2, "1-1") +
				ktBulk("entries") + "*2\r\n" + e1 + e2 + ktBulk("groups") + "*0\r\n"},
			{[]string{"XINFO", "STREAM", "nope"}, "-ERR no such key\r\n"},
			{[]string{"XINFO", "STREAM", "nope", "FOO"}, "-ERR no such key\r\n"},
			{[]string{"XINFO", "STREAM", "s", "FULL", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"},
			{[]string{"XINFO", "STREAM", "s", "FULL", "COUNT"}, "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"},
			{[]string{"xinfo", "stream", "s", "COUNT", "1"}, "-ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP.\r\n"},
			{[]string{"XINFO", "STREAM", "s", "FOO"}, "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"},
			{[]string{"XINFO", "GROUPS", "s"}, "*0\r\n"},
			{[]string{"XINFO", "GROUPS", "nope"}, "-ERR no such key\r\n"},
			{[]string{"XINFO", "CONSUMERS", "s", "g"}, "-NOGROUP No such consumer group 'g' for key name 's'\r\n"},
			{[]string{"XINFO", "CONSUMERS", "nope", "g"}, "-ERR no such key\r\n"},
			{[]string{"XINFO"}, "-ERR wrong number of arguments for 'xinfo' command\r\n"},
			{[]string{"XINFO", "FOO"}, "-ERR unknown subcommand 'FOO'. Try XINFO HELP.\r\n"},
			{[]string{"XINFO", "STREAM"}, "-ERR wrong number of arguments for 'xinfo|stream' command\r\n"},
			{[]string{"XINFO", "GROUPS", "s", "x"}, "-ERR wrong number of arguments for 'xinfo|groups' command\r\n"},
			{[]string{"XINFO", "HELP"}, "*9\r\n+XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" +
				"+CONSUMERS <key> <groupname>\r\n+    Show consumers of <groupname>.\r\n+GROUPS <key>\r\n" +
				"+    Show the stream consumer groups.\r\n+STREAM <key> [FULL [COUNT <count>]\r\n" +
				"+    Show information about the stream.\r\n+HELP\r\n+    Print this help.\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%s:\n got %q\nwant %q", strings.Join(tc.args, " "), got, tc.want)
			}
		}
	})
}

// TestXInfoRadixTree checks the invented radix tree sizes of a longer
// stream: one key per 100 entries.
func TestXInfoRadixTree(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	rdb := ts.client(3)
	pipe := rdb.Pipeline()
	for i := 0; i < 250; i++ {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: "long", Values: []string{"f", "v"}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	info := ktOK(t, rdb.XInfoStream(ctx, "long")).Val()
	if info.Length != 250 || info.RadixTreeKeys != 3 || info.RadixTreeNodes != 4 || info.EntriesAdded != 250 {
		t.Fatalf("XINFO STREAM long = %+v", *info)
	}
	if full := ktOK(t, rdb.XInfoStreamFull(ctx, "long", -1)).Val(); len(full.Entries) != 10 {
		t.Fatalf("XINFO STREAM FULL without COUNT returned %d entries, want 10", len(full.Entries))
	}
}

// TestXInfoStreamFullGroups checks XINFO STREAM FULL's groups, pending
// entries and consumers (Redis 7.2's shape: consumers have active-time)
// through go-redis, which parses the RESP2 arrays and RESP3 maps.
func TestXInfoStreamFullGroups(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		ktXAdd(t, rdb, "s", "1-1", "2-1", "3-1")
		ktOK(t, rdb.XGroupCreate(ctx, "s", "g", "0"))
		ktOK(t, rdb.Do(ctx, "XGROUP", "CREATE", "s", "h", "3-1", "ENTRIESREAD", "3"))
		before := time.Now().Add(-time.Second)
		read := func(consumer, id string, count int64) {
			ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: consumer, Streams: []string{"s", id}, Count: count}))
		}
		read("alice", ">", 1)
		read("bob", ">", 0)
		read("bob", "0", 1) // 2-1 delivered twice
		ktOK(t, rdb.XGroupCreateConsumer(ctx, "s", "g", "carol"))
		after := time.Now().Add(time.Second)
		recent := func(tm time.Time) bool { return tm.After(before) && tm.Before(after) }

		full := ktOK(t, rdb.XInfoStreamFull(ctx, "s", 0)).Val()
		if len(full.Groups) != 2 {
			t.Fatalf("groups = %+v", full.Groups)
		}
		g, h := full.Groups[0], full.Groups[1]
		if g.Name != "g" || g.LastDeliveredID != "3-1" || g.EntriesRead != 3 || g.Lag != 0 || g.PelCount != 3 {
			t.Fatalf("group g = %+v", g)
		}
		wantPending := []struct {
			id, consumer string
			count        int64
		}{{"1-1", "alice", 1}, {"2-1", "bob", 2}, {"3-1", "bob", 1}}
		if len(g.Pending) != len(wantPending) {
			t.Fatalf("group g pending = %+v", g.Pending)
		}
		for i, w := range wantPending {
			p := g.Pending[i]
			if p.ID != w.id || p.Consumer != w.consumer || p.DeliveryCount != w.count || !recent(p.DeliveryTime) {
				t.Errorf("group g pending %d = %+v, want %+v", i, p, w)
			}
		}
		deliveries := map[string]int64{"1-1": 1, "2-1": 2, "3-1": 1}
		if len(g.Consumers) != 3 {
			t.Fatalf("group g consumers = %+v", g.Consumers)
		}
		for i, w := range []struct {
			name   string
			active bool
			ids    []string
		}{{"alice", true, []string{"1-1"}}, {"bob", true, []string{"2-1", "3-1"}}, {"carol", false, nil}} {
			cons := g.Consumers[i]
			if cons.Name != w.name || cons.PelCount != int64(len(w.ids)) || len(cons.Pending) != len(w.ids) || !recent(cons.SeenTime) {
				t.Fatalf("consumer %d = %+v, want %s with %v", i, cons, w.name, w.ids)
			}
			if active := cons.ActiveTime.UnixMilli() != -1; active != w.active || w.active && !recent(cons.ActiveTime) {
				t.Errorf("consumer %s active-time = %v", w.name, cons.ActiveTime)
			}
			for j, id := range w.ids {
				if p := cons.Pending[j]; p.ID != id || !recent(p.DeliveryTime) || p.DeliveryCount != deliveries[id] {
					t.Errorf("consumer %s pending %d = %+v, want %s", w.name, j, p, id)
				}
			}
		}
		if h.Name != "h" || h.PelCount != 0 || len(h.Pending) != 0 || len(h.Consumers) != 0 || h.LastDeliveredID != "3-1" || h.EntriesRead != 3 {
			t.Fatalf("group h = %+v", h)
		}

		// COUNT 1 bounds the group's rows and each consumer's rows.
		one := ktOK(t, rdb.XInfoStreamFull(ctx, "s", 1)).Val()
		g = one.Groups[0]
		if len(one.Entries) != 1 || len(g.Pending) != 1 || g.Pending[0].ID != "1-1" || g.PelCount != 3 {
			t.Fatalf("COUNT 1: entries %d, group g %+v", len(one.Entries), g)
		}
		if bob := g.Consumers[1]; bob.PelCount != 2 || len(bob.Pending) != 1 || bob.Pending[0].ID != "2-1" {
			t.Fatalf("COUNT 1: bob = %+v", bob)
		}
	})
}

// TestXInfoStreamFullVsRedis compares XINFO STREAM FULL with consumers and
// pending entries against redis-server, with every time masked and the
// consumers' active-time (Redis 7.2, which rewind follows; the reference
// 7.0.15 has none) left out.
func TestXInfoStreamFullVsRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServerForKeysTest(t, nil)
	script := [][]any{
		{"XADD", "s", "1-1", "a", "1"}, {"XADD", "s", "2-1", "b", "2"}, {"XADD", "s", "3-1", "c", "3"},
		{"XGROUP", "CREATE", "s", "g", "0"}, {"XGROUP", "CREATE", "s", "h", "3-1", "ENTRIESREAD", "3"},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", "0"},
		{"XGROUP", "CREATECONSUMER", "s", "g", "carol"},
		{"XCLAIM", "s", "g", "dave", "0", "3-1", "JUSTID"},
	}
	queries := [][]any{
		{"XINFO", "STREAM", "s", "FULL"}, {"XINFO", "STREAM", "s", "FULL", "COUNT", "1"},
		{"XINFO", "STREAM", "s", "FULL", "COUNT", "0"},
	}
	replies := func(addr string) []any {
		rdb := newClientProto(t, addr, 2)
		ctx := keysCtx(t)
		for _, cmd := range script {
			ktOK(t, rdb.Do(ctx, cmd...))
		}
		var out []any
		for _, q := range queries {
			out = append(out, maskXInfoTimes(ktOK(t, rdb.Do(ctx, q...)).Val()))
		}
		return out
	}
	want, got := replies(redisAddr), replies(ts.addr)
	for i := range queries {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%v:\n rewind %v\n  redis %v", queries[i], got[i], want[i])
		}
	}
}

// maskXInfoTimes replaces every integer that is a time in ms (after 2001)
// with "<time>" and drops active-time fields, in a parsed RESP2 reply.
func maskXInfoTimes(v any) any {
	switch v := v.(type) {
	case int64:
		if v > 1e12 {
			return "<time>"
		}
		return v
	case []any:
		out := make([]any, 0, len(v))
		for i := 0; i < len(v); i++ {
			if s, ok := v[i].(string); ok && s == "active-time" && i+1 < len(v) {
				i++
				continue
			}
			out = append(out, maskXInfoTimes(v[i]))
		}
		return out
	}
	return v
}

// TestXInfoStreamFullLostEntries: a group whose unread entries were trimmed
// shows rewind's lost-entries last, as XINFO GROUPS does.
func TestXInfoStreamFullLostEntries(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	rdb := ts.client(2)
	ktXAdd(t, rdb, "s", "1-1", "2-1", "3-1")
	ktOK(t, rdb.XGroupCreate(ctx, "s", "g", "0"))
	ktOK(t, rdb.XTrimMaxLen(ctx, "s", 1))
	groups := ktOK(t, rdb.Do(ctx, "XINFO", "STREAM", "s", "FULL")).Val().([]any)[17].([]any)
	g := groups[0].([]any)
	if n := len(g); n != 16 || g[n-2] != "lost-entries" || g[n-1] != int64(2) || g[12] != "consumers" {
		t.Fatalf("group = %v", g)
	}
}
