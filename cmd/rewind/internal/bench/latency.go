package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

const (
	testPubSub    = "PUBLISH->SUBSCRIBE"
	testXaddXread = "XADD->XREAD"

	stampDigits = 19                    // a zero-padded UnixNano at the start of each payload
	spinWindow  = 80 * time.Microsecond // wake this early from nanosleep, then spin
	drainWait   = 5 * time.Second       // how long to wait for the last messages
	latencyKey  = "latency"             // channel of the latency workload
	pollEvery   = 5 * time.Millisecond  // while waiting for the last messages
	maxSamples  = 50_000_000            // cap on preallocated latency samples
	subReadBuf  = 256 << 10             // subscribers read with big buffers
	pubReadBuf  = 64 << 10              // publishers' reply buffer
)

// stampClock gives UnixNano timestamps that advance with the monotonic clock,
// so wall-clock steps cannot distort a latency.
type stampClock struct {
	base     time.Time
	baseUnix int64
}

func newStampClock() stampClock {
	now := time.Now()
	return stampClock{base: now, baseUnix: now.UnixNano()}
}

func (c stampClock) now() int64 { return c.baseUnix + int64(time.Since(c.base)) }

// writeStamp writes v as stampDigits decimal digits into dst.
func writeStamp(dst []byte, v int64) {
	for i := stampDigits - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// readStamp parses the timestamp at the start of a payload.
func readStamp(b []byte) (int64, bool) {
	if len(b) < stampDigits {
		return 0, false
	}
	var v int64
	for _, c := range b[:stampDigits] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// runLatency measures publish->deliver latency at a paced rate.
func (h *harness) runLatency(ctx context.Context) {
	for _, test := range []string{testPubSub, testXaddXread} {
		for _, sys := range h.systemsFor(test == testXaddXread) {
			if ctx.Err() != nil {
				return
			}
			r := Result{Workload: "latency", Test: test, System: sys.Name}
			h.record(h.measureLatency(ctx, sys, r))
		}
	}
}

func (h *harness) measureLatency(ctx context.Context, sys system, r Result) Result {
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer h.stopServer(srv)
	run, err := h.newLatencyRun(ctx, srv.addr, r.Test)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	return run.execute(r)
}

// latencyRun is one paced publisher and one receiver.
type latencyRun struct {
	h        *harness
	parent   context.Context // the run's context: done on Ctrl-C
	ctx      context.Context
	cancel   context.CancelCauseFunc
	pub, sub *client
	clk      stampClock
	test     string
	closing  atomic.Bool
	received atomic.Int64
	lat      *samples // written by the receiver goroutine only
}

func (h *harness) newLatencyRun(parent context.Context, addr, test string) (*latencyRun, error) {
	ctx, cancel := context.WithCancelCause(parent)
	lr := &latencyRun{h: h, parent: parent, ctx: ctx, cancel: cancel, clk: newStampClock(), test: test}
	expected := int(min(int64(h.opts.Rate)*int64(h.opts.Duration/time.Millisecond)/1000+16, maxSamples))
	lr.lat = newSamples(expected)
	var err error
	if lr.pub, err = dial(ctx, addr, pubReadBuf, h.opts.RESP3); err == nil {
		lr.sub, err = dial(ctx, addr, subReadBuf, h.opts.RESP3)
	}
	if err == nil && test == testPubSub {
		err = subscribe(lr.sub, latencyKey)
	}
	if err != nil {
		lr.close()
		return nil, err
	}
	return lr, nil
}

func (lr *latencyRun) close() {
	lr.closing.Store(true)
	for _, c := range []*client{lr.pub, lr.sub} {
		if c != nil {
			c.Close()
		}
	}
	lr.cancel(nil)
}

// execute runs the receiver, the reply drain and the paced publisher.
func (lr *latencyRun) execute(r Result) Result {
	var wg sync.WaitGroup
	wg.Go(func() { lr.fail(lr.receive()) })
	wg.Go(func() { lr.fail(drainReplies(lr.pub)) })
	command := "PUBLISH"
	if lr.test == testXaddXread {
		command = "XADD"
	}
	sent, lag, start := lr.pace(command)
	elapsed := time.Duration(lr.clk.now() - start)
	lr.waitReceived(sent)
	lr.close()
	wg.Wait()
	if err := context.Cause(lr.ctx); lr.parent.Err() != nil || !errors.Is(err, context.Canceled) {
		r.Error = errorString(cmp.Or(lr.parent.Err(), err))
		return r
	}
	got := lr.received.Load()
	lat, lagSummary := summarize(mergeSorted(lr.lat)), summarize(mergeSorted(lag))
	r.Count, r.ElapsedSec, r.MsgsPerSec, r.Latency = got, elapsed.Seconds(), perSecond(got, elapsed), &lat
	r.Extra = map[string]any{"sent": sent, "received": got, "rate_target": lr.h.opts.Rate,
		"send_lag_p50_ms": lagSummary.P50Ms, "send_lag_p99_ms": lagSummary.P99Ms, "send_lag_max_ms": lagSummary.MaxMs}
	if got != sent {
		r.Error = fmt.Sprintf("received %d of %d messages within %v", got, sent, drainWait)
	}
	return r
}

// fail cancels the run with err unless the run is already being closed.
func (lr *latencyRun) fail(err error) {
	if err != nil && !lr.closing.Load() {
		lr.cancel(err)
	}
}

// pace sends message i at start + i*interval and stamps it with that
// scheduled time, not the time it was actually sent: when the server stalls
// the sender, every message due during the stall still counts the whole wait
// (no coordinated omission). It returns the number sent, the lateness of each
// send against its schedule, and the schedule's start.
func (lr *latencyRun) pace(command string) (int64, *samples, int64) {
	unlock := lockPacerThread()
	defer unlock()
	o := lr.h.opts
	payload := makePayload(max(o.PayloadBytes, stampDigits))
	cmd := encodeWrite(command, latencyKey, payload)
	stamp := cmd[len(cmd)-2-len(payload):]
	interval := int64(time.Second) / int64(o.Rate)
	n := int64(o.Duration) / interval
	lag := newSamples(int(min(n, maxSamples)))
	start := lr.clk.now() + int64(time.Millisecond)
	var i int64
	for ; i < n && lr.ctx.Err() == nil; i++ {
		at := start + i*interval
		waitUntil(lr.clk, at)
		writeStamp(stamp, at)
		lag.add(time.Duration(lr.clk.now() - at))
		if err := lr.pub.Send(cmd); err != nil {
			lr.fail(err)
			break
		}
	}
	return i, lag, start
}

// waitUntil sleeps until just before at, then spins to hit it closely.
func waitUntil(clk stampClock, at int64) {
	if d := time.Duration(at-clk.now()) - spinWindow; d > 0 {
		preciseSleep(d)
	}
	for clk.now() < at {
	}
}

// waitReceived waits until sent messages arrived, drainWait passed or the run failed.
func (lr *latencyRun) waitReceived(sent int64) {
	deadline := time.Now().Add(drainWait)
	for lr.received.Load() < sent && time.Now().Before(deadline) && lr.ctx.Err() == nil {
		time.Sleep(pollEvery)
	}
}

func (lr *latencyRun) receive() error {
	if lr.test == testXaddXread {
		return lr.receiveXread()
	}
	return lr.receivePubSub()
}

// receivePubSub reads message pushes and records now - stamp for each.
func (lr *latencyRun) receivePubSub() error {
	for {
		reply, err := lr.sub.Read()
		if err != nil {
			return err
		}
		now := lr.clk.now()
		payload, err := pushPayload(reply)
		if err != nil {
			return err
		}
		if err := lr.recordStamp(payload, now); err != nil {
			return err
		}
	}
}

func (lr *latencyRun) recordStamp(payload []byte, now int64) error {
	stamp, ok := readStamp(payload)
	if !ok {
		return fmt.Errorf("%w: payload without a timestamp: %.40q", errProtocol, payload)
	}
	lr.lat.add(time.Duration(now - stamp))
	lr.received.Add(1)
	return nil
}

// pushPayload returns the payload of a parsed "message" push.
func pushPayload(reply *respclient.Reply) ([]byte, error) {
	kind, n := reply.Kind(0), reply.Int(0)
	if (kind != '*' && kind != '>') || n != 3 || string(reply.Bytes(reply.Child(0, 0))) != "message" {
		return nil, fmt.Errorf("%w: expected a message push, got type %q with %d elements", errProtocol, kind, n)
	}
	return reply.Bytes(reply.Child(0, 2)), nil
}

// receiveXread loops XREAD BLOCK 0 STREAMS key <last id> and records each entry.
func (lr *latencyRun) receiveXread() error {
	c := lr.sub
	lastID := append(make([]byte, 0, 48), '0')
	for {
		c.buf = respclient.AppendArrayHeader(c.buf[:0], 6)
		for _, arg := range [...]string{"XREAD", "BLOCK", "0", "STREAMS", latencyKey} {
			c.buf = respclient.AppendBulkString(c.buf, arg)
		}
		c.buf = respclient.AppendBulk(c.buf, lastID)
		if err := c.Send(c.buf); err != nil {
			return err
		}
		reply, err := c.Read()
		if err != nil {
			return err
		}
		now := lr.clk.now()
		id, err := lr.recordEntries(reply, now)
		if err != nil {
			return err
		}
		if id != nil {
			lastID = append(lastID[:0], id...)
		}
	}
}

// recordEntries records every entry of a one-stream XREAD reply (RESP2 array
// of [key, entries] or RESP3 map key -> entries) and returns the last ID.
func (lr *latencyRun) recordEntries(reply *respclient.Reply, now int64) ([]byte, error) {
	if err := reply.Err(0); err != nil {
		return nil, err
	}
	if reply.IsNull(0) {
		return nil, nil
	}
	entries := reply.Child(reply.Child(0, 0), 1) // RESP2: [[key, entries]]
	if reply.Kind(0) == '%' {
		entries = reply.Child(0, 1) // RESP3: {key: entries}
	}
	if entries < 0 {
		return nil, fmt.Errorf("%w: unexpected XREAD reply shape", errProtocol)
	}
	var lastID []byte
	for entry := entries + 1; entry < reply.End(entries); entry = reply.End(entry) {
		id, payload := reply.Child(entry, 0), fieldValue(reply, reply.Child(entry, 1), "message")
		if id < 0 || payload == nil {
			return nil, fmt.Errorf("%w: stream entry without an ID or a message field", errProtocol)
		}
		if err := lr.recordStamp(payload, now); err != nil {
			return nil, err
		}
		lastID = reply.Bytes(id)
	}
	return lastID, nil
}

// fieldValue returns the value of field name in a flat field/value array, or nil.
func fieldValue(reply *respclient.Reply, fields int, name string) []byte {
	if fields < 0 {
		return nil
	}
	for f := fields + 1; f < reply.End(fields); f = reply.End(f) {
		value := reply.End(f)
		if value >= reply.End(fields) {
			return nil
		}
		if string(reply.Bytes(f)) == name {
			return reply.Bytes(value)
		}
		f = value
	}
	return nil
}

// drainReplies consumes a publisher's replies until its connection closes.
func drainReplies(c *client) error {
	for {
		if err := c.Discard(); err != nil {
			return err
		}
	}
}

// subscribe sends SUBSCRIBE channel and waits for the confirmation.
func subscribe(c *client, channel string) error {
	if err := c.send("SUBSCRIBE", channel); err != nil {
		return err
	}
	return readSubscribed(c)
}

// readSubscribed reads one reply and checks it is a subscribe confirmation.
func readSubscribed(c *client) error {
	reply, err := c.Read()
	if err != nil {
		return err
	}
	if err := reply.Err(0); err != nil {
		return err
	}
	kind := reply.Child(0, 0)
	if kind < 0 || string(reply.Bytes(kind)) != "subscribe" {
		return fmt.Errorf("%w: SUBSCRIBE answered type %q", errProtocol, reply.Kind(0))
	}
	return nil
}
