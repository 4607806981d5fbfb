//go:build cgo && !race

package wal

import (
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestPELHeapAllocPerEntry checks what a pending entry costs in memory (the
// issue's bound: 1M unacked entries in at most 64 MB), measured as the Go
// heap's growth while one consumer reads 200k entries without acking them
// (XREADGROUP COUNT 1000), after the same read in a NOACK group. Once with
// a redelivery policy (which adds the schedule), once without.
//
// Only with cgo and without -race (make test runs it so): otherwise Pebble
// allocates its memtables on the Go heap (always without cgo, half of the
// time under the race detector), and they would be counted.
func TestPELHeapAllocPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 200k entries")
	}
	const n = 200_000
	for _, tc := range []struct {
		name     string
		cfg      *GroupConfig
		maxBytes float64
	}{
		{"no policy", nil, 48},
		{"ack wait", &GroupConfig{AckWaitMs: 60_000}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// On disk: a MemFS would keep the log's own writes in the heap.
			l := openMem(t, vfs.Default, func(o *Options) { o.Dir = t.TempDir() })
			defer l.Close()
			publishMany(t, l, "s", n)
			if got := readGroupAll(t, l, "s", "base", 1000, true); got != n {
				t.Fatalf("NOACK read delivered %d", got)
			}
			if p := do(t, l, func(p *Command) {
				groupOp(OpGroupCreate, "s", "pel", "")(p)
				p.Spec.ID, p.EntriesRead, p.Config = ID{}, 0, tc.cfg
			}); p.Err != nil {
				t.Fatal(p.Err)
			}
			before := heapAlloc()
			var got int64
			for {
				p := do(t, l, func(p *Command) { groupOp(OpGroupRead, "s", "pel", "c")(p); p.Count = 1000 })
				if p.Err != nil {
					t.Fatal(p.Err)
				}
				if p.N == 0 {
					break
				}
				got += p.N
			}
			after := heapAlloc()
			g, _ := l.Group([]byte("s"), []byte("pel"))
			if got != n || g.Pending != n {
				t.Fatalf("delivered %d, pending %d, want %d", got, g.Pending, n)
			}
			perEntry := (float64(after) - float64(before)) / n
			t.Logf("%s: %.1f heap bytes per pending entry (%d entries)", tc.name, perEntry, n)
			if perEntry > tc.maxBytes {
				t.Fatalf("%.1f heap bytes per pending entry, want at most %.0f", perEntry, tc.maxBytes)
			}
			runtime.KeepAlive(l)
		})
	}
}
