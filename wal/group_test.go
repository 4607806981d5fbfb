package wal

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// do submits one command and returns it with its result once it is
// durable.
func do(t *testing.T, l *Log, fill func(p *Command)) op {
	t.Helper()
	return doInto(t, l, fill, nil)
}

// doInto is do with the buffer its result's delivered entries go to.
func doInto(t *testing.T, l *Log, fill func(p *Command), entries Delivered) op {
	t.Helper()
	r := NewRequest()
	fill(r.Add())
	r.Results[0].Entries = entries
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	return r.op(0)
}

func groupOp(op OpKind, ch, g, c string) func(*Command) {
	return func(p *Command) {
		p.Kind, p.Channel, p.Group, p.Consumer, p.EntriesRead = op, []byte(ch), []byte(g), []byte(c), EntriesReadUnknown
	}
}

func TestGroupDeliverAckRestart(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	if p := do(t, l, groupOp(OpGroupCreate, "s", "g", "")); !errors.Is(p.Err, ErrNoStream) {
		t.Fatalf("create on a missing channel: %v", p.Err)
	}
	var ids []ID
	for i := 0; i < 10; i++ {
		ids = append(ids, publish(t, l, "s", fmt.Sprint(i)))
	}
	create := groupOp(OpGroupCreate, "s", "g", "")
	if p := do(t, l, func(p *Command) { create(p); p.Spec.ID = ID{}; p.EntriesRead = 0 }); p.Err != nil {
		t.Fatal(p.Err)
	}
	if p := do(t, l, create); !errors.Is(p.Err, ErrGroupExists) {
		t.Fatalf("second create: %v", p.Err)
	}
	read := func(c string, count int) op {
		return do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "g", c)(p); p.Count = count })
	}
	p := read("alice", 4)
	if p.Err != nil || p.N != 4 || p.ID != ids[0] || p.LastID != ids[3] {
		t.Fatalf("first read: %+v", p)
	}
	p = read("bob", 0)
	if p.N != 6 || p.ID != ids[4] || p.LastID != ids[9] {
		t.Fatalf("second read: %+v", p)
	}
	if p = read("bob", 0); p.N != 0 {
		t.Fatalf("read at the end delivered %d", p.N)
	}
	ack := do(t, l, func(p *Command) {
		groupOp(OpAck, "s", "g", "")(p)
		p.IDs = []ID{ids[0], ids[1], ids[0], {Ms: 1}}
	})
	if ack.N != 2 {
		t.Fatalf("acked %d, want 2", ack.N)
	}
	check := func(l *Log) {
		t.Helper()
		g, ok := l.Group([]byte("s"), []byte("g"))
		if !ok || g.Pending != 8 || g.LastID != ids[9] || g.EntriesRead != 10 || g.FirstPending != ids[2] {
			t.Fatalf("group %+v %v", g, ok)
		}
		if len(g.Consumers) != 2 || g.Consumers[0].Name != "alice" || g.Consumers[0].Pending != 2 || g.Consumers[1].Pending != 6 {
			t.Fatalf("consumers %+v", g.Consumers)
		}
		var got []string
		err := l.Pending([]byte("s"), g, PendingQuery{End: MaxID, Consumer: "alice"}, func(r PendingRecord, c string) error {
			got = append(got, r.ID.String()+"/"+c)
			return nil
		})
		if err != nil || len(got) != 2 || got[0] != ids[2].String()+"/alice" {
			t.Fatalf("alice's pending %v %v", got, err)
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openMem(t, fs, nil)
	defer l.Close()
	check(l)
	del := do(t, l, groupOp(OpConsumerDelete, "s", "g", "bob"))
	if del.N != 6 {
		t.Fatalf("deleted consumer had %d pending, want 6", del.N)
	}
	if g, _ := l.Group([]byte("s"), []byte("g")); g.Pending != 2 {
		t.Fatalf("pending after DELCONSUMER: %d", g.Pending)
	}
	if d := do(t, l, groupOp(OpGroupDestroy, "s", "g", "")); d.N != 1 {
		t.Fatalf("destroy: %+v", d)
	}
	if _, ok := l.Group([]byte("s"), []byte("g")); ok {
		t.Fatal("group survived DESTROY")
	}
}

// TestGroupReadSeesTheEntriesBeforeIt: a group read delivers every entry
// applied before it, also one in the same request (as Redis answers MULTI
// XADD XREADGROUP >) — never what a node happens to have synced — and the
// delivery is in the same atomic batch as the entry: after the reply, both
// survive a crash.
func TestGroupReadSeesTheEntriesBeforeIt(t *testing.T) {
	fs := vfs.NewCrashableMem()
	l := openMem(t, fs, nil)
	defer l.Close()
	publish(t, l, "s", "a")
	create := groupOp(OpGroupCreate, "s", "g", "")
	do(t, l, func(p *Command) { create(p); p.EntriesRead = 0 })
	r := NewRequest()
	a := r.Add()
	a.Kind, a.Channel, a.Spec, a.Fields = OpAppend, []byte("s"), IDSpec{Auto: true}, [][]byte{MessageField, []byte("b")}
	g := r.Add()
	groupOp(OpGroupRead, "s", "g", "c")(g)
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if got := r.op(1); got.Err != nil || got.N != 2 || got.LastID != r.op(0).ID {
		t.Fatalf("delivered %d entries up to %v (%v), want both, up to the append %v", got.N, got.LastID, got.Err, r.op(0).ID)
	}
	crashed := openMem(t, fs.CrashClone(vfs.CrashCloneCfg{}), nil)
	defer crashed.Close()
	if m, _ := crashed.Meta([]byte("s")); m.Length != 2 {
		t.Fatalf("after a crash: %d entries", m.Length)
	}
	if info, ok := crashed.Group([]byte("s"), []byte("g")); !ok || info.Pending != 2 {
		t.Fatalf("after a crash: group %+v", info)
	}
}

// TestTrimPastGroupCursor: a trim that removes entries a group has not read
// moves the group past them, counts them as lost, and the group goes on
// with the next entry; restart keeps the count.
func TestTrimPastGroupCursor(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	var ids []ID
	for i := 0; i < 10; i++ {
		ids = append(ids, publish(t, l, "s", fmt.Sprint(i)))
	}
	do(t, l, func(p *Command) { groupOp(OpGroupCreate, "s", "g", "")(p); p.EntriesRead = 0 })
	if p := do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "g", "c")(p); p.Count = 2 }); p.N != 2 {
		t.Fatalf("read %+v", p)
	}
	trim := do(t, l, func(p *Command) {
		p.Kind, p.Channel, p.Trim = OpTrim, []byte("s"), Trim{Strategy: TrimMaxLen, MaxLen: 3}
	})
	if trim.N != 7 {
		t.Fatalf("trimmed %d", trim.N)
	}
	g, _ := l.Group([]byte("s"), []byte("g"))
	if g.Lost != 5 || g.LastID != ids[6] || g.EntriesRead != 7 {
		t.Fatalf("group after trim %+v", g)
	}
	if p := do(t, l, groupOp(OpGroupRead, "s", "g", "c")); p.N != 3 || p.ID != ids[7] {
		t.Fatalf("read after trim %+v", p)
	}
	l.Close()
	l = openMem(t, fs, nil)
	defer l.Close()
	if g, _ := l.Group([]byte("s"), []byte("g")); g.Lost != 5 {
		t.Fatalf("lost count after restart %+v", g)
	}
}

