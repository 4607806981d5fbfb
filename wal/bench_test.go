package wal

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures acknowledged single-message appends (PUBLISH) from
// 32 concurrent publishers on a real directory with real fsyncs: each op is
// one Submit+Wait of a 100-byte payload, on one of 8 channels. Besides ns/op
// it reports throughput (msgs/s) and publish latency percentiles (ms).
func BenchmarkAppend(b *testing.B) {
	const publishers = 32
	l, err := Open(Options{Dir: b.TempDir()}) // vfs.Default: fsync is real
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			b.Error(err)
		}
	}()
	payload := bytes.Repeat([]byte("x"), 100)
	var channels [8][]byte
	for i := range channels {
		channels[i] = []byte(fmt.Sprint("bench", i))
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((publishers + procs - 1) / procs)
	var (
		mu   sync.Mutex
		lats []time.Duration
		next atomic.Int64
	)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ch := channels[next.Add(1)%int64(len(channels))]
		r := NewRequest()
		local := make([]time.Duration, 0, 4096)
		for pb.Next() {
			r.Reset()
			p := r.Add()
			p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, ch, IDSpec{Auto: true}, [][]byte{MessageField, payload}
			t0 := time.Now()
			if err := l.Submit(r); err != nil {
				b.Error(err)
				return
			}
			r.Wait()
			local = append(local, time.Since(t0))
			if err := r.op(0).Err; err != nil {
				b.Error(err)
				return
			}
		}
		mu.Lock()
		lats = append(lats, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lats) == 0 {
		return
	}
	slices.Sort(lats)
	pct := func(q float64) float64 {
		return float64(lats[int(q*float64(len(lats)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
