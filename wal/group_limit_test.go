package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// limitFixture is a log with one channel of n entries and group g created
// at its start, with cfg (nil: none).
type limitFixture struct {
	t   *testing.T
	fs  vfs.FS
	l   *Log
	now int64
	ids []ID
}

func newLimitFixture(t *testing.T, n int, cfg *GroupConfig) *limitFixture {
	f := &limitFixture{t: t, fs: vfs.NewMem(), now: 1000}
	f.open()
	for i := range n {
		f.ids = append(f.ids, publish(t, f.l, "s", fmt.Sprint(i)))
	}
	if p := do(t, f.l, func(p *Command) { groupOp(OpGroupCreate, "s", "g", "")(p); p.EntriesRead = 0; p.Config = cfg }); p.Err != nil {
		t.Fatal(p.Err)
	}
	return f
}

func (f *limitFixture) open() {
	f.l = openMem(f.t, f.fs, func(o *Options) { o.NowMs = func() int64 { return f.now } })
	f.t.Cleanup(func() { _ = f.l.Close() })
}

func (f *limitFixture) restart() {
	if err := f.l.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

// read is an XREADGROUP > of consumer c, with COUNT count and the server
// default limit serverMax.
func (f *limitFixture) read(c string, count int, serverMax int64, noAck bool) op {
	return do(f.t, f.l, func(p *Command) {
		groupOp(OpGroupRead, "s", "g", c)(p)
		p.Count, p.MaxPending, p.NoAck, p.WantEntries = count, serverMax, noAck, true
	})
}

func (f *limitFixture) ack(ids ...ID) {
	if p := do(f.t, f.l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = ids }); p.N != int64(len(ids)) {
		f.t.Fatalf("acked %d of %d", p.N, len(ids))
	}
}

func (f *limitFixture) pending() int64 {
	g, ok := f.l.Group([]byte("s"), []byte("g"))
	if !ok {
		f.t.Fatal("no group")
	}
	return g.Pending
}

// TestPendingLimitHoldsBackNewEntries: a group at its limit gets no new
// entries (as if there were none: no error, the consumer is still seen)
// until acks make room; a read delivers at most the room left, even with
// a larger COUNT or none.
func TestPendingLimitHoldsBackNewEntries(t *testing.T) {
	f := newLimitFixture(t, 10, nil)
	if p := f.read("alice", 0, 4, false); p.Err != nil || p.N != 4 || p.ID != f.ids[0] || p.LastID != f.ids[3] || !p.HeldBack {
		t.Fatalf("read without COUNT at limit 4: %+v", p)
	}
	p := f.read("bob", 5, 4, false)
	if p.Err != nil || p.N != 0 || !p.HeldBack || !p.ConsumerCreated || len(p.Entries) != 0 {
		t.Fatalf("read of a full group: %+v", p)
	}
	if g, _ := f.l.Group([]byte("s"), []byte("g")); len(g.Consumers) != 2 || g.LastID != f.ids[3] || g.EntriesRead != 4 {
		t.Fatalf("after a held-back read: %+v", g)
	}
	f.ack(f.ids[0], f.ids[2])
	if p := f.read("bob", 10, 4, false); p.N != 2 || p.ID != f.ids[4] || p.LastID != f.ids[5] || !p.HeldBack {
		t.Fatalf("COUNT 10 with room for 2: %+v", p)
	}
	if n := f.pending(); n != 4 {
		t.Fatalf("pending %d, want the limit, 4", n)
	}
	f.ack(f.ids[1], f.ids[3], f.ids[4])
	if p := f.read("bob", 2, 4, false); p.N != 2 || p.HeldBack {
		t.Fatalf("COUNT 2 with room for 3: %+v (COUNT, not the limit, stopped it)", p)
	}
	if p := f.read("bob", 0, 4, false); p.N != 1 || p.LastID != f.ids[8] || !p.HeldBack {
		t.Fatalf("the last room: %+v", p)
	}
	if p := f.read("bob", 0, 0, false); p.N != 1 || p.LastID != f.ids[9] || p.HeldBack {
		t.Fatalf("no server limit: %+v", p)
	}
	if p := f.read("bob", 0, 1, false); p.N != 0 || p.HeldBack {
		t.Fatalf("nothing new is not held back: %+v", p)
	}
}