// TestInterestRetention: a retention trim (Trim.Interest, what the broker's
// retention pass proposes for a channel with interest retention) keeps
// every entry a group has not acknowledged or not read, whatever MAXLEN
// says; once all are acknowledged it trims as usual.
func TestInterestRetention(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	var ids []ID
	for i := 0; i < 10; i++ {
		ids = append(ids, publish(t, l, "s", fmt.Sprint(i)))
	}
	retain := func() {
		t.Helper()
		trim := Trim{Strategy: TrimMaxLen, MaxLen: 2, Interest: true}
		if p := do(t, l, func(p *Command) { p.Kind, p.Channel, p.Trim = OpTrim, []byte("s"), trim }); p.Err != nil {
			t.Fatal(p.Err)
		}
	}
	do(t, l, func(p *Command) { groupOp(OpGroupCreate, "s", "g", "")(p); p.EntriesRead = 0 })
	do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "g", "c")(p); p.Count = 4 })
	do(t, l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = []ID{ids[0], ids[1]} })
	retain()
	m, _ := l.Meta([]byte("s"))
	if m.Length != 8 || m.FirstID != ids[2] {
		t.Fatalf("interest retention kept %d from %v, want 8 from the first unacked %v", m.Length, m.FirstID, ids[2])
	}
	do(t, l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = ids[2:4] })
	do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "g", "c")(p) })
	do(t, l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = ids[4:] })
	retain()
	if m, _ := l.Meta([]byte("s")); m.Length != 2 || m.FirstID != ids[8] {
		t.Fatalf("after every ack: %d from %v, want the MAXLEN 2", m.Length, m.FirstID)
	}
}

