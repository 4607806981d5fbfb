package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// Phases of a closed-loop run: warm-up (not recorded), measuring, stopped.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

type loadShape struct{ clients, depth int }

var publishShapes = []loadShape{{1, 1}, {1, 100}, {32, 1}, {32, 100}}

// runPublish measures XADD and PUBLISH throughput and per-command latency.
func (h *harness) runPublish(ctx context.Context) {
	for _, command := range []string{"XADD", "PUBLISH"} {
		for _, shape := range publishShapes {
			test := fmt.Sprintf("%s %d client%s x%d", command, shape.clients, plural(shape.clients), shape.depth)
			for _, sys := range h.systemsFor(command == "XADD") {
				if ctx.Err() != nil {
					return
				}
				r := Result{Workload: "publish", Test: test, System: sys.Name, Clients: shape.clients, Depth: shape.depth}
				h.record(h.measurePublish(ctx, sys, command, shape, r))
			}
		}
	}
}

func (h *harness) measurePublish(ctx context.Context, sys system, command string, shape loadShape, r Result) Result {
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer h.stopServer(srv)
	cmd := encodeWrite(command, "ch", makePayload(h.opts.PayloadBytes))
	m, err := h.closedLoop(ctx, srv.addr, cmd, shape)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Count, r.ElapsedSec = m.count, m.elapsed.Seconds()
	r.MsgsPerSec = perSecond(m.count, m.elapsed)
	lat := summarize(m.sortedNs)
	r.Latency = &lat
	return r
}

// encodeWrite encodes one XADD ch * message <payload> or PUBLISH ch <payload>.
func encodeWrite(command, channel string, payload []byte) []byte {
	if command == "XADD" {
		buf := respclient.AppendArrayHeader(nil, 5)
		buf = respclient.AppendBulkString(buf, "XADD")
		buf = respclient.AppendBulkString(buf, channel)
		buf = respclient.AppendBulkString(buf, "*")
		buf = respclient.AppendBulkString(buf, "message")
		return respclient.AppendBulk(buf, payload)
	}
	buf := respclient.AppendArrayHeader(nil, 3)
	buf = respclient.AppendBulkString(buf, "PUBLISH")
	buf = respclient.AppendBulkString(buf, channel)
	return respclient.AppendBulk(buf, payload)
}

func makePayload(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }

// loopMeasurement is the outcome of a closed-loop run.
type loopMeasurement struct {
	count    int64
	elapsed  time.Duration
	sortedNs []int64 // per-command latencies (a batch's round trip, once per batch)
}

// closedLoop runs shape.clients connections, each writing shape.depth copies of
// cmd and then reading as many replies, for warm-up plus duration. Every
// command in a batch has the batch's round-trip latency, so one sample per
// batch gives the per-command distribution (all batches have the same size).
func (h *harness) closedLoop(ctx context.Context, addr string, cmd []byte, shape loadShape) (loopMeasurement, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	conns, err := dialMany(ctx, addr, shape.clients, 64<<10, h.opts.RESP3)
	if err != nil {
		return loopMeasurement{}, err
	}
	defer closeAll(conns)
	batch := bytes.Repeat(cmd, shape.depth)
	var phase atomic.Int32
	var wg sync.WaitGroup
	workers := make([]loopWorker, len(conns))
	for i, c := range conns {
		workers[i] = loopWorker{c: c, lat: newSamples(1 << 14)}
		wg.Go(func() {
			if err := workers[i].run(batch, shape.depth, &phase); err != nil && phase.Load() != phaseStop {
				cancel(err)
			}
		})
	}
	elapsed, err := h.measureWindow(ctx, &phase)
	wg.Wait()
	if err != nil {
		return loopMeasurement{}, err
	}
	m := loopMeasurement{elapsed: elapsed}
	parts := make([]*samples, len(workers))
	for i := range workers {
		m.count += workers[i].count
		parts[i] = workers[i].lat
	}
	m.sortedNs = mergeSorted(parts...)
	return m, nil
}

// measureWindow waits out the warm-up, then the measured duration, and
// returns the measured time; it returns the cause if ctx ends first.
func (h *harness) measureWindow(ctx context.Context, phase *atomic.Int32) (time.Duration, error) {
	defer phase.Store(phaseStop)
	if err := sleepCtx(ctx, h.opts.Warmup); err != nil {
		return 0, err
	}
	start := time.Now()
	phase.Store(phaseMeasure)
	if err := sleepCtx(ctx, h.opts.Duration); err != nil {
		return 0, err
	}
	phase.Store(phaseStop)
	return time.Since(start), nil
}

// loopWorker is one closed-loop client.
type loopWorker struct {
	c     *client
	lat   *samples
	count int64
}

func (w *loopWorker) run(batch []byte, depth int, phase *atomic.Int32) error {
	for {
		start := time.Now()
		if err := w.c.Send(batch); err != nil {
			return err
		}
		for i := 0; i < depth; i++ {
			if err := w.c.Discard(); err != nil {
				return err
			}
		}
		switch phase.Load() {
		case phaseMeasure:
			w.lat.add(time.Since(start))
			w.count += int64(depth)
		case phaseStop:
			return nil
		}
	}
}

// dialMany opens n connections; on error it closes those already open.
func dialMany(ctx context.Context, addr string, n, readBuf int, resp3 bool) ([]*client, error) {
	conns := make([]*client, 0, n)
	for i := 0; i < n; i++ {
		c, err := dial(ctx, addr, readBuf, resp3)
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connection %d of %d: %w", i+1, n, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*client) {
	for _, c := range conns {
		c.Close()
	}
}

// sleepCtx sleeps for d or until ctx ends, returning ctx's cause then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// errorString is err's text, or "" for nil.
func errorString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
