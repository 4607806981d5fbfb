package loglimit

import (
	"testing"
	"time"
)

func TestLimiterBurstThenSuppressedCount(t *testing.T) {
	l := &Limiter{Burst: 2, Window: time.Second}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at             time.Duration
		ok             bool
		wantSuppressed int
	}{
		{0, true, 0},
		{time.Millisecond, true, 0},
		{2 * time.Millisecond, false, 0},
		{3 * time.Millisecond, false, 0},
		{999 * time.Millisecond, false, 0},
		{time.Second, true, 3}, // a new window: the first line carries the count
		{time.Second + 1, true, 0},
		{time.Second + 2, false, 0},
		{5 * time.Second, true, 1},
	}
	for i, s := range steps {
		ok, n := l.Allow(t0.Add(s.at))
		if ok != s.ok || n != s.wantSuppressed {
			t.Fatalf("step %d (at %v): Allow = %v, %d; want %v, %d", i, s.at, ok, n, s.ok, s.wantSuppressed)
		}
	}
}

func TestLimiterClockStepBack(t *testing.T) {
	l := &Limiter{Burst: 1, Window: time.Minute}
	t0 := time.Unix(1000, 0)
	if ok, _ := l.Allow(t0); !ok {
		t.Fatal("first line held back")
	}
	if ok, _ := l.Allow(t0.Add(time.Second)); ok {
		t.Fatal("second line in the window let through")
	}
	// A clock that steps back must not hold lines back for the gap.
	if ok, n := l.Allow(t0.Add(-time.Hour)); !ok || n != 1 {
		t.Fatalf("after the clock stepped back: %v, %d; want true, 1", ok, n)
	}
}

func TestKeyedKeysAreIndependent(t *testing.T) {
	k := &Keyed{Burst: 1, Window: time.Second}
	now := time.Unix(1000, 0)
	if ok, _ := k.Allow("a", now); !ok {
		t.Fatal("a: first line held back")
	}
	if ok, _ := k.Allow("a", now); ok {
		t.Fatal("a: second line let through")
	}
	if ok, _ := k.Allow("b", now); !ok {
		t.Fatal("b: held back by a's limit")
	}
}