// TestGroupReadEntries: a group read with WantEntries hands back the
// delivered entries as the writer read them (what Range would return for
// the delivered IDs), also after deletions, into the buffer it was given.
func TestGroupReadEntries(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	var ids []ID
	for i := 0; i < 10; i++ {
		ids = append(ids, publish(t, l, "s", fmt.Sprint("m", i)))
	}
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte("s"), IDSpec{Auto: true}, [][]byte{[]byte("f"), []byte("v"), []byte("g"), []byte("")}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	ids = append(ids, r.op(0).ID)
	if p := do(t, l, func(p *Command) { p.Kind, p.Channel, p.IDs = OpDelete, []byte("s"), []ID{ids[2], ids[3]} }); p.Err != nil {
		t.Fatal(p.Err)
	}
	if p := do(t, l, func(p *Command) { groupOp(OpGroupCreate, "s", "g", "")(p); p.Spec.ID = ID{}; p.EntriesRead = 0 }); p.Err != nil {
		t.Fatal(p.Err)
	}
	render := func(e *Entry) string {
		s := e.ID.String()
		for _, f := range e.Fields {
			s += " " + string(f)
		}
		return s + ";"
	}
	buf := make(Delivered, 0, 1024)
	var got, want string
	for _, count := range []int{4, 0} {
		p := doInto(t, l, func(p *Command) {
			groupOp(OpGroupRead, "s", "g", "c")(p)
			p.Count, p.WantEntries = count, true
		}, buf[:0])
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		if &p.Entries[:1][0] != &buf[:1][0] {
			t.Fatal("the given buffer was not used")
		}
		n, err := EachDelivered(p.Entries, nil, func(e *Entry) error { got += render(e); return nil })
		if err != nil || int64(n) != p.N {
			t.Fatalf("Each: %d entries, %v; delivered %d", n, err, p.N)
		}
		if _, err := l.Range([]byte("s"), RangeQuery{Start: p.ID, End: p.LastID}, func(e *Entry) error { want += render(e); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if got != want || strings.Count(got, ";") != 9 {
		t.Fatalf("delivered entries\n%s\nwant (Range)\n%s", got, want)
	}
	if _, err := EachDelivered(Delivered(buf[:5]), nil, func(*Entry) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a torn buffer: %v", err)
	}
}

// TestCreatedResults: the results that say a write created the channel,
// created a consumer, or deleted one (the RESP front's keyspace
// notifications "new", "xgroup-createconsumer" and "xgroup-delconsumer").
func TestCreatedResults(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	appendTo := func(ch string) op {
		return do(t, l, func(p *Command) {
			p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{Auto: true}, [][]byte{[]byte("f"), []byte("v")}
		})
	}
	if p := appendTo("s"); !p.Created {
		t.Fatal("the first append did not report a created channel")
	}
	if p := appendTo("s"); p.Created {
		t.Fatal("a second append reported a created channel")
	}
	mk := func(p *Command) { groupOp(OpGroupCreate, "t", "g", "")(p); p.MkStream = true }
	if p := do(t, l, mk); p.Err != nil || !p.Created {
		t.Fatalf("XGROUP CREATE MKSTREAM on a missing channel: %+v", p)
	}
	if p := do(t, l, groupOp(OpGroupCreate, "s", "g", "")); p.Err != nil || p.Created {
		t.Fatalf("XGROUP CREATE on an existing channel: %+v", p)
	}
	claim := func(op OpKind, c string) func(*Command) {
		return func(p *Command) { groupOp(op, "s", "g", c)(p); p.Claim = &ClaimInput{}; p.Count = 1 }
	}
	for _, tc := range []struct {
		name string
		fill func(*Command)
	}{
		{"XGROUP CREATECONSUMER", groupOp(OpConsumerCreate, "s", "g", "a")},
		{"XREADGROUP >", groupOp(OpGroupRead, "s", "g", "b")},
		{"XREADGROUP 0", groupOp(OpGroupHistory, "s", "g", "c")},
		{"XCLAIM", claim(OpClaim, "d")},
		{"XAUTOCLAIM", claim(OpAutoClaim, "e")},
		{"XREADGROUP CLAIM", func(p *Command) { claim(OpClaimIdle, "f")(p); p.Claim.ThenRead = true }},
	} {
		if p := do(t, l, tc.fill); p.Err != nil || !p.ConsumerCreated {
			t.Errorf("%s by a new consumer: %+v", tc.name, p)
		}
		if p := do(t, l, tc.fill); p.Err != nil || p.ConsumerCreated {
			t.Errorf("%s by the same consumer again: %+v", tc.name, p)
		}
	}
	del := groupOp(OpConsumerDelete, "s", "g", "a")
	if p := do(t, l, del); p.Err != nil || !p.ConsumerDeleted {
		t.Fatalf("XGROUP DELCONSUMER of a consumer: %+v", p)
	}
	if p := do(t, l, del); p.Err != nil || p.ConsumerDeleted {
		t.Fatalf("XGROUP DELCONSUMER of a missing consumer: %+v", p)
	}
}
