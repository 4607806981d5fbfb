package resp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// claimSetup makes stream s with entries 1-0..n-0 (field f = the ID) and
// group g that delivered them all to alice; with agedMs > 0 they are then
// made idle that long (XCLAIM ... IDLE ... JUSTID, which keeps the
// delivery counts at 1).
func claimSetup(t *testing.T, rdb *redis.Client, n int, agedMs int) {
	t.Helper()
	ctx := keysCtx(t)
	ktOK(t, rdb.XGroupCreateMkStream(ctx, "s", "g", "0"))
	var ids []string
	for i := 1; i <= n; i++ {
		ids = append(ids, fmt.Sprintf("%d-0", i))
	}
	ktXAdd(t, rdb, "s", ids...)
	ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "alice", Streams: []string{"s", ">"}}))
	if agedMs > 0 {
		args := []any{"XCLAIM", "s", "g", "alice", 0}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, "IDLE", agedMs, "JUSTID")
		ktOK(t, rdb.Do(ctx, args...))
	}
}

// pendingOf renders XPENDING s g - + 100 as "id:consumer:count ...".
func pendingOf(t *testing.T, ctx context.Context, rdb *redis.Client) string {
	t.Helper()
	ext := ktOK(t, rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: "-", End: "+", Count: 100})).Val()
	var out []string
	for _, p := range ext {
		out = append(out, fmt.Sprintf("%s:%s:%d", p.ID, p.Consumer, p.RetryCount))
	}
	return strings.Join(out, " ")
}

func msgIDs(msgs []redis.XMessage) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return strings.Join(out, " ")
}

// TestXClaim drives XCLAIM through go-redis (and its options through Do):
// idle entries change owner, others do not; JUSTID keeps the delivery
// count, RETRYCOUNT sets it, FORCE creates pending entries, deleted
// entries leave the PEL unreported, LASTID moves the cursor; a restart
// keeps it all.
func TestXClaim(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(proto)
		ctx := keysCtx(t)
		ktWantErr(t, rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "bob", Messages: []string{"1-0"}}).Err(),
			"NOGROUP No such key 's' or consumer group 'g'")
		claimSetup(t, rdb, 6, 10000)
		got := ktOK(t, rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "bob", MinIdle: time.Hour, Messages: []string{"1-0"}})).Val()
		if len(got) != 0 {
			t.Fatalf("claimed an entry not idle long enough: %+v", got)
		}
		got = ktOK(t, rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "bob", MinIdle: 5 * time.Second,
			Messages: []string{"2-0", "1-0", "9-9"}})).Val()
		if msgIDs(got) != "2-0 1-0" || got[0].Values["f"] != "2-0" {
			t.Fatalf("XCLAIM %+v", got)
		}
		ids := ktOK(t, rdb.XClaimJustID(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "carol", MinIdle: 5 * time.Second,
			Messages: []string{"3-0", "1-0"}})).Val()
		if strings.Join(ids, " ") != "3-0" {
			t.Fatalf("XCLAIM JUSTID %v", ids)
		}
		ktOK(t, rdb.XAck(ctx, "s", "g", "4-0"))
		ktOK(t, rdb.XDel(ctx, "s", "5-0"))
		forced := ktOK(t, rdb.Do(ctx, "XCLAIM", "s", "g", "dave", 0, "4-0", "5-0", "42-0", "FORCE", "RETRYCOUNT", 5)).Val()
		if fmt.Sprint(forced) != "[[4-0 [f 4-0]]]" {
			t.Fatalf("XCLAIM FORCE RETRYCOUNT %v", forced)
		}
		ktOK(t, rdb.Do(ctx, "XCLAIM", "s", "g", "dave", 0, "6-0", "LASTID", "9-0", "JUSTID"))
		check := func(rdb *redis.Client) {
			t.Helper()
			if p := pendingOf(t, ctx, rdb); p != "1-0:bob:2 2-0:bob:2 3-0:carol:1 4-0:dave:5 6-0:dave:1" {
				t.Fatalf("XPENDING %s", p)
			}
			g := ktOK(t, rdb.XInfoGroups(ctx, "s")).Val()
			if len(g) != 1 || g[0].LastDeliveredID != "9-0" || g[0].Consumers != 4 {
				t.Fatalf("XINFO GROUPS %+v", g)
			}
		}
		check(rdb)
		ts.restart()
		rdb = ts.client(proto)
		check(rdb)

		for _, tc := range []struct {
			args []any
			err  string
		}{
			{[]any{"XCLAIM", "s", "g", "c", "x", "1-0"}, "ERR Invalid min-idle-time argument for XCLAIM"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x"}, "ERR Invalid IDLE option argument for XCLAIM"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "time", "x"}, "ERR Invalid TIME option argument for XCLAIM"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "1.5"}, "ERR Invalid RETRYCOUNT option argument for XCLAIM"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "LASTID", "x"}, "ERR Invalid stream ID specified as stream command argument"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "Foo"}, "ERR Unrecognized XCLAIM option 'Foo'"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "IDLE"}, "ERR Unrecognized XCLAIM option 'IDLE'"},
			{[]any{"XCLAIM", "s", "g", "c", "0", "1-0", "x", "2-0"}, "ERR Unrecognized XCLAIM option 'x'"},
			{[]any{"XCLAIM", "s", "nog", "c", "x", "1-0"}, "NOGROUP No such key 's' or consumer group 'nog'"},
			{[]any{"XCLAIM", "s", "g", "c", "0"}, "ERR wrong number of arguments for 'xclaim' command"},
		} {
			ktWantErr(t, rdb.Do(ctx, tc.args...).Err(), tc.err)
		}
	})
}

