package resp

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// parseTestID splits an "<ms>-<seq>" reply.
func parseTestID(t *testing.T, id string) (ms, seq uint64) {
	t.Helper()
	a, b, ok := strings.Cut(id, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("bad ID %q", id)
	}
	return ms, seq
}

func idLess(t *testing.T, a, b string) bool {
	am, as := parseTestID(t, a)
	bm, bs := parseTestID(t, b)
	return am < bm || am == bm && as < bs
}

func TestStreamXAddAutoIDs(t *testing.T) {
	addr, restart := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)

	before := uint64(time.Now().UnixMilli())
	var last string
	for i := range 50 {
		id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", Values: []string{"i", strconv.Itoa(i)}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ms, _ := parseTestID(t, id); ms < before || ms > uint64(time.Now().UnixMilli())+1 {
			t.Fatalf("auto ID %s is not the current time (%d)", id, before)
		}
		if last != "" && !idLess(t, last, id) {
			t.Fatalf("ID %s after %s", id, last)
		}
		last = id
	}
	// <ms>-* picks the next sequence number of that ms, or 0 for a new ms.
	ms, seq := parseTestID(t, last)
	id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", ID: fmt.Sprintf("%d-*", ms), Values: []string{"f", "v"}}).Result()
	if err != nil || id != fmt.Sprintf("%d-%d", ms, seq+1) {
		t.Fatalf("XADD %d-* = %s, %v", ms, id, err)
	}
	id, err = c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", ID: fmt.Sprintf("%d-*", ms+1000), Values: []string{"f", "v"}}).Result()
	if err != nil || id != fmt.Sprintf("%d-0", ms+1000) {
		t.Fatalf("XADD (ms+1000)-* = %s, %v", id, err)
	}
	// An auto ID stays above an explicit one in the future, and above every
	// ID before a restart.
	if _, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", ID: "99999999999999-5", Values: []string{"f", "v"}}).Result(); err != nil {
		t.Fatal(err)
	}
	restart()
	id, err = c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", Values: []string{"f", "v"}}).Result()
	if err != nil || id != "99999999999999-6" {
		t.Fatalf("XADD * after a future ID and a restart = %s, %v", id, err)
	}
	if n, err := c.XLen(ctx, "auto").Result(); err != nil || n != 54 {
		t.Fatalf("XLEN = %d, %v", n, err)
	}
	// An ID smaller than the top is refused, and nothing is written.
	if _, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", ID: "5-5", Values: []string{"f", "v"}}).Result(); err == nil ||
		err.Error() != "ERR The ID specified in XADD is equal or smaller than the target stream top item" {
		t.Fatalf("XADD 5-5 = %v", err)
	}
}

