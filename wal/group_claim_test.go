package wal

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// claimFixture is a log on a MemFS with a clock the test moves, holding
// channel "s" with entries 1-0..n-0 and group "g" created at 0.
type claimFixture struct {
	t   *testing.T
	fs  vfs.FS
	now int64
	l   *Log
}

func newClaimFixture(t *testing.T, n int) *claimFixture {
	f := &claimFixture{t: t, fs: vfs.NewMem(), now: 1000}
	f.open()
	t.Cleanup(func() { f.l.Close() })
	for i := 1; i <= n; i++ {
		f.append("s", ID{Ms: uint64(i)})
	}
	f.createGroup("g")
	return f
}

func (f *claimFixture) open() {
	f.l = openMem(f.t, f.fs, func(o *Options) { o.NowMs = func() int64 { return f.now } })
}

// restart closes the log and opens it again on the same files.
func (f *claimFixture) restart() {
	f.t.Helper()
	if err := f.l.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *claimFixture) append(ch string, id ID) {
	f.t.Helper()
	p := do(f.t, f.l, func(p *Command) {
		p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{ID: id}, [][]byte{[]byte("f"), []byte(id.String())}
	})
	if p.Err != nil {
		f.t.Fatal(p.Err)
	}
}

func (f *claimFixture) createGroup(name string) {
	f.t.Helper()
	if p := do(f.t, f.l, func(p *Command) { groupOp(OpGroupCreate, "s", name, "")(p); p.EntriesRead = 0 }); p.Err != nil {
		f.t.Fatal(p.Err)
	}
}

// read delivers up to count new entries of group g to consumer c.
func (f *claimFixture) read(group, c string, count int) op {
	f.t.Helper()
	return do(f.t, f.l, func(p *Command) { groupOp(OpGroupRead, "s", group, c)(p); p.Count = count })
}

func (f *claimFixture) claim(c string, a ClaimInput, ids ...uint64) op {
	f.t.Helper()
	return do(f.t, f.l, func(p *Command) {
		groupOp(OpClaim, "s", "g", c)(p)
		p.IDs, p.Claim = msIDs(ids...), &a
	})
}

func (f *claimFixture) xdel(ids ...uint64) {
	f.t.Helper()
	do(f.t, f.l, func(p *Command) { p.Kind, p.Channel, p.IDs = OpDelete, []byte("s"), msIDs(ids...) })
}

func msIDs(ms ...uint64) []ID {
	out := make([]ID, len(ms))
	for i, m := range ms {
		out[i] = ID{Ms: m}
	}
	return out
}

func idList(ids []ID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, " ")
}

