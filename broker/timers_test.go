package broker

import (
	"reflect"
	"testing"
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
