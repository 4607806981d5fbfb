package broker

import "testing"

// TestLimitsDefaultsAndValidate: unset limits get their defaults (the batch
// grows with the largest message), and limits that cannot work are refused.
func TestLimitsDefaultsAndValidate(t *testing.T) {
	var l Limits
	l.EnsureDefaults()
	if l.WriteQueueLen != 4096 || l.MaxBatchBytes != 16<<20 {
		t.Fatalf("defaults: queue %d, batch %d", l.WriteQueueLen, l.MaxBatchBytes)
	}
	big := Limits{MaxMessageBytes: 64 << 20}
	big.EnsureDefaults()
	if big.MaxBatchBytes != 64<<20+64<<10 {
		t.Fatalf("batch for 64 MiB messages: %d", big.MaxBatchBytes)
	}
	for name, mod := range map[string]func(*Limits){
		"negative queue":        func(l *Limits) { l.WriteQueueLen = -1 },
		"batch below a message": func(l *Limits) { l.MaxBatchBytes = l.MaxMessageBytes },
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
