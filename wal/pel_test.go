package wal

import (
	"fmt"
	"math"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// publishMany appends n entries to ch in requests of 1000 commands.
func publishMany(t testing.TB, l *Log, ch string, n int) {
	t.Helper()
	msg := [][]byte{MessageField, []byte("x")}
	for done := 0; done < n; {
		r := NewRequest()
		for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
			p := r.Add()
			p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{Auto: true}, msg
		}
		if err := l.Submit(r); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		for i := range r.Commands {
			if err := r.op(i).Err; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readGroupAll reads ch through group g with XREADGROUP COUNT count until
// nothing is left, and returns the number of entries delivered.
func readGroupAll(t *testing.T, l *Log, ch, g string, count int, noAck bool) int64 {
	t.Helper()
	if p := do(t, l, func(p *Command) { groupOp(OpGroupCreate, ch, g, "")(p); p.Spec.ID = ID{}; p.EntriesRead = 0 }); p.Err != nil {
		t.Fatal(p.Err)
	}
	var n int64
	for {
		p := do(t, l, func(p *Command) {
			groupOp(OpGroupRead, ch, g, "c")(p)
			p.Count, p.NoAck = count, noAck
		})
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		if p.N == 0 {
			return n
		}
		n += p.N
	}
}

// TestPELBigDeliveryCount: a delivery count that does not fit the entry's
// 32 bits (XCLAIM RETRYCOUNT takes any int64) is kept exactly, counts up,
// survives a restart and leaves no trace once acknowledged.
func TestPELBigDeliveryCount(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	id := publish(t, l, "s", "a")
	publish(t, l, "s", "b")
	if p := do(t, l, func(p *Command) { groupOp(OpGroupCreate, "s", "g", "")(p); p.Spec.ID = ID{}; p.EntriesRead = 0 }); p.Err != nil {
		t.Fatal(p.Err)
	}
	if p := do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "g", "alice")(p) }); p.N != 2 {
		t.Fatalf("read %+v", p)
	}
	claim := func(retry int64) {
		t.Helper()
		p := do(t, l, func(p *Command) {
			groupOp(OpClaim, "s", "g", "bob")(p)
			p.IDs, p.Claim = []ID{id}, &ClaimInput{RetryCount: retry}
		})
		if p.Err != nil || p.N != 1 {
			t.Fatalf("claim: %+v", p)
		}
	}
	count := func() string {
		t.Helper()
		g, _ := l.Group([]byte("s"), []byte("g"))
		var out string
		if err := l.Pending([]byte("s"), g, PendingQuery{End: MaxID}, func(r PendingRecord, c string) error {
			out += fmt.Sprintf("%s:%s:%d ", r.ID, c, r.Count)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	claim(math.MaxInt64 - 1)
	want := fmt.Sprintf("%s:bob:%d ", id, int64(math.MaxInt64-1))
	if got := count(); got[:len(want)] != want {
		t.Fatalf("after RETRYCOUNT: %s", got)
	}
	claim(-1) // counts one more, then saturates
	claim(-1)
	want = fmt.Sprintf("%s:bob:%d ", id, int64(math.MaxInt64))
	if got := count(); got[:len(want)] != want {
		t.Fatalf("after two more deliveries: %s", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openMem(t, fs, nil)
	if got := count(); got[:len(want)] != want {
		t.Fatalf("after a restart: %s", got)
	}
	claim(5) // back to a small count
	if got := count(); got[:len(id.String())+6] != id.String()+":bob:5" {
		t.Fatalf("after RETRYCOUNT 5: %s", got)
	}
	claim(math.MaxUint32)
	if p := do(t, l, func(p *Command) { groupOp(OpAck, "s", "g", "")(p); p.IDs = []ID{id} }); p.N != 1 {
		t.Fatalf("ack %+v", p)
	}
	if err := l.Close(); err != nil { // the writer is done: its state may be read
		t.Fatal(err)
	}
	g := l.lookup([]byte("s")).groups["g"]
	if len(g.bigCounts) != 0 || g.pel.Len() != 1 {
		t.Fatalf("after the ack: %d big counts, %d pending", len(g.bigCounts), g.pel.Len())
	}
}
