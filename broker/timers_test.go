package broker

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestRetentionTrims: the retention pass proposes, for each limit a channel
// is over, the trim that brings it back, with the bound in the command
// (never "now"), and nothing for a channel within its limits or empty.
func TestRetentionTrims(t *testing.T) {
	const now = 1_000_000
	m := Meta{Length: 10, FirstID: ID{Ms: 100}, Bytes: 5000}
	for _, tc := range []struct {
		name string
		m    Meta
		lim  Retention
		want []Trim
	}{
		{"no limits", m, Retention{}, nil},
		{"within", m, Retention{MaxLen: 10, MaxAgeMs: now, MaxBytes: 5000}, nil},
		{"empty", Meta{}, Retention{MaxLen: 1, MaxAgeMs: 1, MaxBytes: 1}, nil},
		{"length", m, Retention{MaxLen: 4, Interest: true},
			[]Trim{{Strategy: TrimMaxLen, MaxLen: 4, Interest: true}}},
		{"age", m, Retention{MaxAgeMs: now - 500},
			[]Trim{{Strategy: TrimMinID, MinID: ID{Ms: 500}}}},
		{"bytes ignore interest", m, Retention{MaxBytes: 100, Interest: true},
			[]Trim{{Strategy: TrimMaxBytes, MaxBytes: 100}}},
		{"all three", m, Retention{MaxLen: 4, MaxAgeMs: now - 500, MaxBytes: 100}, []Trim{
			{Strategy: TrimMaxLen, MaxLen: 4}, {Strategy: TrimMinID, MinID: ID{Ms: 500}}, {Strategy: TrimMaxBytes, MaxBytes: 100}}},
		{"age longer than the clock", m, Retention{MaxAgeMs: now + 1}, nil},
	} {
		if got := retentionTrims(&tc.m, tc.lim, now); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestRetentionTimerTrims: with no one asking, the broker's retention timer
// proposes the trims that bring a channel back within the server's limits,
// and those trims are applied (the timer runs every 10 ms here; the test
// waits for its effect, bounded by a deadline).
func TestRetentionTimerTrims(t *testing.T) {
	b, err := Open(Config{Dir: "data", FS: vfs.NewMem(), Retention: Retention{MaxLen: 3},
		RetentionInterval: 10 * time.Millisecond, RedeliveryInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var last ID
	for i := range 10 {
		if last, _, err = b.Publish([]byte("ch"), fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		m, ok := b.Meta([]byte("ch"))
		if ok && m.Length == 3 && m.LastID == last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retention timer left %+v (exists %v), want the last 3 entries up to %v", m, ok, last)
		}
	}
}