// TestXClaimReplyBytes compares XCLAIM and XAUTOCLAIM replies byte for byte
// with what Redis 7 sends (the same in RESP2 and RESP3).
func TestXClaimReplyBytes(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(2)
		claimSetup(t, rdb, 3, 0)
		ktOK(t, rdb.XDel(keysCtx(t), "s", "3-0"))
		rc := ts.dialRawKeys(proto)
		for _, tc := range []struct{ cmd, want string }{
			{"XCLAIM s g bob 0 1-0 JUSTID", "*1\r\n$3\r\n1-0\r\n"},
			{"XCLAIM s g bob 0 1-0", "*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$3\r\n1-0\r\n"},
			{"XAUTOCLAIM s g bob 0 0", "*3\r\n$3\r\n0-0\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$3\r\n1-0\r\n" +
				"*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$3\r\n2-0\r\n*1\r\n$3\r\n3-0\r\n"},
			{"XAUTOCLAIM s g bob 0 0 JUSTID", "*3\r\n$3\r\n0-0\r\n*2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*0\r\n"},
			{"XCLAIM s g bob 0 9-0", "*0\r\n"},
			{"XCLAIM s nog bob 0 1-0", "-NOGROUP No such key 's' or consumer group 'nog'\r\n"},
		} {
			if got := rc.do(strings.Fields(tc.cmd)...); got != tc.want {
				t.Fatalf("%s:\n got  %q\n want %q", tc.cmd, got, tc.want)
			}
		}
	})
}