func TestStreamXAddOptions(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)
	add := func(a *redis.XAddArgs) string {
		t.Helper()
		id, err := c.XAdd(ctx, a).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("XADD %+v: %v", a, err)
		}
		return id
	}
	// NOMKSTREAM on a missing stream replies nil and creates nothing.
	if _, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "opt", NoMkStream: true, ID: "1-1", Values: []string{"f", "v"}}).Result(); err != redis.Nil {
		t.Fatalf("XADD NOMKSTREAM on a missing stream: %v, want nil", err)
	}
	if n, _ := c.Exists(ctx, "opt").Result(); n != 0 {
		t.Fatalf("NOMKSTREAM created the stream")
	}
	for i := 1; i <= 10; i++ {
		add(&redis.XAddArgs{Stream: "opt", ID: fmt.Sprintf("%d-0", i), Values: []string{"i", strconv.Itoa(i)}})
	}
	add(&redis.XAddArgs{Stream: "opt", NoMkStream: true, ID: "11-0", Values: []string{"i", "11"}})
	// MAXLEN = trims exactly, after adding.
	add(&redis.XAddArgs{Stream: "opt", MaxLen: 5, ID: "12-0", Values: []string{"i", "12"}})
	xs, err := c.XRange(ctx, "opt", "-", "+").Result()
	if err != nil || len(xs) != 5 || xs[0].ID != "8-0" || xs[4].ID != "12-0" {
		t.Fatalf("after MAXLEN 5: %v, %v", xs, err)
	}
	// MINID removes the entries below the ID.
	add(&redis.XAddArgs{Stream: "opt", MinID: "10", ID: "13-0", Values: []string{"i", "13"}})
	if xs, _ = c.XRange(ctx, "opt", "-", "+").Result(); len(xs) != 4 || xs[0].ID != "10-0" {
		t.Fatalf("after MINID 10: %v", xs)
	}
	// ~ never trims below the bound, and with fewer entries than a node
	// (100) keeps them all unless the bound is 0.
	add(&redis.XAddArgs{Stream: "opt", MaxLen: 2, Approx: true, ID: "14-0", Values: []string{"i", "14"}})
	if n, _ := c.XLen(ctx, "opt").Result(); n != 5 {
		t.Fatalf("XLEN after MAXLEN ~ 2 = %d, want 5", n)
	}
	for i := 15; i < 250; i++ {
		add(&redis.XAddArgs{Stream: "big", ID: fmt.Sprintf("%d-0", i), Values: []string{"i", "x"}})
	}
	add(&redis.XAddArgs{Stream: "big", MaxLen: 100, Approx: true, ID: "250-0", Values: []string{"i", "x"}})
	if n, _ := c.XLen(ctx, "big").Result(); n < 100 || n >= 200 || n%100 != 36 {
		t.Fatalf("XLEN after MAXLEN ~ 100 of 236 = %d, want 136", n)
	}
	// LIMIT caps the work of a ~ trim (whole nodes only).
	if err := c.Do(ctx, "XADD", "big", "MAXLEN", "~", "0", "LIMIT", "50", "251-0", "i", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.XLen(ctx, "big").Result(); n != 137 {
		t.Fatalf("XLEN after MAXLEN ~ 0 LIMIT 50 = %d, want 137", n)
	}
	if n, err := c.XTrimMaxLenApprox(ctx, "big", 0, 0).Result(); err != nil || n != 137 {
		t.Fatalf("XTRIM MAXLEN ~ 0 = %d, %v; want all 137", n, err)
	}
}

