package broker

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
)

// TestLimitsDefaultsAndValidate: unset limits get their defaults (the batch
// grows with the largest message), and limits that cannot work are refused.
func TestLimitsDefaultsAndValidate(t *testing.T) {
	var l Limits
	l.EnsureDefaults()
	if l.WriteQueueLen != 4096 || l.MaxBatchBytes != 16<<20 || l.MaxPendingPerGroup != 10_000_000 {
		t.Fatalf("defaults: queue %d, batch %d, pending per group %d", l.WriteQueueLen, l.MaxBatchBytes, l.MaxPendingPerGroup)
	}
	unlimited := Limits{MaxPendingPerGroup: -1}
	unlimited.EnsureDefaults()
	if err := unlimited.Validate(); err != nil || unlimited.MaxPendingPerGroup != -1 {
		t.Fatalf("no pending limit: %d, %v", unlimited.MaxPendingPerGroup, err)
	}
	big := Limits{MaxMessageBytes: 64 << 20}
	big.EnsureDefaults()
	if big.MaxBatchBytes != 64<<20+64<<10 {
		t.Fatalf("batch for 64 MiB messages: %d", big.MaxBatchBytes)
	}
	for name, mod := range map[string]func(*Limits){
		"negative queue":        func(l *Limits) { l.WriteQueueLen = -1 },
		"batch below a message": func(l *Limits) { l.MaxBatchBytes = l.MaxMessageBytes },
		"pending below -1":      func(l *Limits) { l.MaxPendingPerGroup = -2 },
	} {
		l := Limits{}
		l.EnsureDefaults()
		mod(&l)
		if err := l.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLimitsReachTheLog: a broker with a one-request queue and the
// smallest batch its messages allow still takes writes.
func TestLimitsReachTheLog(t *testing.T) {
	b, err := Open(Config{Dir: t.TempDir(), Limits: Limits{MaxMessageBytes: 1 << 10, WriteQueueLen: 1, MaxBatchBytes: 1<<10 + 64<<10}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 10 {
		r := NewRequest()
		p := r.Add()
		p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte("c"), IDSpec{Auto: true}, [][]byte{[]byte("message"), []byte("x")}
		if err := b.Do(r); err != nil || r.Result(0).Err != nil {
			t.Fatalf("write %d: %v %v", i, err, r.Result(0).Err)
		}
	}
	if m, _ := b.Meta([]byte("c")); m.Length != 10 {
		t.Fatalf("length %d", m.Length)
	}
}

// TestPendingLimitReachesGroupReads: the broker hands its limit on a
// group's pending entries to every group read (XREADGROUP > and its CLAIM
// form), so a group at the limit gets no new entries, and counts the reads
// held back.
func TestPendingLimitReachesGroupReads(t *testing.T) {
	reg := prometheus.NewRegistry()
	b, err := Open(Config{Dir: "data", FS: vfs.NewMem(), Registerer: reg, Limits: Limits{MaxPendingPerGroup: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	do := func(fill func(c *Command)) Result {
		t.Helper()
		r := NewRequest()
		fill(r.Add())
		if err := b.Do(r); err != nil || r.Result(0).Err != nil {
			t.Fatal(err, r.Result(0).Err)
		}
		return *r.Result(0)
	}
	for range 5 {
		do(func(c *Command) {
			c.Kind, c.Channel, c.Spec.Auto, c.Fields = OpAppend, []byte("ch"), true, [][]byte{MessageField, []byte("m")}
		})
	}
	do(func(c *Command) { c.Kind, c.Channel, c.Group = OpGroupCreate, []byte("ch"), []byte("g") })
	read := func(op OpKind) Result {
		return do(func(c *Command) {
			c.Kind, c.Channel, c.Group, c.Consumer = op, []byte("ch"), []byte("g"), []byte("c")
			if op == OpClaimIdle {
				c.Claim = &ClaimInput{MinIdleMs: 1 << 40, ThenRead: true}
			}
		})
	}
	if r := read(OpGroupRead); r.N != 3 || !r.HeldBack {
		t.Fatalf("first read: %d entries, held back %v; want 3, true", r.N, r.HeldBack)
	}
	if r := read(OpClaimIdle); r.N != 0 || !r.HeldBack {
		t.Fatalf("CLAIM read of a full group: %d entries, held back %v", r.N, r.HeldBack)
	}
	if v := gather(t, reg)["rewind_group_reads_held_back_total"].GetCounter().GetValue(); v != 2 {
		t.Fatalf("reads held back: %v, want 2", v)
	}
}