// TestPendingLimitExemptions: NOACK reads add no pending entries and are
// not limited; history reads, claims and redeliveries past the ack wait
// hand out entries that are pending already, and work on a full group.
func TestPendingLimitExemptions(t *testing.T) {
	f := newLimitFixture(t, 6, &GroupConfig{AckWaitMs: 100, MaxPending: 2})
	if p := f.read("alice", 0, 0, false); p.N != 2 || !p.HeldBack {
		t.Fatalf("read at the group's limit 2: %+v", p)
	}
	if p := f.read("alice", 3, 0, true); p.N != 3 || p.HeldBack || p.ID != f.ids[2] {
		t.Fatalf("NOACK read of a full group: %+v", p)
	}
	if n := f.pending(); n != 2 {
		t.Fatalf("pending %d after NOACK", n)
	}
	h := do(t, f.l, func(p *Command) { groupOp(OpGroupHistory, "s", "g", "alice")(p) })
	if h.N != 2 || len(h.Result.IDs) != 2 {
		t.Fatalf("history read of a full group: %+v", h)
	}
	c := do(t, f.l, func(p *Command) {
		groupOp(OpClaim, "s", "g", "bob")(p)
		p.IDs, p.Claim = []ID{f.ids[0]}, &ClaimInput{RetryCount: -1}
	})
	if c.Err != nil || len(c.Result.IDs) != 1 {
		t.Fatalf("claim in a full group: %+v", c)
	}
	f.now += 100
	p := f.read("carol", 0, 0, false)
	if len(p.Result.IDs) != 2 || p.N != 0 || !p.HeldBack {
		t.Fatalf("redelivery past the ack wait in a full group: %+v", p)
	}
	if n := f.pending(); n != 2 {
		t.Fatalf("pending %d, want 2", n)
	}
}

// TestPendingLimitOfTheGroup: the group's MaxPending wins over the
// server default, above or below it; 0 means the default; a lower limit
// on a fuller group delivers nothing until it is below it. The limit is
// stored with the group and survives a restart.
func TestPendingLimitOfTheGroup(t *testing.T) {
	f := newLimitFixture(t, 20, &GroupConfig{MaxPending: 3})
	if p := f.read("a", 0, 100, false); p.N != 3 || !p.HeldBack {
		t.Fatalf("group limit 3 below the default 100: %+v", p)
	}
	f.restart()
	g, _ := f.l.Group([]byte("s"), []byte("g"))
	if g.Config.MaxPending != 3 || g.Config.Enabled() {
		t.Fatalf("config after a restart: %+v", g.Config)
	}
	if p := f.read("a", 0, 100, false); p.N != 0 || !p.HeldBack {
		t.Fatalf("after a restart: %+v", p)
	}
	setLimit := func(n int64) {
		if p := do(t, f.l, func(p *Command) { groupOp(OpGroupConfig, "s", "g", "")(p); p.Config = &GroupConfig{MaxPending: n} }); p.Err != nil {
			t.Fatal(p.Err)
		}
	}
	setLimit(8)
	if p := f.read("a", 0, 2, false); p.N != 5 || !p.HeldBack {
		t.Fatalf("group limit 8 above the default 2: %+v", p)
	}
	setLimit(0)
	if p := f.read("a", 0, 10, false); p.N != 2 || !p.HeldBack {
		t.Fatalf("back to the default 10: %+v", p)
	}
	setLimit(4)
	f.ack(f.ids[0], f.ids[1], f.ids[2])
	if p := f.read("a", 0, 0, false); p.N != 0 || !p.HeldBack || f.pending() != 7 {
		t.Fatalf("7 pending, limit 4: %+v, %d pending", p, f.pending())
	}
	f.ack(f.ids[3], f.ids[4], f.ids[5], f.ids[6])
	if p := f.read("a", 0, 0, false); p.N != 1 || f.pending() != 4 {
		t.Fatalf("3 pending, limit 4: %+v, %d pending", p, f.pending())
	}
}