// pel renders group g's durable pending entries list as
// "id:consumer:delivered-ms:count ...".
func (f *claimFixture) pel(group string) string {
	f.t.Helper()
	g, ok := f.l.Group([]byte("s"), []byte(group))
	if !ok {
		f.t.Fatalf("no group %s", group)
	}
	var out []string
	err := f.l.Pending([]byte("s"), g, PendingQuery{End: MaxID}, func(r PendingRecord, c string) error {
		out = append(out, fmt.Sprintf("%s:%s:%d:%d", r.ID, c, r.DeliveredMs, r.Count))
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// consumers renders group g's consumers as "name:pending:seen:active ...".
func (f *claimFixture) consumers(group string) string {
	g, _ := f.l.Group([]byte("s"), []byte(group))
	var out []string
	for _, c := range g.Consumers {
		out = append(out, fmt.Sprintf("%s:%d:%d:%d", c.Name, c.Pending, c.SeenMs, c.ActiveMs))
	}
	return strings.Join(out, " ")
}

func (f *claimFixture) entries() string {
	f.t.Helper()
	var out []string
	_, err := f.l.Range([]byte("s"), RangeQuery{End: MaxID}, func(e *Entry) error {
		out = append(out, e.ID.String())
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func (f *claimFixture) want(what, got, want string) {
	f.t.Helper()
	if got != want {
		f.t.Fatalf("%s:\n got  %s\n want %s", what, got, want)
	}
}

// TestXClaim: ownership moves only for entries idle long enough; JUSTID
// keeps the delivery count, RETRYCOUNT sets it, FORCE creates pending
// entries for entries that exist, IDLE and TIME set the delivery time,
// LASTID moves the cursor forward only, and a pending entry whose stream
// entry is gone leaves the list without being returned. Everything
// survives a restart.
func TestXClaim(t *testing.T) {
	f := newClaimFixture(t, 6)
	f.read("g", "alice", 0) // 1..6 delivered at 1000
	f.now = 1500
	if p := f.claim("bob", ClaimInput{MinIdleMs: 1000, RetryCount: -1}, 1, 2); p.Err != nil || p.N != 0 || len(p.Result.IDs) != 0 {
		t.Fatalf("claim of entries not idle enough: %+v", p)
	}
	f.want("consumers after a claim that took nothing", f.consumers("g"), "alice:6:1000:1000 bob:0:1500:0")
	f.now = 2000
	if p := f.claim("bob", ClaimInput{MinIdleMs: 1000, RetryCount: -1}, 2, 1, 99); idList(p.Result.IDs) != "2-0 1-0" || p.N != 2 {
		t.Fatalf("claim: %+v", p)
	}
	f.want("PEL", f.pel("g"), "1-0:bob:2000:2 2-0:bob:2000:2 3-0:alice:1000:1 4-0:alice:1000:1 5-0:alice:1000:1 6-0:alice:1000:1")
	f.now = 2100
	f.claim("carol", ClaimInput{RetryCount: -1, JustID: true}, 3)
	f.claim("carol", ClaimInput{RetryCount: 7, JustID: true, Delivery: DeliveryIdle, DeliveryMs: 600}, 4)
	f.claim("carol", ClaimInput{RetryCount: -1, Delivery: DeliveryTime, DeliveryMs: 1234}, 5)
	f.claim("carol", ClaimInput{RetryCount: -1, Delivery: DeliveryTime, DeliveryMs: 99999}, 6) // the future: now
	f.want("PEL after JUSTID, RETRYCOUNT, IDLE, TIME", f.pel("g"),
		"1-0:bob:2000:2 2-0:bob:2000:2 3-0:carol:2100:1 4-0:carol:1500:7 5-0:carol:1234:2 6-0:carol:2100:2")

	// FORCE: an acknowledged entry that exists becomes pending again; an
	// ID that is not in the channel does not.
	do(t, f.l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = msIDs(1, 2) })
	if p := f.claim("dave", ClaimInput{RetryCount: -1, Force: true}, 1, 42); idList(p.Result.IDs) != "1-0" {
		t.Fatalf("FORCE: %+v", p)
	}
	if p := f.claim("dave", ClaimInput{RetryCount: -1, Force: true, JustID: true}, 2); idList(p.Result.IDs) != "2-0" {
		t.Fatalf("FORCE JUSTID: %+v", p)
	}
	f.want("PEL after FORCE", f.pel("g")[:31], "1-0:dave:2100:2 2-0:dave:2100:1")

	// A deleted entry leaves the PEL and is not returned.
	f.xdel(3)
	if p := f.claim("dave", ClaimInput{RetryCount: -1}, 3, 4); idList(p.Result.IDs) != "4-0" {
		t.Fatalf("claim with a deleted entry: %+v", p)
	}
	// LASTID moves the cursor forward, never back.
	f.claim("dave", ClaimInput{RetryCount: -1, LastID: ID{Ms: 9}}, 4)
	f.claim("dave", ClaimInput{RetryCount: -1, LastID: ID{Ms: 2}}, 4)
	check := func() {
		t.Helper()
		f.want("PEL at the end", f.pel("g"), "1-0:dave:2100:2 2-0:dave:2100:1 4-0:dave:2100:10 5-0:carol:1234:2 6-0:carol:2100:2")
		f.want("consumers at the end", f.consumers("g"), "alice:0:1000:1000 bob:0:2000:2000 carol:2:2100:2100 dave:3:2100:2100")
		if g, _ := f.l.Group([]byte("s"), []byte("g")); g.LastID != (ID{Ms: 9}) || g.Pending != 5 || g.EntriesRead != 6 {
			t.Fatalf("group %+v", g)
		}
	}
	check()
	f.restart()
	check()

	if p := do(t, f.l, func(p *Command) { groupOp(OpClaim, "s", "nope", "c")(p); p.Claim = &ClaimInput{} }); p.Err != ErrNoGroup {
		t.Fatalf("claim in a missing group: %v", p.Err)
	}
	if p := do(t, f.l, func(p *Command) { groupOp(OpClaim, "nokey", "g", "c")(p); p.Claim = &ClaimInput{} }); p.Err != ErrNoGroup {
		t.Fatalf("claim on a missing channel: %v", p.Err)
	}
}

// TestXAutoClaim pages through the pending entries list, drops (and
// reports) entries no longer in the channel, counting them against COUNT,
// and looks at COUNT*10 entries at most.
func TestXAutoClaim(t *testing.T) {
	f := newClaimFixture(t, 25)
	f.read("g", "alice", 20) // 1..20 at 1000
	f.now = 1300
	f.read("g", "alice", 0) // 21..25 at 1300
	f.now = 1400
	auto := func(start uint64, minIdle int64, count int, justID bool) op {
		t.Helper()
		return do(t, f.l, func(p *Command) {
			groupOp(OpAutoClaim, "s", "g", "bob")(p)
			p.Count, p.Claim = count, &ClaimInput{MinIdleMs: minIdle, Start: ID{Ms: start}, JustID: justID, RetryCount: -1}
		})
	}
	page := func(p op) string {
		return p.Next.String() + " [" + idList(p.Result.IDs) + "] [" + idList(p.Deleted) + "]"
	}
	if got := page(auto(0, 200, 1, true)); got != "2-0 [1-0] []" {
		t.Fatalf("first page %s", got)
	}
	if got := page(auto(21, 200, 1, true)); got != "0-0 [] []" {
		t.Fatalf("fresh entries only: %s", got)
	}
	// Attempts: with COUNT 1, only 10 entries are looked at.
	if got := page(auto(21, 200, 1, true)); got != "0-0 [] []" {
		t.Fatalf("again %s", got)
	}
	f.xdel(22, 23)
	if got := page(auto(22, 0, 1, true)); got != "23-0 [] [22-0]" {
		t.Fatalf("deleted entries count against COUNT: %s", got)
	}
	if got := page(auto(22, 0, 2, false)); got != "25-0 [24-0] [23-0]" {
		t.Fatalf("second page %s", got)
	}
	f.now = 1500
	if got := page(auto(0, 300, 3, false)); got != "5-0 [2-0 3-0 4-0] []" {
		t.Fatalf("bounded page %s", got) // 1-0 was claimed at 1400
	}
	check := func() {
		t.Helper()
		pel := f.pel("g")
		for _, want := range []string{"1-0:bob:1400:1 ", "2-0:bob:1500:2 ", "4-0:bob:1500:2 ", "5-0:alice:1000:1 ", "24-0:bob:1400:2 25-0:alice:1300:1"} {
			if !strings.Contains(pel, want) {
				t.Fatalf("PEL %s lacks %s", pel, want)
			}
		}
		if strings.Contains(pel, "22-0") || strings.Contains(pel, "23-0") {
			t.Fatalf("deleted entries still pending: %s", pel)
		}
	}
	check()
	f.restart()
	check()
	// Attempts bound: 10 entries not idle enough stop a COUNT 1 scan (at
	// 1500 none is idle 1000: time does not go back, so the test cannot
	// make entries fresh by moving the clock).
	if got := page(auto(5, 1000, 1, true)); got != "15-0 [] []" {
		t.Fatalf("attempts bound %s", got)
	}
}

// TestXReadGroupClaim: the CLAIM phase hands the idlest entries to the
// reader first (by delivery time, then ID), with their idle time and
// previous delivery count, skips entries no longer in the channel (they
// stay pending), counts against COUNT, and then new entries are delivered
// up to what is left of COUNT; NOACK applies only to those.
func TestXReadGroupClaim(t *testing.T) {
	f := newClaimFixture(t, 8)
	f.read("g", "alice", 2) // 1, 2 at 1000
	f.now = 1100
	f.read("g", "alice", 2)                                                                                // 3, 4 at 1100
	f.claim("alice", ClaimInput{RetryCount: -1, JustID: true, Delivery: DeliveryTime, DeliveryMs: 900}, 2) // 2 is the idlest
	f.xdel(3)
	claimRead := func(c string, minIdle int64, count int, noAck, thenRead bool) op {
		t.Helper()
		return do(t, f.l, func(p *Command) {
			groupOp(OpClaimIdle, "s", "g", c)(p)
			p.Count, p.NoAck, p.Claim = count, noAck, &ClaimInput{MinIdleMs: minIdle, ThenRead: thenRead}
		})
	}
	claimed := func(p op) string {
		var out []string
		for _, e := range p.Claimed {
			out = append(out, fmt.Sprintf("%s/%d/%d", e.ID, e.IdleMs, e.Count))
		}
		return strings.Join(out, " ")
	}
	f.now = 1500
	p := claimRead("bob", 450, 2, false, true)
	if claimed(p) != "2-0/600/1 1-0/500/1" || p.N != 0 || p.WakeMs != 1550 {
		t.Fatalf("COUNT 2 used by claims: %s, new %d, wake %d", claimed(p), p.N, p.WakeMs)
	}
	p = claimRead("bob", 300, 3, true, true) // 4 idle 400, 3 deleted (skipped), then 5, 6 new with NOACK
	if claimed(p) != "4-0/400/1" || p.N != 2 || p.ID != (ID{Ms: 5}) || p.LastID != (ID{Ms: 6}) {
		t.Fatalf("claim then new: %s, %+v", claimed(p), p)
	}
	f.want("PEL after claims", f.pel("g"), "1-0:bob:1500:2 2-0:bob:1500:2 3-0:alice:1100:1 4-0:bob:1500:2")
	if p := claimRead("carol", 10000, 0, false, true); claimed(p) != "" || p.N != 2 || p.WakeMs != 11100 {
		t.Fatalf("nothing idle, all new: %s %+v", claimed(p), p)
	}
	if p := claimRead("carol", 0, 0, false, false); p.N != 0 || len(p.Claimed) != 5 {
		t.Fatalf("min-idle 0 claims every existing pending entry, and no new one without ThenRead: %s %+v", claimed(p), p)
	}
	check := func() {
		t.Helper()
		f.want("PEL at the end", f.pel("g"), "1-0:carol:1500:3 2-0:carol:1500:3 3-0:alice:1100:1 4-0:carol:1500:3 7-0:carol:1500:2 8-0:carol:1500:2")
		f.want("consumers", f.consumers("g"), "alice:1:1100:1100 bob:0:1500:1500 carol:5:1500:1500")
	}
	check()
	f.restart()
	check()
}

// TestAckDelAndDeleteEx: the per-ID codes of XACKDEL and XDELEX under
// KEEPREF, DELREF and ACKED, as Redis 8.2 answers them.
func TestAckDelAndDeleteEx(t *testing.T) {
	f := newClaimFixture(t, 6)
	f.createGroup("g2")
	f.read("g", "c1", 0)
	f.read("g2", "c2", 4) // g2 has not read 5, 6
	op := func(o OpKind, group string, ref RefPolicy, ids ...uint64) string {
		t.Helper()
		p := do(t, f.l, func(p *Command) {
			p.Kind, p.Channel, p.Group, p.Ref, p.IDs = o, []byte("s"), []byte(group), ref, msIDs(ids...)
		})
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		return fmt.Sprint(p.Codes)
	}
	// ACKED: acknowledged in g, still pending in g2: not deleted.
	if got := op(OpAckDel, "g", RefAcked, 1, 2, 99); got != "[2 2 -1]" {
		t.Fatalf("XACKDEL ACKED: %s", got)
	}
	if got := op(OpAckDel, "g2", RefAcked, 1, 2); got != "[1 1]" {
		t.Fatalf("XACKDEL ACKED by the last group: %s", got)
	}
	// Not pending in g (acknowledged already): -1, and nothing is deleted.
	if got := op(OpAckDel, "g", RefKeep, 1, 3); got != "[-1 1]" {
		t.Fatalf("XACKDEL KEEPREF: %s", got)
	}
	f.want("entries", f.entries(), "4-0 5-0 6-0")
	f.want("g2 keeps its reference to 3", f.pel("g2"), "3-0:c2:1000:1 4-0:c2:1000:1")
	// XDELEX ACKED: 4 is pending in g, g2 has not read 5, nor 7, which
	// does not exist (Redis checks the references first).
	if got := op(OpDeleteEx, "", RefAcked, 4, 5, 7); got != "[2 2 2]" {
		t.Fatalf("XDELEX ACKED: %s", got)
	}
	// DELREF removes every reference, even to an entry already gone.
	if got := op(OpDeleteEx, "", RefDelete, 3, 4); got != "[-1 1]" {
		t.Fatalf("XDELEX DELREF: %s", got)
	}
	f.want("g2 after DELREF", f.pel("g2"), "")
	f.want("g after DELREF", f.pel("g"), "5-0:c1:1000:1 6-0:c1:1000:1")
	if got := op(OpAckDel, "g", RefDelete, 5); got != "[1]" {
		t.Fatalf("XACKDEL DELREF: %s", got)
	}
	if got := op(OpDeleteEx, "", RefKeep, 6, 6); got != "[1 -1]" {
		t.Fatalf("XDELEX KEEPREF: %s", got)
	}
	check := func() {
		t.Helper()
		f.want("entries at the end", f.entries(), "")
		f.want("g at the end", f.pel("g"), "6-0:c1:1000:1")
		m, _ := f.l.Meta([]byte("s"))
		if m.Length != 0 || m.MaxDeletedID != (ID{Ms: 6}) || m.LastID != (ID{Ms: 6}) {
			t.Fatalf("meta %+v", m)
		}
	}
	check()
	f.restart()
	check()
	if got := op(OpAckDel, "nope", RefKeep, 1, 2); got != "[-1 -1]" {
		t.Fatalf("XACKDEL on a missing group: %s", got)
	}
	do(t, f.l, func(p *Command) { p.Kind, p.Channel = OpDrop, []byte("s") })
	if got := op(OpDeleteEx, "", RefAcked, 1); got != "[-1]" {
		t.Fatalf("XDELEX on a missing key: %s", got)
	}
	// Without groups, ACKED deletes (nothing references the entry).
	f.append("s", ID{Ms: 10})
	if got := op(OpDeleteEx, "", RefAcked, 10); got != "[1]" {
		t.Fatalf("XDELEX ACKED without groups: %s", got)
	}
}

// TestTrimRef: DELREF trims and removes the trimmed entries from every
// pending entries list; ACKED skips the entries some group still needs and
// goes on to the bound; without groups the policy changes nothing.
func TestTrimRef(t *testing.T) {
	f := newClaimFixture(t, 10)
	f.read("g", "c", 6) // 1..6 pending in g, 7..10 unread
	do(t, f.l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = msIDs(2, 4, 5) })
	trim := func(ref RefPolicy, tr Trim) int64 {
		t.Helper()
		p := do(t, f.l, func(p *Command) { p.Kind, p.Channel, p.Trim, p.Ref = OpTrimRef, []byte("s"), tr, ref })
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		return p.N
	}
	if n := trim(RefAcked, Trim{Strategy: TrimMaxLen, MaxLen: 8}); n != 2 {
		t.Fatalf("ACKED MAXLEN 8 trimmed %d", n)
	}
	f.want("entries after ACKED", f.entries(), "1-0 3-0 5-0 6-0 7-0 8-0 9-0 10-0")
	if n := trim(RefAcked, Trim{Strategy: TrimMaxLen, MaxLen: 0, Approx: true, Limit: 10000}); n != 1 {
		t.Fatalf("ACKED MAXLEN ~ 0 trimmed %d", n) // only 5 is acknowledged and read
	}
	if n := trim(RefDelete, Trim{Strategy: TrimMinID, MinID: ID{Ms: 6}}); n != 2 {
		t.Fatalf("DELREF MINID 6 trimmed %d", n)
	}
	check := func() {
		t.Helper()
		f.want("entries at the end", f.entries(), "6-0 7-0 8-0 9-0 10-0")
		f.want("PEL at the end", f.pel("g"), "6-0:c:1000:1")
		m, _ := f.l.Meta([]byte("s"))
		if m.Length != 5 || m.FirstID != (ID{Ms: 6}) || !m.MaxDeletedID.IsZero() {
			t.Fatalf("meta %+v", m)
		}
	}
	check()
	f.restart()
	check()
	// DELREF past the group's cursor: the group skips the lost entries.
	if n := trim(RefDelete, Trim{Strategy: TrimMaxLen, MaxLen: 1}); n != 4 {
		t.Fatalf("DELREF MAXLEN 1 trimmed %d", n)
	}
	if g, _ := f.l.Group([]byte("s"), []byte("g")); g.Lost != 3 || g.LastID != (ID{Ms: 9}) || g.Pending != 0 {
		t.Fatalf("group after DELREF trim %+v", g)
	}
	do(t, f.l, func(p *Command) { groupOp(OpGroupDestroy, "s", "g", "")(p) })
	if n := trim(RefAcked, Trim{Strategy: TrimMaxLen, MaxLen: 0}); n != 1 {
		t.Fatalf("ACKED without groups trimmed %d", n)
	}
}

// TestClaimDeterministic applies the same requests, with the same times,
// to two logs and finds the same stored state.
func TestClaimDeterministic(t *testing.T) {
	run := func() string {
		f := newClaimFixture(t, 12)
		f.createGroup("g2")
		f.read("g", "a", 5)
		f.read("g2", "x", 0)
		f.now += 700
		f.read("g", "b", 0)
		f.xdel(3, 9)
		f.now += 700
		f.claim("c", ClaimInput{MinIdleMs: 500, RetryCount: -1}, 1, 2, 3, 4)
		do(t, f.l, func(p *Command) {
			groupOp(OpAutoClaim, "s", "g", "d")(p)
			p.Count, p.Claim = 3, &ClaimInput{Start: ID{Ms: 4}, RetryCount: -1}
		})
		do(t, f.l, func(p *Command) {
			groupOp(OpClaimIdle, "s", "g2", "y")(p)
			p.Count, p.Claim = 4, &ClaimInput{MinIdleMs: 100, ThenRead: true}
		})
		do(t, f.l, func(p *Command) {
			p.Kind, p.Channel, p.Group, p.Ref, p.IDs = OpAckDel, []byte("s"), []byte("g"), RefAcked, msIDs(1, 5)
		})
		do(t, f.l, func(p *Command) {
			p.Kind, p.Channel, p.Trim, p.Ref = OpTrimRef, []byte("s"), Trim{Strategy: TrimMaxLen, MaxLen: 3}, RefDelete
		})
		f.restart()
		return dumpDB(t, f.l)
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same requests, different state:\n%s\n---\n%s", a, b)
	}
}

// dumpDB renders every key and value of the log's Pebble DB.
func dumpDB(t *testing.T, l *Log) string {
	it, err := l.db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var buf bytes.Buffer
	for ok := it.First(); ok; ok = it.Next() {
		fmt.Fprintf(&buf, "%x=%x\n", it.Key(), it.Value())
	}
	return buf.String()
}

// TestClaimReschedulesRedelivery: a claim restarts the ack wait of the
// entries it takes (from their new delivery time), so broker-side
// redelivery and claims agree on when an entry is due again.
func TestClaimReschedulesRedelivery(t *testing.T) {
	f := newClaimFixture(t, 2)
	if p := do(t, f.l, func(p *Command) {
		groupOp(OpGroupConfig, "s", "g", "")(p)
		p.Config = &GroupConfig{AckWaitMs: 1000}
	}); p.Err != nil {
		t.Fatal(p.Err)
	}
	f.read("g", "w1", 0) // both at 1000, due at 2000
	f.now = 1500
	f.claim("w2", ClaimInput{RetryCount: -1}, 1)                                          // due at 2500
	f.claim("w2", ClaimInput{RetryCount: -1, Delivery: DeliveryTime, DeliveryMs: 100}, 2) // due at 1100
	if p := f.read("g", "w3", 0); idList(p.Result.IDs) != "2-0" {
		t.Fatalf("redelivered at 1500: %+v", p)
	}
	f.now = 2499
	if p := f.read("g", "w3", 0); len(p.Result.IDs) != 0 {
		t.Fatalf("redelivered before the claim's ack wait ran out: %+v", p)
	}
	f.restart()
	f.now = 2500
	if p := f.read("g", "w3", 0); idList(p.Result.IDs) != "1-0 2-0" {
		t.Fatalf("redelivered at 2500: %+v", p)
	}
	f.want("PEL", f.pel("g"), "1-0:w3:2500:3 2-0:w3:2500:4")
}
