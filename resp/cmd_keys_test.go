package resp

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestDelUnlink(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		ktXAdd(t, rdb, "a", "1-1", "2-1")
		ktXAdd(t, rdb, "b", "1-1")
		ktXAdd(t, rdb, "c", "1-1")

		if n := ktOK(t, rdb.Del(ctx, "a", "a", "nope")).Val(); n != 1 {
			t.Fatalf("DEL a a nope = %d, want 1 (a key named twice counts once)", n)
		}
		if n := ktOK(t, rdb.Unlink(ctx, "b", "zzz")).Val(); n != 1 {
			t.Fatalf("UNLINK b zzz = %d, want 1", n)
		}
		if n := ktOK(t, rdb.Del(ctx, "nope")).Val(); n != 0 {
			t.Fatalf("DEL nope = %d, want 0", n)
		}
		ktWantErr(t, rdb.Do(ctx, "DEL").Err(), "ERR wrong number of arguments for 'del' command")
		ktWantErr(t, rdb.Do(ctx, "UNLINK").Err(), "ERR wrong number of arguments for 'unlink' command")
		if got := ktOK(t, rdb.XRange(ctx, "a", "-", "+")).Val(); len(got) != 0 {
			t.Fatalf("XRANGE a after DEL = %v, want empty", got)
		}
		if got := ktOK(t, rdb.XLen(ctx, "a")).Val(); got != 0 {
			t.Fatalf("XLEN a after DEL = %d", got)
		}

		// Deleted stays deleted across a restart; the rest survives.
		ts.restart()
		rdb = ts.client(proto)
		for _, key := range []string{"a", "b"} {
			if got := ktOK(t, rdb.XRange(ctx, key, "-", "+")).Val(); len(got) != 0 {
				t.Fatalf("XRANGE %s after DEL and restart = %v, want empty", key, got)
			}
			if n := ktOK(t, rdb.Exists(ctx, key)).Val(); n != 0 {
				t.Fatalf("EXISTS %s after DEL and restart = %d", key, n)
			}
		}
		if got := ktOK(t, rdb.XRange(ctx, "c", "-", "+")).Val(); len(got) != 1 || got[0].ID != "1-1" {
			t.Fatalf("XRANGE c after restart = %v", got)
		}

		// A deleted channel starts again as a new one.
		ktXAdd(t, rdb, "a", "5-1")
		if got := ktOK(t, rdb.XRange(ctx, "a", "-", "+")).Val(); len(got) != 1 || got[0].ID != "5-1" {
			t.Fatalf("XRANGE a after re-create = %v", got)
		}
	})
}

// TestDelPipelined checks that a DEL pipelined after writes to the same
// channel sees them, and that a read after it sees the deletion.
func TestDelPipelined(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	raw := ts.dialRawKeys(2)
	raw.send("XADD", "p", "1-1", "f", "v")
	raw.send("DEL", "p")
	raw.send("EXISTS", "p")
	raw.send("XADD", "p", "2-1", "f", "v")
	raw.send("DEL", "p", "p")
	for i, want := range []string{ktBulk("1-1"), ktInt(1), ktInt(0), ktBulk("2-1"), ktInt(1)} {
		if got := raw.reply(); got != want {
			t.Fatalf("reply %d = %q, want %q", i, got, want)
		}
	}
}