// TestXAutoClaim pages through the PEL with go-redis: the next start ID,
// entries no longer in the stream reported (and dropped) in the third
// element, COUNT bounding the scan.
func TestXAutoClaim(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(proto)
		ctx := keysCtx(t)
		claimSetup(t, rdb, 25, 10000)
		args := func(start string, count int64) *redis.XAutoClaimArgs {
			return &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: "bob", MinIdle: 5 * time.Second, Start: start, Count: count}
		}
		msgs, next, deleted := ktOK(t, rdb.XAutoClaimWithDeleted(ctx, args("0", 3))).Val()
		if msgIDs(msgs) != "1-0 2-0 3-0" || next != "4-0" || len(deleted) != 0 || msgs[0].Values["f"] != "1-0" {
			t.Fatalf("first page %v %s %v", msgs, next, deleted)
		}
		ktOK(t, rdb.XDel(ctx, "s", "4-0", "5-0"))
		msgs, next, deleted = ktOK(t, rdb.XAutoClaimWithDeleted(ctx, args(next, 3))).Val()
		if msgIDs(msgs) != "6-0" || next != "7-0" || strings.Join(deleted, " ") != "4-0 5-0" {
			t.Fatalf("page with deleted entries %v %s %v", msgs, next, deleted)
		}
		idList, next := ktOK(t, rdb.XAutoClaimJustID(ctx, args("(6-0", 0))).Val()
		if len(idList) != 19 || idList[0] != "7-0" || next != "0-0" {
			t.Fatalf("JUSTID page %v %s", idList, next)
		}
		if p := pendingOf(t, ctx, rdb); !strings.HasPrefix(p, "1-0:bob:2 2-0:bob:2 3-0:bob:2 6-0:bob:2 7-0:bob:1 ") {
			t.Fatalf("XPENDING %s", p)
		}
		// Fresh entries only: nothing claimed, the scan ends.
		msgs, next = ktOK(t, rdb.XAutoClaim(ctx, args("-", 100))).Val()
		if len(msgs) != 0 || next != "0-0" {
			t.Fatalf("fresh entries claimed: %v %s", msgs, next)
		}
		ts.restart()
		rdb = ts.client(proto)
		if p := pendingOf(t, ctx, rdb); !strings.HasPrefix(p, "1-0:bob:2 2-0:bob:2 3-0:bob:2 6-0:bob:2 7-0:bob:1 ") || strings.Contains(p, "alice") {
			t.Fatalf("XPENDING after restart %s", p)
		}
		for _, tc := range []struct {
			args []any
			err  string
		}{
			{[]any{"XAUTOCLAIM", "s", "g", "c", "x", "0"}, "ERR Invalid min-idle-time argument for XAUTOCLAIM"},
			{[]any{"XAUTOCLAIM", "s", "g", "c", "0", "x"}, "ERR Invalid stream ID specified as stream command argument"},
			{[]any{"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"}, "ERR COUNT must be > 0"},
			{[]any{"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "576460752303423488"}, "ERR COUNT must be > 0"},
			{[]any{"XAUTOCLAIM", "s", "g", "c", "0", "0", "JUSTID", "COUNT"}, "ERR syntax error"},
			{[]any{"XAUTOCLAIM", "s", "g", "c", "0", "(18446744073709551615-18446744073709551615"}, "ERR invalid start ID for the interval"},
			{[]any{"XAUTOCLAIM", "s", "nog", "c", "0", "0"}, "NOGROUP No such key 's' or consumer group 'nog'"},
			{[]any{"XAUTOCLAIM", "s", "nog", "c", "x", "0"}, "ERR Invalid min-idle-time argument for XAUTOCLAIM"},
		} {
			ktWantErr(t, rdb.Do(ctx, tc.args...).Err(), tc.err)
		}
		if v := ktOK(t, rdb.Do(ctx, "XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "576460752303423487", "JUSTID")).Val(); fmt.Sprint(v) == "" {
			t.Fatal("largest COUNT refused")
		}
	})
}

