package wal

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// BenchmarkConsumeWhileProducing: 8 publishers append (10 per request) to
// one channel while 4 consumers of one group read COUNT 50 and ack what
// they got; b.N entries consumed. Reports consumed msgs/s.
func BenchmarkConsumeWhileProducing(b *testing.B) {
	l, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ch, grp := []byte("s"), []byte("g")
	do := func(r *Request) {
		if err := l.Submit(r); err != nil {
			b.Fatal(err)
		}
		r.Wait()
	}
	r := NewRequest()
	p := r.Add()
	p.Kind, p.Channel, p.Group, p.MkStream, p.EntriesRead = OpGroupCreate, ch, grp, true, EntriesReadUnknown
	do(r)
	payload := bytes.Repeat([]byte("x"), 100)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := NewRequest()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r.Reset()
				for range 10 {
					p := r.Add()
					p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, ch, IDSpec{Auto: true}, [][]byte{MessageField, payload}
				}
				do(r)
			}
		}()
	}
	var mu sync.Mutex
	consumed := 0
	b.ResetTimer()
	start := time.Now()
	var cwg sync.WaitGroup
	for c := range 4 {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			r := NewRequest()
			for {
				mu.Lock()
				done := consumed >= b.N
				mu.Unlock()
				if done {
					return
				}
				r.Reset()
				p := r.Add()
				p.Kind, p.Channel, p.Group, p.Consumer, p.Count = OpGroupRead, ch, grp, []byte{byte('a' + c)}, 50
				do(r)
				n := int(r.op(0).N)
				if n == 0 {
					time.Sleep(100 * time.Microsecond)
					continue
				}
				ids := []ID{}
				for id := r.op(0).ID; ; {
					ids = append(ids, id)
					if id == r.op(0).LastID || len(ids) > n {
						break
					}
					id, _ = id.Next()
				}
				r.Reset()
				a := r.Add()
				a.Kind, a.Channel, a.Group, a.IDs = OpAck, ch, grp, ids
				do(r)
				mu.Lock()
				consumed += n
				mu.Unlock()
			}
		}()
	}
	cwg.Wait()
	el := time.Since(start)
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(consumed)/el.Seconds(), "consumed/s")
}
