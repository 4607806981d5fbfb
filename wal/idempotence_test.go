package wal

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestReapplyAfterCrashIsIdempotent: a replica applies a leader's requests
// (random writes of every kind, at the leader's indices and stamps), all in
// flight at once, and crashes at a random moment keeping none, half or all
// of what was not synced. Reopened, it applies every request again from an
// index before its stored applied index, as a replica replaying its log
// does: those at or below the applied index change nothing (ErrApplied),
// the rest give the leader's results, and the stored records end as those
// of a log that applied each request once.
func TestReapplyAfterCrashIsIdempotent(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		history, ops, results := leaderHistory(t, seed, 600)
		once := newDetLog(t, func() int64 { return 1 })
		once.replicate(t, history, ops, nil, -1)
		want := once.records(t)
		for _, pct := range crashPercents {
			t.Run(fmt.Sprintf("seed%d/unsynced%d", seed, pct), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(pct)))
				crashed := replicateAndCrash(t, history, ops, rng, pct)
				l := openMem(t, crashed, func(o *Options) {
					o.NowMs = func() int64 { return 1 }
					o.HighWaterInterval = 1 << 62
				})
				d := &detLog{l: l}
				t.Cleanup(func() { _ = l.Close() })
				applied := l.Applied()
				t.Logf("applied %d of %d before the crash", applied, len(history))
				from := rng.IntN(int(applied) + 1) // 0 ..= applied: indices from 1 are history[0:]
				got := d.replayFrom(t, history[from:], ops[from:])
				for i, text := range got {
					r := history[from+i]
					if r.Index <= applied {
						if text != "err=already applied" {
							t.Fatalf("index %d at or below the applied %d: %s", r.Index, applied, text)
						}
					} else if text != results[from+i] {
						t.Fatalf("index %d after the crash: %s, the leader's: %s", r.Index, text, results[from+i])
					}
				}
				if recs := d.records(t); !reflect.DeepEqual(recs, want) {
					t.Fatalf("applied %d before the crash, again from %d: stored records differ from applying once: %s",
						applied, from+1, firstDiff(recs, want))
				}
			})
		}
	}
}

// leaderHistory applies n random writes to a fresh log, one at a time, and
// returns the requests (with their indices and stamps), the writes and
// their results.
func leaderHistory(t *testing.T, seed uint64, n int) ([]*Request, []detWrite, []string) {
	a := newDetLog(t, nil)
	rng := rand.New(rand.NewPCG(seed, 99))
	var history []*Request
	var ops []detWrite
	var results []string
	for step := range n {
		w := randomWrite(rng, step)
		r := a.apply(t, w)
		history, ops = append(history, r), append(ops, w)
		results = append(results, resultText(r.op(0)))
	}
	return history, ops, results
}

// replicateAndCrash submits history to a log on a crashable filesystem,
// all at once, and returns a crash clone taken while they are in flight.
func replicateAndCrash(t *testing.T, history []*Request, ws []detWrite, rng *rand.Rand, pct int) *vfs.MemFS {
	fs := vfs.NewCrashableMem()
	l := openMem(t, fs, func(o *Options) {
		o.NowMs = func() int64 { return 1 }
		o.HighWaterInterval = 1 << 62
	})
	defer l.Close()
	reqs := make([]*Request, len(history))
	at := uint64(rng.IntN(len(history) - 20))
	sizes := make([]int, 0, len(history))
	for n := 0; n < len(history); {
		k := min(1+rng.IntN(12), len(history)-n)
		sizes, n = append(sizes, k), n+k
	}
	go func() {
		// Chunks of requests, each submitted while the one before is in
		// flight: many batches, and a crash may catch some unsynced.
		var prev []*Request
		i := 0
		for _, k := range sizes {
			chunk := reqs[i : i+k]
			for j := range chunk {
				chunk[j] = NewRequest()
				ws[i+j].fill(chunk[j].Add())
				chunk[j].Index, chunk[j].StampMs = history[i+j].Index, history[i+j].TimeMs
				if err := l.Submit(chunk[j]); err != nil {
					panic(err)
				}
			}
			for _, r := range prev {
				r.Wait()
			}
			prev, i = chunk, i+k
		}
	}()
	for l.Applied() < at {
		runtime.Gosched()
	}
	clone := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rng})
	for l.Applied() < uint64(len(history)) {
		runtime.Gosched()
	}
	return clone
}

// replayFrom applies requests again at their indices and stamps, one at a
// time, and returns each result as text ("err=..." for a request that
// failed whole).
func (d *detLog) replayFrom(t *testing.T, requests []*Request, ws []detWrite) []string {
	t.Helper()
	out := make([]string, len(requests))
	for i, led := range requests {
		r := NewRequest()
		ws[i].fill(r.Add())
		r.Index, r.StampMs = led.Index, led.TimeMs
		if err := d.l.Submit(r); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		if err := r.op(0).Err; err == ErrApplied {
			out[i] = "err=" + err.Error()[len("rewind: "):]
			continue
		}
		out[i] = resultText(r.op(0))
	}
	return out
}