// TestXAckDelAndXDelEx: the Redis 8.2 commands' per-ID codes under
// KEEPREF, DELREF and ACKED (Redis's own test cases), their argument
// errors, and a restart.
func TestXAckDelAndXDelEx(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(proto)
		ctx := keysCtx(t)
		codes := func(cmd *redis.SliceCmd) string {
			t.Helper()
			return fmt.Sprint(ktOK(t, cmd).Val())
		}
		if got := codes(rdb.XAckDel(ctx, "s", "g", "KEEPREF", "1-1", "2-2")); got != "[-1 -1]" {
			t.Fatalf("XACKDEL on a missing key %s", got)
		}
		if got := codes(rdb.XDelEx(ctx, "s", "ACKED", "1-1")); got != "[-1]" {
			t.Fatalf("XDELEX on a missing key %s", got)
		}
		ktXAdd(t, rdb, "s", "1-0", "2-0", "3-0", "4-0")
		if got := codes(rdb.XAckDel(ctx, "s", "g", "KEEPREF", "1-0")); got != "[-1]" {
			t.Fatalf("XACKDEL on a missing group %s", got)
		}
		ktOK(t, rdb.XGroupCreate(ctx, "s", "g1", "0"))
		ktOK(t, rdb.XGroupCreate(ctx, "s", "g2", "0"))
		ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "c1", Count: 2, Streams: []string{"s", ">"}}))
		ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g2", Consumer: "c2", Count: 2, Streams: []string{"s", ">"}}))
		// Referenced by g2 too: acknowledged in g1 but not deleted.
		if got := codes(rdb.XAckDel(ctx, "s", "g1", "ACKED", "1-0", "2-0")); got != "[2 2]" {
			t.Fatalf("XACKDEL ACKED %s", got)
		}
		if n := ktOK(t, rdb.XLen(ctx, "s")).Val(); n != 4 {
			t.Fatalf("XLEN %d", n)
		}
		if got := codes(rdb.XAckDel(ctx, "s", "g2", "ACKED", "1-0", "2-0")); got != "[1 1]" {
			t.Fatalf("XACKDEL ACKED by the last group %s", got)
		}
		// 3-0 and 4-0: nobody has read them, so ACKED keeps them; a new
		// group at 0 also needs them.
		if got := codes(rdb.XDelEx(ctx, "s", "ACKED", "3-0", "4-0", "9-0")); got != "[2 2 2]" {
			t.Fatalf("XDELEX ACKED on unread entries %s", got)
		}
		ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "c1", Streams: []string{"s", ">"}}))
		ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g2", Consumer: "c2", Streams: []string{"s", ">"}}))
		// DELREF: deleted, and gone from both PELs.
		if got := codes(rdb.XDelEx(ctx, "s", "DELREF", "3-0", "9-0")); got != "[1 -1]" {
			t.Fatalf("XDELEX DELREF %s", got)
		}
		// KEEPREF: deleted; g2 keeps its reference.
		if got := codes(rdb.XAckDel(ctx, "s", "g1", "KEEPREF", "4-0")); got != "[1]" {
			t.Fatalf("XACKDEL KEEPREF %s", got)
		}
		check := func(rdb *redis.Client) {
			t.Helper()
			if n := ktOK(t, rdb.XLen(ctx, "s")).Val(); n != 0 {
				t.Fatalf("XLEN %d", n)
			}
			p1 := ktOK(t, rdb.XPending(ctx, "s", "g1")).Val()
			p2 := ktOK(t, rdb.XPending(ctx, "s", "g2")).Val()
			if p1.Count != 0 || p2.Count != 1 || p2.Lower != "4-0" {
				t.Fatalf("XPENDING g1 %+v g2 %+v", p1, p2)
			}
		}
		check(rdb)
		ts.restart()
		rdb = ts.client(proto)
		check(rdb)
		// A dangling reference: the entry is gone, DELREF still clears it.
		if got := codes(rdb.XDelEx(ctx, "s", "DELREF", "4-0")); got != "[-1]" {
			t.Fatalf("XDELEX DELREF of a dangling reference %s", got)
		}
		if p := ktOK(t, rdb.XPending(ctx, "s", "g2")).Val(); p.Count != 0 {
			t.Fatalf("dangling reference kept %+v", p)
		}

		for _, tc := range []struct {
			args []any
			err  string
		}{
			{[]any{"XACKDEL", "s", "g1", "IDS", "abc", "1-1"}, "ERR Number of IDs must be a positive integer"},
			{[]any{"XACKDEL", "s", "g1", "IDS", "0", "1-1"}, "ERR Number of IDs must be a positive integer"},
			{[]any{"XACKDEL", "s", "g1", "IDS", "-5", "1-1"}, "ERR Number of IDs must be a positive integer"},
			{[]any{"XACKDEL", "s", "g1", "IDS", "3", "1-1", "2-2"}, "ERR The `numids` parameter must match the number of arguments"},
			{[]any{"XACKDEL", "s", "g1", "IDS", "1", "1-1", "2-2"}, "ERR syntax error"},
			{[]any{"XACKDEL", "s", "g1", "KEEPREF", "DELREF", "IDS", "1", "1-1"}, "ERR syntax error"},
			{[]any{"XACKDEL", "s", "g1", "DELREF", "ACKED", "IDS", "1", "1-1"}, "ERR syntax error"},
			{[]any{"XACKDEL", "s", "g1", "IDS", "1", "x"}, "ERR Invalid stream ID specified as stream command argument"},
			{[]any{"XACKDEL", "s", "g1", "IDS"}, "ERR wrong number of arguments for 'xackdel' command"},
			{[]any{"XDELEX", "s", "IDS", "1"}, "ERR wrong number of arguments for 'xdelex' command"},
			{[]any{"XDELEX", "s", "IDS", "2", "1-1"}, "ERR The `numids` parameter must match the number of arguments"},
			{[]any{"XDELEX", "s", "KEEPREF", "ACKED", "IDS", "1", "1-1"}, "ERR syntax error"},
			{[]any{"XDELEX", "s", "IDS", "1", "+"}, "ERR Invalid stream ID specified as stream command argument"},
		} {
			ktWantErr(t, rdb.Do(ctx, tc.args...).Err(), tc.err)
		}
		// A missing key or group answers -1s before the IDs are parsed.
		if v := ktOK(t, rdb.Do(ctx, "XACKDEL", "s", "nog", "IDS", "2", "x", "y")).Val(); fmt.Sprint(v) != "[-1 -1]" {
			t.Fatalf("XACKDEL on a missing group with bad IDs %v", v)
		}
		if v := ktOK(t, rdb.Do(ctx, "XDELEX", "nokey", "IDS", "1", "x")).Val(); fmt.Sprint(v) != "[-1]" {
			t.Fatalf("XDELEX on a missing key with a bad ID %v", v)
		}
		// The IDS block may come first.
		ktXAdd(t, rdb, "s", "10-0")
		if v := ktOK(t, rdb.Do(ctx, "XDELEX", "s", "IDS", "1", "10-0", "DELREF")).Val(); fmt.Sprint(v) != "[1]" {
			t.Fatalf("XDELEX with the option after IDS %v", v)
		}
	})
}