// TestStreamErrors checks every XADD, XRANGE, XREAD, XDEL, XTRIM and
// XSETID error with Redis's wording (the differential test compares more
// against a real Redis when one is installed).
func TestStreamErrors(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	const (
		invalidID = "-ERR Invalid stream ID specified as stream command argument\r\n"
		notInt    = "-ERR value is not an integer or out of range\r\n"
		syntax    = "-ERR syntax error\r\n"
	)
	arity := func(cmd string) string { return "-ERR wrong number of arguments for '" + cmd + "' command\r\n" }
	cases := []struct {
		cmd  string
		want string
	}{
		{"XADD s 5-5 f v", bulk("5-5")},
		{"XADD s 5-5 f v", "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"},
		{"XADD s 0-0 f v", "-ERR The ID specified in XADD must be greater than 0-0\r\n"},
		{"XADD s 0 f v", "-ERR The ID specified in XADD must be greater than 0-0\r\n"},
		{"XADD s x f v", invalidID},
		{"XADD s 1-x f v", invalidID},
		{"XADD s 1-1-1 f v", invalidID},
		{"XADD s 18446744073709551616 f v", invalidID},
		{"XADD s 6-0 f", arity("xadd")},
		{"XADD s 6-0 f v g", arity("xadd")},
		{"XADD s NOMKSTREAM", arity("xadd")},
		{"XADD s MAXLEN x 6-0 f v", notInt},
		{"XADD s MAXLEN -1 6-0 f v", "-ERR The MAXLEN argument must be >= 0.\r\n"},
		{"XADD s MAXLEN 1 MINID 1 6-0 f v", "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"},
		{"XADD s MINID x 6-0 f v", invalidID},
		{"XADD s MAXLEN 1 LIMIT 5 6-0 f v", "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"},
		{"XADD s LIMIT 5 6-0 f v", "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"},
		{"XADD s MAXLEN ~ 1 LIMIT -1 6-0 f v", "-ERR The LIMIT argument must be >= 0.\r\n"},
		{"XADD s MAXLEN ~ 1 LIMIT x 6-0 f v", notInt},
		{"XADD top 18446744073709551615-18446744073709551615 f v", bulk("18446744073709551615-18446744073709551615")},
		{"XADD top * f v", "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"},
		{"XADD top 18446744073709551615-* f v", "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"},
		{"XRANGE s x +", invalidID},
		{"XRANGE s - x", invalidID},
		{"XRANGE s (- +", invalidID},
		{"XRANGE s (18446744073709551615-18446744073709551615 +", "-ERR invalid start ID for the interval\r\n"},
		{"XRANGE s - (0-0", "-ERR invalid end ID for the interval\r\n"},
		{"XRANGE s - + COUNT", syntax},
		{"XRANGE s - + COUNT x", notInt},
		{"XRANGE s - + FOO 1", syntax},
		{"XRANGE s - + COUNT 0", "*-1\r\n"},
		{"XRANGE nosuch - + COUNT 0", "*0\r\n"},
		{"XREAD STREAMS s", arity("xread")},
		{"XREAD STREAMS s t 0", "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.\r\n"},
		{"XREAD COUNT x STREAMS s 0", notInt},
		{"XREAD BLOCK x STREAMS s 0", "-ERR timeout is not an integer or out of range\r\n"},
		{"XREAD BLOCK -1 STREAMS s 0", "-ERR timeout is negative\r\n"},
		{"XREAD BLOCK 9223372036854775807 STREAMS s 0", "-ERR timeout is out of range\r\n"},
		{"XREAD FOO STREAMS s 0", syntax},
		{"XREAD COUNT 1 BLOCK 1", syntax},
		{"XREAD STREAMS s x", invalidID},
		{"XREAD STREAMS s >", "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"},
		{"XREAD GROUP g c STREAMS s 0", "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"},
		{"XREAD NOACK STREAMS s 0", "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"},
		{"XDEL s", arity("xdel")},
		{"XDEL s x", invalidID},
		{"XDEL s 5-5 x", invalidID},
		{"XTRIM s", arity("xtrim")},
		{"XTRIM s FOO 1", syntax},
		{"XTRIM s LIMIT 0", "-ERR syntax error, XTRIM must be called with a trimming strategy\r\n"},
		{"XTRIM s MAXLEN x", notInt},
		{"XSETID nosuch 1-1", "-ERR no such key\r\n"},
		{"XSETID s x", invalidID},
		{"XSETID s 1-1", "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"},
		{"XSETID s 6-0 ENTRIESADDED -1", "-ERR entries_added must be positive\r\n"},
		{"XSETID s 6-0 ENTRIESADDED 0", "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n"},
		{"XSETID s 6-0 ENTRIESADDED x", notInt},
		{"XSETID s 6-0 MAXDELETEDID 7-0", "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"},
		{"XSETID s 6-0 FOO 1", syntax},
		{"XDEL s 5-5", integer(1)},
		{"XSETID s 5-4", "-ERR The ID specified in XSETID is smaller than current max_deleted_entry_id\r\n"},
		{"XSETID s 6-0", "+OK\r\n"},
		{"XLEN s", integer(0)},
	}
	for _, tc := range cases {
		rc.write(tc.cmd + "\r\n")
		if got := rc.read(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

// TestStreamRangeShapes checks XRANGE/XREVRANGE bounds and the reply
// shapes in both protocols.
func TestStreamRangeShapes(t *testing.T) {
	addr, _ := startServer(t)
	for _, proto := range []string{"2", "3"} {
		rc := dialRaw(t, addr)
		rc.do("HELLO", proto)
		s := "shape" + proto
		for _, id := range []string{"1-0", "1-1", "2-0", "3-5"} {
			if got := rc.do("XADD", s, id, "f", id); got != bulk(id) {
				t.Fatalf("XADD %s: %q", id, got)
			}
		}
		entry := func(id string) string { return arr(2) + bulk(id) + arr(2) + bulk("f") + bulk(id) }
		null := "*-1\r\n"
		if proto == "3" {
			null = "_\r\n"
		}
		cases := []struct {
			args []string
			want string
		}{
			{[]string{"XRANGE", s, "-", "+"}, arr(4) + entry("1-0") + entry("1-1") + entry("2-0") + entry("3-5")},
			{[]string{"XREVRANGE", s, "+", "-", "COUNT", "2"}, arr(2) + entry("3-5") + entry("2-0")},
			{[]string{"XRANGE", s, "1", "1"}, arr(2) + entry("1-0") + entry("1-1")},
			{[]string{"XRANGE", s, "(1-0", "(3-5"}, arr(2) + entry("1-1") + entry("2-0")},
			// An incomplete exclusive bound: "(1" is after 1-0, "(3" before 3-<max>.
			{[]string{"XRANGE", s, "(1", "+"}, arr(3) + entry("1-1") + entry("2-0") + entry("3-5")},
			{[]string{"XREVRANGE", s, "(3", "(1-0"}, arr(3) + entry("3-5") + entry("2-0") + entry("1-1")},
			{[]string{"XRANGE", s, "(2-0", "(3-5"}, arr(0)},
			{[]string{"XRANGE", s, "3", "1"}, arr(0)},
			{[]string{"XRANGE", s, "-", "+", "COUNT", "0"}, null},
			{[]string{"XRANGE", s, "-", "+", "COUNT", "-3"}, null},
			{[]string{"XRANGE", "nosuch", "-", "+"}, arr(0)},
			{[]string{"XREAD", "STREAMS", s, "2"}, xreadReply(proto, s, entry("3-5"))},
			{[]string{"XREAD", "STREAMS", s, "nosuch", "3-5", "0"}, null},
			{[]string{"XREAD", "STREAMS", s, "+"}, xreadReply(proto, s, entry("3-5"))},
		}
		for _, tc := range cases {
			if got := rc.do(tc.args...); got != tc.want {
				t.Errorf("RESP%s %v: got %q, want %q", proto, tc.args, got, tc.want)
			}
		}
	}
}

// xreadReply is the raw XREAD reply for one stream: an array of [name,
// entries] in RESP2, a map of name to entries in RESP3.
func xreadReply(proto, stream string, entries ...string) string {
	head := arr(1) + arr(2)
	if proto == "3" {
		head = "%1\r\n"
	}
	return head + bulk(stream) + arr(len(entries)) + strings.Join(entries, "")
}

func TestStreamXRead(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)
	c3 := newClient3(t, addr)
	for i := 1; i <= 5; i++ {
		c.XAdd(ctx, &redis.XAddArgs{Stream: "ra", ID: fmt.Sprintf("%d-0", i), Values: []string{"a", strconv.Itoa(i)}})
		c.XAdd(ctx, &redis.XAddArgs{Stream: "rb", ID: fmt.Sprintf("%d-1", i), Values: []string{"b", strconv.Itoa(i)}})
	}
	for _, cl := range []*redis.Client{c, c3} {
		res, err := cl.XRead(ctx, &redis.XReadArgs{Streams: []string{"ra", "rb", "nosuch", "2-0", "4-1", "0"}, Count: 2, Block: -1}).Result()
		if err != nil || len(res) != 2 || res[0].Stream != "ra" || len(res[0].Messages) != 2 || res[0].Messages[0].ID != "3-0" ||
			res[1].Stream != "rb" || len(res[1].Messages) != 1 || res[1].Messages[0].ID != "5-1" {
			t.Fatalf("XREAD COUNT 2 = %+v, %v", res, err)
		}
		if _, err := cl.XRead(ctx, &redis.XReadArgs{Streams: []string{"ra", "$"}, Block: -1}).Result(); err != redis.Nil {
			t.Fatalf("XREAD $ without BLOCK: %v, want nil", err)
		}
	}

	// BLOCK times out with a null reply, not before the timeout.
	for _, cl := range []*redis.Client{c, c3} {
		start := time.Now()
		_, err := cl.XRead(ctx, &redis.XReadArgs{Streams: []string{"ra", "rb", "$", "$"}, Block: 100 * time.Millisecond}).Result()
		if err != redis.Nil || time.Since(start) < 100*time.Millisecond {
			t.Fatalf("XREAD BLOCK 100: %v after %v", err, time.Since(start))
		}
	}

	// BLOCK is woken by a PUBLISH, an XADD, and for BLOCK 0 as well.
	wake := []struct {
		name  string
		block time.Duration
		write func(cl *redis.Client, stream string) error
	}{
		{"publish", 10 * time.Second, func(cl *redis.Client, s string) error { return cl.Publish(ctx, s, "woken").Err() }},
		{"xadd", 10 * time.Second, func(cl *redis.Client, s string) error {
			return cl.XAdd(ctx, &redis.XAddArgs{Stream: s, Values: []string{"message", "woken"}}).Err()
		}},
		{"block0", 0, func(cl *redis.Client, s string) error { return cl.Publish(ctx, s, "woken").Err() }},
	}
	for i, w := range wake {
		for _, reader := range []*redis.Client{newClient(t, addr), newClient3(t, addr)} {
			stream := fmt.Sprintf("wake%d-%d", i, reader.Options().Protocol)
			type result struct {
				res []redis.XStream
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := reader.XRead(ctx, &redis.XReadArgs{Streams: []string{"other", stream, "$", "$"}, Block: w.block}).Result()
				done <- result{res, err}
			}()
			// Publish until the reader is woken: the reader may not be
			// blocked yet when the first one lands.
			waitFor(t, 10*time.Second, w.name+" to wake XREAD", func() error {
				if err := w.write(c, stream); err != nil {
					return err
				}
				select {
				case r := <-done:
					if r.err != nil || len(r.res) != 1 || r.res[0].Stream != stream || r.res[0].Messages[0].Values["message"] != "woken" {
						t.Fatalf("%s: woken XREAD = %+v, %v", w.name, r.res, r.err)
					}
					return nil
				case <-time.After(20 * time.Millisecond):
					return fmt.Errorf("still blocked")
				}
			})
		}
	}
}

func TestStreamXDelXTrimXSetID(t *testing.T) {
	addr, restart := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)
	for i := 1; i <= 10; i++ {
		c.XAdd(ctx, &redis.XAddArgs{Stream: "d", ID: fmt.Sprintf("%d-0", i), Values: []string{"i", strconv.Itoa(i)}})
	}
	if n, err := c.XDel(ctx, "d", "1-0", "5-0", "5-0", "99-0").Result(); err != nil || n != 2 {
		t.Fatalf("XDEL = %d, %v", n, err)
	}
	if n, err := c.XTrimMaxLen(ctx, "d", 6).Result(); err != nil || n != 2 {
		t.Fatalf("XTRIM MAXLEN 6 = %d, %v", n, err)
	}
	if n, err := c.XTrimMinID(ctx, "d", "7").Result(); err != nil || n != 2 {
		t.Fatalf("XTRIM MINID 7 = %d, %v", n, err)
	}
	if err := c.Do(ctx, "XSETID", "d", "20-0").Err(); err != nil {
		t.Fatal(err)
	}
	restart()
	xs, err := c.XRange(ctx, "d", "-", "+").Result()
	if err != nil || len(xs) != 4 || xs[0].ID != "7-0" || xs[3].ID != "10-0" {
		t.Fatalf("after XDEL/XTRIM and a restart: %v, %v", xs, err)
	}
	// XSETID moved the last ID: new IDs must be above it.
	if _, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "d", ID: "15-0", Values: []string{"f", "v"}}).Result(); err == nil {
		t.Fatal("XADD below the XSETID'd last ID succeeded")
	}
	if id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "d", ID: "20-*", Values: []string{"f", "v"}}).Result(); err != nil || id != "20-1" {
		t.Fatalf("XADD 20-* = %s, %v", id, err)
	}
}
