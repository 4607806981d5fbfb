package wal

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestRedeliveryAndDeadLetter: with an ack wait, an unacknowledged entry
// goes to the next reader once the wait ran out (not before), counting its
// deliveries; after MaxDeliver deliveries the scan moves it to the
// dead-letter channel, with where it came from, and acknowledges it.
func TestRedeliveryAndDeadLetter(t *testing.T) {
	fs := vfs.NewMem()
	now := int64(1000)
	clock := func(o *Options) { o.NowMs = func() int64 { return now } }
	l := openMem(t, fs, clock)
	id := publish(t, l, "orders", "o1")
	cfg := &GroupConfig{AckWaitMs: 500, MaxDeliver: 2, DeadLetter: "orders.dlq"}
	if p := do(t, l, func(p *Command) { groupOp(OpGroupCreate, "orders", "g", "")(p); p.EntriesRead = 0; p.Config = cfg }); p.Err != nil {
		t.Fatal(p.Err)
	}
	read := func(c string) op {
		return do(t, l, groupOp(OpGroupRead, "orders", "g", c))
	}
	if p := read("w1"); p.N != 1 || p.ID != id {
		t.Fatalf("first delivery %+v", p)
	}
	now += 499
	if p := read("w2"); p.N != 0 || len(p.Result.IDs) != 0 {
		t.Fatalf("redelivered before the ack wait: %+v", p)
	}
	if l.Close() != nil {
		t.Fatal("close")
	}
	l = openMem(t, fs, clock) // the policy and the schedule survive a restart
	defer l.Close()
	now++
	if p := read("w2"); len(p.Result.IDs) != 1 || p.Result.IDs[0] != id || p.N != 0 {
		t.Fatalf("redelivery after the ack wait: %+v", p)
	}
	g, _ := l.Group([]byte("orders"), []byte("g"))
	if g.Consumers[1].Name != "w2" || g.Consumers[1].Pending != 1 || g.Consumers[0].Pending != 0 {
		t.Fatalf("owner after redelivery %+v", g.Consumers)
	}
	scan := func() *Result {
		return do(t, l, func(p *Command) { p.Kind = OpRedeliveryScan }).Result
	}
	now += 499
	if s := scan(); len(s.DeadLettered) != 0 {
		t.Fatalf("dead-lettered before its last ack wait ran out: %+v", s)
	}
	now++
	if p := read("w3"); len(p.Result.IDs) != 0 {
		t.Fatalf("an entry past MaxDeliver was delivered again: %+v", p)
	}
	s := scan()
	if len(s.DeadLettered) != 1 || string(s.DeadLettered[0].Channel) != "orders.dlq" {
		t.Fatalf("scan %+v", s)
	}
	if s := scan(); len(s.DeadLettered) != 0 {
		t.Fatalf("dead-lettered twice: %+v", s)
	}
	if g, _ := l.Group([]byte("orders"), []byte("g")); g.Pending != 0 {
		t.Fatalf("dead-lettered entry still pending: %d", g.Pending)
	}
	var fields map[string]string
	_, err := l.Range([]byte("orders.dlq"), RangeQuery{End: MaxID}, func(e *Entry) error {
		fields = map[string]string{}
		for i := 0; i+1 < len(e.Fields); i += 2 {
			fields[string(e.Fields[i])] = string(e.Fields[i+1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"message": "o1", "dlq-channel": "orders", "dlq-id": id.String(), "dlq-group": "g",
		"dlq-consumer": "w2", "dlq-deliveries": "2", "dlq-reason": DeadLetterReason}
	for k, v := range want {
		if fields[k] != v {
			t.Fatalf("dead-letter entry %v, want %s=%s", fields, k, v)
		}
	}
}

// TestMaxDeliverIsAHardLimit: an entry that used up MaxDeliver is handed to
// nobody again — not by its consumer's history read, XCLAIM, XAUTOCLAIM or
// XREADGROUP CLAIM — and none of them restarts its ack wait, so it is
// dead-lettered when its last wait runs out; it can still be acked before,
// and XCLAIM RETRYCOUNT below the limit gives it new tries.
func TestMaxDeliverIsAHardLimit(t *testing.T) {
	now := int64(1000)
	l := openMem(t, vfs.NewMem(), func(o *Options) { o.NowMs = func() int64 { return now } })
	defer l.Close()
	a := publish(t, l, "orders", "a")
	b := publish(t, l, "orders", "b")
	cfg := &GroupConfig{AckWaitMs: 500, MaxDeliver: 2, DeadLetter: "orders.dlq"}
	if p := do(t, l, func(p *Command) { groupOp(OpGroupCreate, "orders", "g", "")(p); p.EntriesRead = 0; p.Config = cfg }); p.Err != nil {
		t.Fatal(p.Err)
	}
	if p := do(t, l, groupOp(OpGroupRead, "orders", "g", "w1")); p.N != 2 {
		t.Fatalf("first delivery %+v", p)
	}
	now += 500
	if p := do(t, l, groupOp(OpGroupRead, "orders", "g", "w2")); len(p.Result.IDs) != 2 {
		t.Fatalf("redelivery %+v", p)
	}
	now += 100 // both delivered twice: exhausted, their last wait runs until 2000
	history := do(t, l, func(p *Command) { groupOp(OpGroupHistory, "orders", "g", "w2")(p); p.Spec = IDSpec{} })
	claim := do(t, l, func(p *Command) {
		groupOp(OpClaim, "orders", "g", "w3")(p)
		p.IDs, p.Claim = []ID{a, b}, &ClaimInput{RetryCount: -1}
	})
	auto := do(t, l, func(p *Command) {
		groupOp(OpAutoClaim, "orders", "g", "w3")(p)
		p.Count, p.Claim = 10, &ClaimInput{RetryCount: -1}
	})
	idle := do(t, l, func(p *Command) {
		groupOp(OpClaimIdle, "orders", "g", "w3")(p)
		p.Count, p.Claim = 10, &ClaimInput{RetryCount: -1}
	})
	for name, p := range map[string]op{"history": history, "XCLAIM": claim, "XAUTOCLAIM": auto} {
		if p.Err != nil || len(p.Result.IDs) != 0 {
			t.Errorf("%s delivered an exhausted entry: %v %v", name, p.Result.IDs, p.Err)
		}
	}
	if idle.Err != nil || len(idle.Claimed) != 0 {
		t.Errorf("XREADGROUP CLAIM delivered an exhausted entry: %+v %v", idle.Claimed, idle.Err)
	}
	// An operator's RETRYCOUNT below the limit revives b.
	if p := do(t, l, func(p *Command) {
		groupOp(OpClaim, "orders", "g", "w3")(p)
		p.IDs, p.Claim = []ID{b}, &ClaimInput{RetryCount: 0}
	}); len(p.Result.IDs) != 1 || p.Result.IDs[0] != b {
		t.Fatalf("XCLAIM RETRYCOUNT 0: %+v", p)
	}
	now = 1999
	scan := func() *Result { return do(t, l, func(p *Command) { p.Kind = OpRedeliveryScan }).Result }
	if s := scan(); len(s.DeadLettered) != 0 {
		t.Fatalf("dead-lettered before the last ack wait ran out: %+v", s.DeadLettered)
	}
	now = 2000
	s := scan()
	if len(s.DeadLettered) != 1 || string(s.DeadLettered[0].Channel) != "orders.dlq" {
		t.Fatalf("scan at the end of a's last ack wait: %+v", s.DeadLettered)
	}
	g, _ := l.Group([]byte("orders"), []byte("g"))
	if g.Pending != 1 || g.FirstPending != b {
		t.Fatalf("pending after dead-lettering a: %d from %v, want b alone", g.Pending, g.FirstPending)
	}
}