// TestXReadGroupClaim checks XREADGROUP ... CLAIM (Redis 8.4) through
// go-redis once cmd_group.go parses the option (see setClaimRead); until
// then it is skipped.
func TestXReadGroupClaim(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(proto)
		ctx := keysCtx(t)
		claimSetup(t, rdb, 2, 0)
		ktXAdd(t, rdb, "s", "3-0")
		ktOK(t, rdb.XGroupCreate(ctx, "s", "probe", "$"))
		if err := rdb.Do(ctx, "XREADGROUP", "GROUP", "probe", "p", "CLAIM", "1000000", "STREAMS", "s", ">").Err(); err != redis.Nil {
			t.Skipf("XREADGROUP does not take CLAIM yet: %v", err)
		}
		// Age 2-0 past 1-0, as Redis's "claiming order" test does.
		ktOK(t, rdb.Do(ctx, "XCLAIM", "s", "g", "alice", 0, "1-0", "IDLE", 5000, "JUSTID"))
		ktOK(t, rdb.Do(ctx, "XCLAIM", "s", "g", "alice", 0, "2-0", "IDLE", 8000, "JUSTID"))
		res := ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "bob", Streams: []string{"s", ">"},
			Claim: 3 * time.Second})).Val()
		if len(res) != 1 || msgIDs(res[0].Messages) != "2-0 1-0 3-0" {
			t.Fatalf("XREADGROUP CLAIM %+v", res)
		}
		m := res[0].Messages
		if m[0].MillisElapsedFromDelivery < 8000 || m[0].DeliveredCount != 1 || m[1].MillisElapsedFromDelivery < 5000 ||
			m[2].MillisElapsedFromDelivery != 0 || m[2].DeliveredCount != 0 || m[2].Values["f"] != "3-0" {
			t.Fatalf("CLAIM metadata %+v", m)
		}
		if p := pendingOf(t, ctx, rdb); p != "1-0:bob:2 2-0:bob:2 3-0:bob:1" {
			t.Fatalf("XPENDING %s", p)
		}
		// Nothing idle, nothing new: a nil reply, also after BLOCK.
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "bob", Streams: []string{"s", ">"},
			Claim: time.Hour, Block: 50 * time.Millisecond}).Err(); err != redis.Nil {
			t.Fatalf("nothing to claim: %v", err)
		}
		// A blocked reader gets an entry as soon as it is idle enough.
		start := time.Now()
		res = ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "carol", Streams: []string{"s", ">"},
			Claim: 300 * time.Millisecond, Block: 5 * time.Second, Count: 1})).Val()
		if len(res) != 1 || len(res[0].Messages) != 1 || time.Since(start) > 3*time.Second {
			t.Fatalf("blocked CLAIM read %+v after %v", res, time.Since(start))
		}
		for _, tc := range []struct{ arg, err string }{
			{"x", "ERR min-idle-time is not an integer or out of range"},
			{"-0", "ERR min-idle-time is not an integer or out of range"},
			{"-10", "ERR min-idle-time must be a positive integer"},
		} {
			ktWantErr(t, rdb.Do(ctx, "XREADGROUP", "GROUP", "g", "c", "CLAIM", tc.arg, "STREAMS", "s", ">").Err(), tc.err)
		}
	})
}