func TestExistsTypeTTL(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		ktXAdd(t, rdb, "s", "1-1")
		ktXAdd(t, rdb, "", "1-1") // the empty name is a key like any other
		if n := ktOK(t, rdb.Exists(ctx, "s", "s", "nope", "")).Val(); n != 3 {
			t.Fatalf("EXISTS s s nope '' = %d, want 3 (duplicates count)", n)
		}
		if got := ktOK(t, rdb.Type(ctx, "s")).Val(); got != "stream" {
			t.Fatalf("TYPE s = %q", got)
		}
		if got := ktOK(t, rdb.Type(ctx, "nope")).Val(); got != "none" {
			t.Fatalf("TYPE nope = %q", got)
		}
		if got := ktOK(t, rdb.TTL(ctx, "s")).Val(); got != -1 {
			t.Fatalf("TTL s = %v, want -1", got)
		}
		if got := ktOK(t, rdb.PTTL(ctx, "nope")).Val(); got != -2 {
			t.Fatalf("PTTL nope = %v, want -2", got)
		}
		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"TYPE", "s"}, "+stream\r\n"},
			{[]string{"TYPE", "nope"}, "+none\r\n"},
			{[]string{"TTL", "s"}, ":-1\r\n"},
			{[]string{"PTTL", "s"}, ":-1\r\n"},
			{[]string{"TTL", "nope"}, ":-2\r\n"},
			{[]string{"PTTL", "nope"}, ":-2\r\n"},
			{[]string{"EXISTS"}, "-ERR wrong number of arguments for 'exists' command\r\n"},
			{[]string{"TYPE", "a", "b"}, "-ERR wrong number of arguments for 'type' command\r\n"},
			{[]string{"TTL"}, "-ERR wrong number of arguments for 'ttl' command\r\n"},
			{[]string{"EXPIRE", "s", "10"}, "-ERR unknown command 'EXPIRE', with args beginning with: 's' '10' \r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
	})
}

func TestKeys(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		for _, k := range []string{"news", "new", "old", "", "n[x]"} {
			ktXAdd(t, rdb, k, "1-1")
		}
		for _, tc := range []struct {
			pattern string
			want    []string
		}{
			{"*", []string{"", "n[x]", "new", "news", "old"}},
			{"n*", []string{"n[x]", "new", "news"}},
			{"new?", []string{"news"}},
			{`n\[x\]`, []string{"n[x]"}},
			{"zzz*", []string{}},
		} {
			got := ktOK(t, rdb.Keys(ctx, tc.pattern)).Val()
			if !slices.Equal(got, tc.want) {
				t.Errorf("KEYS %q = %q, want %q", tc.pattern, got, tc.want)
			}
		}
		ktWantErr(t, rdb.Do(ctx, "KEYS").Err(), "ERR wrong number of arguments for 'keys' command")
	})
}