// TestPendingLimitWakesWaiters: a read held back wakes the channel's
// waiters once a later batch leaves its group with room (an ack, a
// deleted consumer, a higher limit), not before, and once per hold.
func TestPendingLimitWakesWaiters(t *testing.T) {
	f := newLimitFixture(t, 10, nil)
	f.read("a", 0, 2, false)
	f.read("b", 0, 2, false) // held back
	_, _, w := f.l.Watch([]byte("s"))
	if p := do(t, f.l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = []ID{{Ms: 1}} }); p.N != 0 {
		t.Fatalf("ack of an unknown ID: %+v", p)
	}
	do(t, f.l, groupOp(OpConsumerCreate, "s", "g", "c")) // touches the group, frees nothing
	if isClosed(w) {
		t.Fatal("woken while the group was still full")
	}
	f.ack(f.ids[0])
	if !isClosed(w) {
		t.Fatal("an ack that made room did not wake the waiters")
	}
	_, _, w = f.l.Watch([]byte("s"))
	f.ack(f.ids[1])
	if isClosed(w) {
		t.Fatal("woken again with no read held back since")
	}
	f.read("b", 0, 2, false)
	if p := f.read("b", 0, 2, false); !p.HeldBack {
		t.Fatalf("not full: %+v", p)
	}
	_, _, w = f.l.Watch([]byte("s"))
	if p := do(t, f.l, groupOp(OpConsumerDelete, "s", "g", "b")); p.N != 2 {
		t.Fatalf("DELCONSUMER: %+v", p)
	}
	if !isClosed(w) {
		t.Fatal("DELCONSUMER that made room did not wake the waiters")
	}
	f.read("a", 0, 2, false)
	if p := f.read("a", 0, 2, false); !p.HeldBack {
		t.Fatalf("not full: %+v", p)
	}
	_, _, w = f.l.Watch([]byte("s"))
	do(t, f.l, func(p *Command) { groupOp(OpGroupConfig, "s", "g", "")(p); p.Config = &GroupConfig{MaxPending: 3} })
	if !isClosed(w) {
		t.Fatal("a higher limit did not wake the waiters")
	}
}

// TestGroupConfigEncoding: a config without MaxPending is stored exactly
// as before MaxPending existed, so existing records decode as "not set";
// MaxPending round-trips; trailing garbage is corruption.
func TestGroupConfigEncoding(t *testing.T) {
	// The encoding before MaxPending, written out by hand.
	var old []byte
	old = binary.AppendVarint(old, 500)  // AckWaitMs
	old = binary.AppendVarint(old, 3)    // MaxDeliver
	old = binary.AppendUvarint(old, 2)   // two backoff steps
	old = binary.AppendVarint(old, 100)  // ...
	old = binary.AppendVarint(old, 1000) // ...
	old = binary.AppendUvarint(old, 3)
	old = append(old, "dlq"...)
	want := GroupConfig{AckWaitMs: 500, MaxDeliver: 3, BackoffMs: []int64{100, 1000}, DeadLetter: "dlq"}
	got, err := decodeGroupConfig(old)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("old record: %+v, %v", got, err)
	}
	if enc := encodeGroupConfig(nil, &want); !bytes.Equal(enc, old) {
		t.Fatalf("a config without MaxPending is stored as %x, before as %x", enc, old)
	}
	if got, err := decodeGroupConfig(encodeGroupConfig(nil, &GroupConfig{})); err != nil || got.MaxPending != 0 || got.DeadLetter != "" {
		t.Fatalf("empty config: %+v, %v", got, err)
	}
	want.MaxPending = 1 << 40
	if got, err := decodeGroupConfig(encodeGroupConfig(nil, &want)); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with MaxPending: %+v, %v", got, err)
	}
	for name, b := range map[string][]byte{
		"two trailing varints": binary.AppendVarint(encodeGroupConfig(nil, &want), 1),
		"truncated varint":     append(append([]byte(nil), old...), 0x80),
		"short dead letter":    old[:len(old)-1],
	} {
		if _, err := decodeGroupConfig(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}