// TestClaimHelpers covers the pieces cmd_group.go's CLAIM option uses.
func TestClaimHelpers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int64
		want string
	}{
		{"0", 0, ""}, {"50", 50, ""}, {"9223372036854775807", 9223372036854775807, ""},
		{"+10", 0, "min-idle-time is not an integer or out of range"},
		{"5.5", 0, "min-idle-time is not an integer or out of range"},
		{"-0", 0, "min-idle-time is not an integer or out of range"},
		{"-42", 0, "min-idle-time must be a positive integer"},
	} {
		n, err := parseClaimMinIdle([]byte(tc.in))
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) || n != tc.n {
			t.Fatalf("parseClaimMinIdle(%q) = %d, %v", tc.in, n, err)
		}
	}
}

// TestXTrimXAddRefPolicies checks the KEEPREF, DELREF and ACKED options of
// XTRIM and XADD (Redis 8.2) through go-redis once cmd_stream.go parses
// them (see OpTrimRef); until then it is skipped.
func TestXTrimXAddRefPolicies(t *testing.T) {
	ktEachProto(t, func(t *testing.T, proto int) {
		ts := startServerForKeysTest(t, nil)
		rdb := ts.client(proto)
		ctx := keysCtx(t)
		ktXAdd(t, rdb, "s", "1-0", "2-0", "3-0", "4-0", "5-0", "6-0")
		if err := rdb.XTrimMaxLenMode(ctx, "s", 100, "ACKED").Err(); err != nil {
			t.Skipf("XTRIM does not take ACKED yet: %v", err)
		}
		ktOK(t, rdb.XGroupCreate(ctx, "s", "g", "0"))
		ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Count: 4, Streams: []string{"s", ">"}}))
		ktOK(t, rdb.XAck(ctx, "s", "g", "2-0", "3-0"))
		// ACKED: 1-0 and 4-0 are pending, 5-0 and 6-0 unread; only 2-0
		// and 3-0 may go.
		if n := ktOK(t, rdb.XTrimMaxLenMode(ctx, "s", 0, "ACKED")).Val(); n != 2 {
			t.Fatalf("XTRIM MAXLEN 0 ACKED removed %d", n)
		}
		// DELREF: 1-0 goes, and with it its PEL entry.
		if n := ktOK(t, rdb.XTrimMinIDMode(ctx, "s", "4-0", "DELREF")).Val(); n != 1 {
			t.Fatalf("XTRIM MINID 4-0 DELREF removed %d", n)
		}
		if p := pendingOf(t, ctx, rdb); p != "4-0:c:1" {
			t.Fatalf("XPENDING after DELREF %s", p)
		}
		// XADD ... KEEPREF MAXLEN 1: trims regardless, the PEL keeps 4-0.
		ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Mode: "KEEPREF", MaxLen: 1, ID: "7-0", Values: []string{"f", "7-0"}}))
		ents := ktOK(t, rdb.XRange(ctx, "s", "-", "+")).Val()
		if msgIDs(ents) != "7-0" || pendingOf(t, ctx, rdb) != "4-0:c:1" {
			t.Fatalf("after XADD KEEPREF: %v, %s", msgIDs(ents), pendingOf(t, ctx, rdb))
		}
		// XADD ... ACKED MAXLEN ~ 0: "~" is exact with ACKED; 7-0 and 8-0
		// are unread by g, so nothing goes.
		ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Mode: "ACKED", MaxLen: 0, Approx: true, ID: "8-0", Values: []string{"f", "8-0"}}))
		if n := ktOK(t, rdb.XLen(ctx, "s")).Val(); n != 2 {
			t.Fatalf("XADD ACKED trimmed unread entries: XLEN %d", n)
		}
		ktOK(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}}))
		ktOK(t, rdb.XAck(ctx, "s", "g", "7-0"))
		ktOK(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Mode: "DELREF", MaxLen: 1, ID: "9-0", Values: []string{"f", "9-0"}}))
		check := func(rdb *redis.Client) {
			t.Helper()
			ents := ktOK(t, rdb.XRange(ctx, "s", "-", "+")).Val()
			if msgIDs(ents) != "9-0" || pendingOf(t, ctx, rdb) != "4-0:c:1" {
				t.Fatalf("after XADD DELREF: %v, %s", msgIDs(ents), pendingOf(t, ctx, rdb))
			}
		}
		check(rdb)
		ts.restart()
		rdb = ts.client(proto)
		check(rdb)
		ktWantErr(t, rdb.Do(ctx, "XTRIM", "s", "MAXLEN", "1", "ACKED", "DELREF").Err(), "ERR syntax error")
		ktWantErr(t, rdb.Do(ctx, "XADD", "s", "ACKED", "KEEPREF", "*", "f", "v").Err(), "ERR Invalid stream ID specified as stream command argument")
	})
}

