package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

const (
	fanoutKey   = "fanout"
	fanoutDepth = 100 // PUBLISH commands in flight
)

// paddedCounter keeps each subscriber's counter on its own cache line.
type paddedCounter struct {
	atomic.Int64
	_ [56]byte
}

// runFanout measures deliveries/s from 1 publisher to --subscribers subscribers.
func (h *harness) runFanout(ctx context.Context) {
	test := fmt.Sprintf("1 publisher x%d -> %d subscribers", fanoutDepth, h.opts.Subscribers)
	for _, sys := range h.systemsFor(false) {
		if ctx.Err() != nil {
			return
		}
		r := Result{Workload: "fanout", Test: test, System: sys.Name, Clients: h.opts.Subscribers, Depth: fanoutDepth}
		h.record(h.measureFanout(ctx, sys, r))
	}
}

func (h *harness) measureFanout(ctx context.Context, sys system, r Result) Result {
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer h.stopServer(srv)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	subs, err := h.subscribeMany(ctx, srv.addr, h.opts.Subscribers)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer closeAll(subs)
	pub, err := dial(ctx, srv.addr, pubReadBuf, h.opts.RESP3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer pub.Close()
	return h.fanoutWindow(ctx, cancel, pub, subs, r)
}

// subscribeMany opens n connections subscribed to fanoutKey.
func (h *harness) subscribeMany(ctx context.Context, addr string, n int) ([]*client, error) {
	subs, err := dialMany(ctx, addr, n, subReadBuf, h.opts.RESP3)
	if err != nil {
		return nil, err
	}
	for _, c := range subs {
		if err = c.send("SUBSCRIBE", fanoutKey); err != nil {
			break
		}
	}
	for i := 0; err == nil && i < len(subs); i++ {
		err = readSubscribed(subs[i])
	}
	if err != nil {
		closeAll(subs)
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return subs, nil
}

// fanoutWindow runs the readers and the publisher, and counts deliveries
// between the end of the warm-up and the end of the duration.
func (h *harness) fanoutWindow(ctx context.Context, cancel context.CancelCauseFunc, pub *client, subs []*client, r Result) Result {
	counters := make([]paddedCounter, len(subs))
	var closing atomic.Bool
	var wg sync.WaitGroup
	for i, c := range subs {
		wg.Go(func() {
			if err := countMessages(c, &counters[i]); err != nil && !closing.Load() {
				cancel(fmt.Errorf("subscriber %d: %w", i+1, err))
			}
		})
	}
	var phase atomic.Int32
	pw := loopWorker{c: pub, lat: newSamples(1 << 12)}
	batch := bytes.Repeat(encodeWrite("PUBLISH", fanoutKey, makePayload(h.opts.PayloadBytes)), fanoutDepth)
	wg.Go(func() {
		if err := pw.run(batch, fanoutDepth, &phase); err != nil && phase.Load() != phaseStop {
			cancel(fmt.Errorf("publisher: %w", err))
		}
	})
	delivered, elapsed, err := h.countWindow(ctx, &phase, counters)
	closing.Store(true)
	closeAll(subs) // unblocks the readers; the publisher ends after its batch
	wg.Wait()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Count, r.ElapsedSec, r.MsgsPerSec = delivered, elapsed.Seconds(), perSecond(delivered, elapsed)
	r.Extra = map[string]any{"publishes_per_s": perSecond(pw.count, elapsed)}
	return r
}

// countWindow is measureWindow that also sums the counters at both ends.
func (h *harness) countWindow(ctx context.Context, phase *atomic.Int32, counters []paddedCounter) (int64, time.Duration, error) {
	defer phase.Store(phaseStop)
	if err := sleepCtx(ctx, h.opts.Warmup); err != nil {
		return 0, 0, err
	}
	before, start := sumCounters(counters), time.Now()
	phase.Store(phaseMeasure)
	if err := sleepCtx(ctx, h.opts.Duration); err != nil {
		return 0, 0, err
	}
	after, elapsed := sumCounters(counters), time.Since(start)
	return after - before, elapsed, nil
}

func sumCounters(cs []paddedCounter) int64 {
	var n int64
	for i := range cs {
		n += cs[i].Load()
	}
	return n
}

// countMessages counts pushes (all "message" after the confirmation) until the connection closes.
func countMessages(c *client, n *paddedCounter) error {
	for {
		if err := c.Discard(); err != nil {
			return err
		}
		n.Add(1)
	}
}
