//go:build linux

package wal

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The replay benchmarks read one channel of 1M 100-byte messages (what
// `rewind bench --workloads replay` stores) from a real directory, loaded
// through the writer and closed, as a stopped server leaves it. Loading
// takes seconds, so run them with a fixed iteration count:
//
//	go test ./wal -run '^$' -bench 'Range|OpenRange' -benchtime 5x
//
// REWIND_BENCH_ENTRIES changes the count. REWIND_BENCH_DIR names a
// directory kept across runs: loaded (and marked with a .loaded file) when
// it has none, read as is when it has one — also a bench server's data
// directory, to compare settings on the same files.
const replayChannel = "replay"

var sharedFixture struct {
	once sync.Once
	dir  string
	n    int
	err  error
}

func replayFixture(b *testing.B) (dir string, n int) {
	b.Helper()
	n = 1_000_000
	if s := os.Getenv("REWIND_BENCH_ENTRIES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	if dir = os.Getenv("REWIND_BENCH_DIR"); dir == "" {
		dir = b.TempDir()
		if err := loadReplayFixture(dir, n); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		return dir, n
	}
	f := &sharedFixture
	f.once.Do(func() {
		f.dir, f.n = dir, n
		if _, err := os.Stat(dir + "/.loaded"); err == nil {
			return
		}
		if f.err = loadReplayFixture(dir, n); f.err == nil {
			f.err = os.WriteFile(dir+"/.loaded", nil, 0o644)
		}
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	b.ResetTimer()
	return f.dir, f.n
}

// loadReplayFixture appends n entries in requests of 1000 appends, as a
// pipelining publisher would.
func loadReplayFixture(dir string, n int) error {
	l, err := Open(Options{Dir: dir})
	if err != nil {
		return err
	}
	payload := bytes.Repeat([]byte("x"), 100)
	ch := []byte(replayChannel)
	r := NewRequest()
	for done := 0; done < n; {
		r.Reset()
		k := min(1000, n-done)
		for i := 0; i < k; i++ {
			p := r.Add()
			p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, ch, IDSpec{Auto: true}, [][]byte{MessageField, payload}
		}
		if err := l.Submit(r); err != nil {
			_ = l.Close()
			return err
		}
		r.Wait()
		for i := range r.Commands {
			if err := r.op(i).Err; err != nil {
				_ = l.Close()
				return err
			}
		}
		done += k
	}
	return l.Close()
}

// BenchmarkRange scans the whole channel of an open log (warm: the log
// stays open across iterations with a server's cache size). It reports ns
// per entry visited.
func BenchmarkRange(b *testing.B) {
	dir, n := replayFixture(b)
	l, err := Open(Options{Dir: dir, ReadOnly: true, CacheBytes: serverCacheBytes()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		var sum int
		got, err := l.Range([]byte(replayChannel), RangeQuery{End: MaxID}, func(e *Entry) error {
			sum += len(e.Fields[1])
			return nil
		})
		if err != nil || got != n || sum != 100*n {
			b.Fatalf("Range: %d entries, %d bytes, %v", got, sum, err)
		}
	}
	reportPerEntry(b, start, cpu0, b.N*n)
}

// BenchmarkRangePages scans the channel in pages of 1000 entries, each a
// separate Range call, as XRANGE pages do.
func BenchmarkRangePages(b *testing.B) {
	dir, n := replayFixture(b)
	l, err := Open(Options{Dir: dir, ReadOnly: true, CacheBytes: serverCacheBytes()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		total := 0
		q := RangeQuery{End: MaxID, Count: 1000}
		for {
			var last ID
			got, err := l.Range([]byte(replayChannel), q, func(e *Entry) error {
				last = e.ID
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			total += got
			if got < q.Count {
				break
			}
			q.Start, _ = last.Next()
		}
		if total != n {
			b.Fatalf("read %d entries, want %d", total, n)
		}
	}
	reportPerEntry(b, start, cpu0, b.N*n)
}

// BenchmarkOpenRange opens the stopped node's directory read-only and scans
// the channel once per iteration: `rewind replay --dir`, without output.
func BenchmarkOpenRange(b *testing.B) {
	dir, n := replayFixture(b)
	b.ReportAllocs()
	b.ResetTimer()
	var open time.Duration
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		l, err := Open(Options{Dir: dir, ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		open += time.Since(t0)
		got, err := l.Range([]byte(replayChannel), RangeQuery{End: MaxID}, func(*Entry) error { return nil })
		if err != nil || got != n {
			b.Fatalf("Range: %d entries, %v", got, err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEntry(b, start, cpu0, b.N*n)
	b.ReportMetric(float64(open.Milliseconds())/float64(b.N), "open-ms")
}

// serverCacheBytes is the block cache a server (read-write) log gets by
// default; a read-only log defaults to a small one.
func serverCacheBytes() int64 {
	o := Options{}
	o.EnsureDefaults()
	return o.CacheBytes
}

// cpuTime is the process's user+system CPU time: on a shared, noisy machine
// it says more about the cost of a scan than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPerEntry reports wall and CPU ns per entry since start/cpu0.
func reportPerEntry(b *testing.B, start time.Time, cpu0 time.Duration, entries int) {
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(entries), "ns/entry")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(entries), "cpu-ns/entry")
}
