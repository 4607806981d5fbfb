package nemesis

import (
	"reflect"
	"testing"
	"time"
)

func TestScheduleIsDeterministicAndBounded(t *testing.T) {
	total := 10 * time.Minute
	a := Schedule(42, Kinds(), total)
	if !reflect.DeepEqual(a, Schedule(42, Kinds(), total)) {
		t.Fatal("the same seed gave two schedules")
	}
	if reflect.DeepEqual(a, Schedule(43, Kinds(), total)) {
		t.Fatal("two seeds gave the same schedule")
	}
	seen := map[string]bool{}
	var end time.Duration
	for _, st := range a {
		seen[st.Kind] = true
		if st.At < end {
			t.Fatalf("faults overlap: %+v starts before %v", st, end)
		}
		end = st.At + st.Duration
	}
	if end > total-5*time.Second || len(seen) != len(Kinds()) {
		t.Fatalf("schedule ends at %v, kinds %v: %+v", end, seen, a)
	}
	if Schedule(1, nil, total) != nil {
		t.Fatal("faults without kinds")
	}
}

func TestNeedsPowerLossMode(t *testing.T) {
	stall := Step{Kind: DiskFault, Variant: 1} // sync-stall: the node lives on
	fail := Step{Kind: DiskFault, Variant: 0}  // sync-error: restarted after
	if stall.endsLife() || !fail.endsLife() {
		t.Fatalf("%s / %s", stall.DiskRule(), fail.DiskRule())
	}
	steps := []Step{{Kind: Pause}, stall, {Kind: PowerLoss}, {Kind: Pause}, {Kind: Kill}, fail, {Kind: PowerLoss}}
	want := []bool{true, true, true, false, false, false, true, false}
	for i, w := range want {
		if got := NeedsPowerLossMode(steps, i); got != w {
			t.Errorf("before step %d: %v, want %v", i, got, w)
		}
	}
}

func TestParseKinds(t *testing.T) {
	if k, err := ParseKinds("kill,pause"); err != nil || len(k) != 2 {
		t.Fatal(k, err)
	}
	if k, _ := ParseKinds("all"); len(k) != len(Kinds()) {
		t.Fatal(k)
	}
	if _, err := ParseKinds("kill,partition"); err == nil {
		t.Fatal("unknown nemesis accepted")
	}
}