// FuzzClaimParsers feeds arbitrary arguments to the XCLAIM, XAUTOCLAIM and
// XACKDEL/XDELEX parsers: they never panic, and what they accept is sane.
func FuzzClaimParsers(f *testing.F) {
	for _, s := range []string{
		"0 1-0 2-0 IDLE 5 TIME 7 RETRYCOUNT 3 FORCE JUSTID LASTID 9-0",
		"x 1-0", "0 1-0 IDLE", "0 (5 COUNT 3 JUSTID", "0 + COUNT 0",
		"KEEPREF IDS 2 1-0 2-0", "IDS 3 1-1 2-2", "ACKED DELREF IDS 1 1-1", "IDS 1 1-1 DELREF",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Fields(s)
		args := [][]byte{[]byte("xclaim"), []byte("s"), []byte("g"), []byte("c")}
		for _, w := range words {
			args = append(args, []byte(w))
		}
		if len(args) >= 6 {
			if a, ids, err := parseXClaim(args); err == nil && (a == nil || len(ids) > len(args)-5) {
				t.Fatalf("parseXClaim(%q) accepted %+v %v", s, a, ids)
			}
			if a, count, err := parseXAutoClaim(args); err == nil && (a == nil || count < 1) {
				t.Fatalf("parseXAutoClaim(%q) accepted %+v %d", s, a, count)
			}
		}
		if _, ids, err := parseAckDelArgs(args, 4); err == nil && len(ids) == 0 {
			t.Fatalf("parseAckDelArgs(%q) accepted no IDs", s)
		}
		_, _ = parseClaimMinIdle([]byte(s))
	})
}