func TestScan(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		var all []string
		pipe := rdb.Pipeline()
		for i := 0; i < 250; i++ {
			k := fmt.Sprintf("k%03d", i)
			all = append(all, k)
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: "1-1", Values: []string{"f", "v"}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// A full iteration returns every key exactly once.
		var got []string
		var cursor uint64
		calls := 0
		for {
			keys, next := ktOK(t, rdb.Scan(ctx, cursor, "", 7)).Val()
			got = append(got, keys...)
			calls++
			if next == 0 {
				break
			}
			cursor = next
		}
		sort.Strings(got)
		if !slices.Equal(got, all) {
			t.Fatalf("SCAN returned %d keys (%d calls), want the %d keys once each", len(got), calls, len(all))
		}
		if calls < 250/7 {
			t.Fatalf("SCAN COUNT 7 finished in %d calls", calls)
		}

		// go-redis's iterator, with MATCH and TYPE.
		var matched []string
		it := rdb.ScanType(ctx, 0, "k1*", 20, "stream").Iterator()
		for it.Next(ctx) {
			matched = append(matched, it.Val())
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(matched)
		if len(matched) != 100 || matched[0] != "k100" || matched[99] != "k199" {
			t.Fatalf("SCAN MATCH k1* TYPE stream returned %d keys", len(matched))
		}
		if keys, next := ktOK(t, rdb.ScanType(ctx, 0, "", 1000, "string")).Val(); len(keys) != 0 || next != 0 {
			t.Fatalf("SCAN TYPE string = %v, %d", keys, next)
		}

		raw := ts.dialRawKeys(proto)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"SCAN", "x"}, "-ERR invalid cursor\r\n"},
			{[]string{"SCAN", "18446744073709551616"}, "-ERR invalid cursor\r\n"},
			{[]string{"SCAN", " 1"}, "-ERR invalid cursor\r\n"},
			{[]string{"SCAN", "0", "COUNT", "0"}, "-ERR syntax error\r\n"},
			{[]string{"SCAN", "0", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"},
			{[]string{"SCAN", "0", "MATCH"}, "-ERR syntax error\r\n"},
			{[]string{"SCAN", "0", "foo", "bar"}, "-ERR syntax error\r\n"},
			{[]string{"SCAN", "0", "TYPE", "nosuchtype", "COUNT", "1000"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
			{[]string{"SCAN", "18446744073709551615", "MATCH", "zzz"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
			{[]string{"SCAN"}, "-ERR wrong number of arguments for 'scan' command\r\n"},
		} {
			if got := raw.do(tc.args...); got != tc.want {
				t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
			}
		}
	})
}

// TestScanGuarantee deletes and creates keys between SCAN calls: every key
// present for the whole scan is still returned.
func TestScanGuarantee(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	rdb := ts.client(2)
	pipe := rdb.Pipeline()
	for i := 0; i < 200; i++ {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: fmt.Sprintf("s%d", i), ID: "1-1", Values: []string{"f", "v"}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var cursor uint64
	for round := 0; ; round++ {
		keys, next := ktOK(t, rdb.Scan(ctx, cursor, "", 10)).Val()
		for _, k := range keys {
			seen[k]++
		}
		// Churn: drop two keys of the upper half and create two new ones.
		ktOK(t, rdb.Del(ctx, fmt.Sprintf("s%d", 100+2*round), fmt.Sprintf("s%d", 101+2*round))).Val()
		ktXAdd(t, rdb, fmt.Sprintf("new%d", round), "1-1")
		if next == 0 {
			break
		}
		cursor = next
	}
	for i := 0; i < 100; i++ { // never deleted
		if k := fmt.Sprintf("s%d", i); seen[k] != 1 {
			t.Fatalf("%s returned %d times, want once", k, seen[k])
		}
	}
}

func TestRandomKey(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		ctx := keysCtx(t)
		rdb := ts.client(proto)
		if err := rdb.RandomKey(ctx).Err(); err != redis.Nil {
			t.Fatalf("RANDOMKEY on an empty server: %v, want nil reply", err)
		}
		if got := ts.dialRawKeys(proto).do("RANDOMKEY"); got != ktNull(proto) {
			t.Fatalf("raw RANDOMKEY = %q", got)
		}
		ktXAdd(t, rdb, "a", "1-1")
		ktXAdd(t, rdb, "b", "1-1")
		seen := map[string]bool{}
		for i := 0; i < 200 && len(seen) < 2; i++ {
			seen[ktOK(t, rdb.RandomKey(ctx)).Val()] = true
		}
		if !seen["a"] || !seen["b"] || len(seen) != 2 {
			t.Fatalf("RANDOMKEY returned %v", seen)
		}
		ktWantErr(t, rdb.Do(ctx, "RANDOMKEY", "x").Err(), "ERR wrong number of arguments for 'randomkey' command")
	})
}

// TestDeletedStreamStartsAfresh: a stream that used up the last possible ID
// takes no more entries; after DEL, UNLINK or FLUSHALL (and a restart) the
// same name is a new stream that takes "*" IDs again, as in Redis. Before
// channels had incarnations, the deleted stream's last ID stayed as a floor
// and XADD * kept answering that the IDs were exhausted.
func TestDeletedStreamStartsAfresh(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	const exhausted = "ERR The stream has exhausted the last possible ID, unable to add more items"
	for _, drop := range []string{"DEL", "UNLINK", "FLUSHALL", "restart"} {
		rdb := ts.client(2)
		ktXAdd(t, rdb, "s", "18446744073709551615-18446744073709551615")
		ktWantErr(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"f", "v"}}).Err(), exhausted)
		switch drop {
		case "FLUSHALL":
			ktOK(t, rdb.Do(ctx, "FLUSHALL", "CONFIRM"))
		case "restart":
			ktOK(t, rdb.Del(ctx, "s"))
			ts.restart()
			rdb = ts.client(2)
		default:
			ktOK(t, rdb.Do(ctx, drop, "s"))
		}
		id := ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"f", "v"}})).Val()
		info := ktOK(t, rdb.XInfoStream(ctx, "s")).Val()
		if info.Length != 1 || info.EntriesAdded != 1 || info.LastGeneratedID != id || info.MaxDeletedEntryID != "0-0" {
			t.Fatalf("after %s: XADD * = %s, XINFO STREAM %+v", drop, id, info)
		}
		ktOK(t, rdb.Del(ctx, "s"))
	}
}
