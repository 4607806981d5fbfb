package bench

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// The groups workload: consumer groups under load.
//
//   - consume: --entries stored entries read by groupsConsumers consumers of
//     one group with XREADGROUP ... COUNT 100 STREAMS ch >, each batch
//     acknowledged with one XACK of its IDs, sent in the same write as the
//     next XREADGROUP (one round trip per batch): entries/s, start to all
//     acked; done by consumeRepeats new groups in turn, the median reported.
//   - fan-out: groupsFanout groups (smoke: 50) on one channel holding
//     fanoutEntries entries (smoke: 200), one connection per group consuming
//     and acking the whole channel the same way: deliveries/s over all groups.
//   - PEL memory: the --entries entries (smoke: at least 50,000) read by one
//     consumer of a new group without acking (COUNT 1000); the server's RSS
//     growth divided by the number of pending entries (the row also shows
//     the rate of that read, entries/s). The baseline is taken
//     after the same read in a NOACK group, so that caches and buffers the
//     reads themselves warm up are not charged to the pending entries list.
const (
	groupsKey          = "groups"
	groupsFanoutKey    = "groups-fanout"
	groupsCount        = "100"
	groupsConsumers    = 8
	consumeRepeats     = 3
	groupsFanout       = 1000
	groupsFanoutSmoke  = 50
	fanoutEntries      = 1000
	fanoutEntriesSmoke = 200
	pelEntriesSmoke    = 50_000
	pelCount           = "1000"
	groupsReadBuf      = 64 << 10
	fanoutReadBuf      = 16 << 10
	testGroupsPEL      = "RSS per pending entry (PEL, no XACK)"
)

var testGroupsConsume = fmt.Sprintf("XREADGROUP COUNT %s + XACK, %d consumers", groupsCount, groupsConsumers)

// runGroups runs the three group tests on each persistent system.
func (h *harness) runGroups(ctx context.Context) {
	for _, sys := range h.systemsFor(true) {
		if ctx.Err() != nil {
			return
		}
		h.groupsStored(ctx, sys)
		if ctx.Err() != nil {
			return
		}
		h.record(h.groupsFanout(ctx, sys))
	}
}

func (h *harness) fanoutSize() (groups, entries int) {
	if h.opts.Smoke {
		return groupsFanoutSmoke, fanoutEntriesSmoke
	}
	return groupsFanout, fanoutEntries
}

func (h *harness) pelEntries() int {
	if h.opts.Smoke {
		return max(h.opts.Entries, pelEntriesSmoke)
	}
	return h.opts.Entries
}

// groupsStored loads --entries entries, times consuming them with acks,
// then measures the memory of a pending entries list, on one server.
func (h *harness) groupsStored(ctx context.Context, sys system) {
	consume := Result{Workload: "groups", Test: testGroupsConsume, System: sys.Name, Clients: groupsConsumers, Depth: 2}
	pel := Result{Workload: "groups", Test: testGroupsPEL, System: sys.Name, Clients: 1}
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		consume.Error, pel.Error = err.Error(), err.Error()
		h.record(consume)
		h.record(pel)
		return
	}
	defer h.stopServer(srv)
	h.record(h.groupsConsume(ctx, srv, consume))
	if ctx.Err() == nil {
		h.record(h.groupsPEL(ctx, srv, pel))
	}
}

// groupsConsume loads the entries and times groupsConsumers consumers
// reading and acking all of them.
func (h *harness) groupsConsume(ctx context.Context, srv *server, r Result) Result {
	n := h.opts.Entries
	c, err := dial(ctx, srv.addr, groupsReadBuf, h.opts.RESP3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer c.Close()
	h.progress("groups: loading %d entries into %s", n, srv.sys.Name)
	if err := loadEntries(c, groupsKey, n, makePayload(h.opts.PayloadBytes)); err != nil {
		r.Error = fmt.Sprintf("load: %v", err)
		return r
	}
	conns, err := dialMany(ctx, srv.addr, groupsConsumers, groupsReadBuf, h.opts.RESP3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer closeAll(conns)
	// The same entries are consumed by consumeRepeats new groups, one after
	// the other; the row is the median (this machine's disk is shared, and
	// a neighbour's burst would otherwise decide a ratio).
	var rates []float64
	var times []time.Duration
	for rep := range consumeRepeats {
		group := "consume" + strconv.Itoa(rep)
		if _, err := c.Do("XGROUP", "CREATE", groupsKey, group, "0"); err != nil {
			r.Error = fmt.Sprintf("XGROUP CREATE: %v", err)
			return r
		}
		readers := make([]*groupReader, len(conns))
		for i, cc := range conns {
			readers[i] = newGroupReader(cc, groupsKey, group, "c"+strconv.Itoa(i), groupsCount, readAck)
		}
		h.progress("groups: consuming %d entries on %s with %d consumers (%d of %d)", n, srv.sys.Name, len(readers), rep+1, consumeRepeats)
		elapsed, err := consumeAll(ctx, readers)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		delivered, acked := sumReaders(readers)
		if delivered != int64(n) || acked != int64(n) {
			r.Error = fmt.Sprintf("delivered %d and acked %d of %d entries", delivered, acked, n)
			return r
		}
		if pending, err := pendingCount(c, groupsKey, group); err != nil || pending != 0 {
			r.Error = fmt.Sprintf("after consuming: XPENDING count %d, %v", pending, err)
			return r
		}
		rates = append(rates, perSecond(delivered, elapsed))
		times = append(times, elapsed)
	}
	order := make([]int, len(rates))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return rates[order[a]] < rates[order[b]] })
	mid := order[len(order)/2]
	r.Count, r.ElapsedSec, r.MsgsPerSec = int64(n), times[mid].Seconds(), rates[mid]
	r.Extra = map[string]any{"runs_msgs_per_sec": rates}
	return r
}

// groupsPEL measures RSS growth per unacknowledged entry.
func (h *harness) groupsPEL(ctx context.Context, srv *server, r Result) Result {
	n := h.pelEntries()
	c, err := dial(ctx, srv.addr, groupsReadBuf, h.opts.RESP3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer c.Close()
	if extra := n - h.opts.Entries; extra > 0 {
		if err := loadEntries(c, groupsKey, extra, makePayload(h.opts.PayloadBytes)); err != nil {
			r.Error = fmt.Sprintf("load: %v", err)
			return r
		}
	}
	var readTime time.Duration
	readAll := func(group string, noAck bool) (int64, error) {
		if _, err := c.Do("XGROUP", "CREATE", groupsKey, group, "0"); err != nil {
			return 0, fmt.Errorf("XGROUP CREATE: %w", err)
		}
		mode := readPending
		if noAck {
			mode = readNoAck
		}
		gr := newGroupReader(c, groupsKey, group, "c", pelCount, mode)
		elapsed, err := consumeAll(ctx, []*groupReader{gr})
		readTime = elapsed
		return gr.delivered, err
	}
	h.progress("groups: %s: reading %d entries in a NOACK group (baseline)", srv.sys.Name, n)
	if _, err := readAll("pel-baseline", true); err != nil {
		r.Error = err.Error()
		return r
	}
	before, err := h.settledMemory(ctx, srv, c)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	h.progress("groups: %s: reading %d entries without acking", srv.sys.Name, n)
	delivered, err := readAll("pel", false)
	if err == nil && delivered != int64(n) {
		err = fmt.Errorf("delivered %d of %d entries", delivered, n)
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if pending, err := pendingCount(c, groupsKey, "pel"); err != nil || pending != int64(n) {
		r.Error = fmt.Sprintf("XPENDING count %d, want %d (%v)", pending, n, err)
		return r
	}
	after, err := h.settledMemory(ctx, srv, c)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	// The table also shows how fast the entries were read into the PEL;
	// ratios compare the memory.
	r.Count, r.ElapsedSec, r.MsgsPerSec = int64(n), readTime.Seconds(), perSecond(int64(n), readTime)
	r.MemBytes, r.MemUnit = float64(after.rss-before.rss)/float64(n), "B/pending entry"
	r.Extra = map[string]any{
		"rss_before_bytes": before.rss, "rss_after_bytes": after.rss,
		"rss_growth_mb":           float64(after.rss-before.rss) / (1 << 20),
		"used_memory_before":      before.used,
		"used_memory_after":       after.used,
		"used_memory_growth_mb":   float64(after.used-before.used) / (1 << 20),
		"used_memory_B_per_entry": float64(after.used-before.used) / float64(n),
	}
	return r
}

// memSample is a server's memory at one moment.
type memSample struct{ rss, used int64 }

// settledMemory waits briefly (a Go server's GC and background work run;
// smoke: shorter) and reads the server's RSS and INFO used_memory.
func (h *harness) settledMemory(ctx context.Context, srv *server, c *client) (memSample, error) {
	wait := 500 * time.Millisecond
	if h.opts.Smoke {
		wait = 100 * time.Millisecond
	}
	if err := sleepCtx(ctx, wait); err != nil {
		return memSample{}, err
	}
	rss, err := vmRSSBytes(srv.pid())
	if err != nil {
		return memSample{}, err
	}
	used, err := usedMemory(c)
	return memSample{rss: rss, used: used}, err
}

// groupsFanout loads fanoutEntries entries on a fresh server, creates the
// groups, and times one connection per group consuming and acking them all.
func (h *harness) groupsFanout(ctx context.Context, sys system) Result {
	groups, entries := h.fanoutSize()
	r := Result{Workload: "groups", System: sys.Name, Clients: groups, Depth: 2,
		Test: fmt.Sprintf("fan-out: %d groups x %d entries, XREADGROUP COUNT %s + XACK", groups, entries, groupsCount)}
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer h.stopServer(srv)
	c, err := dial(ctx, srv.addr, groupsReadBuf, h.opts.RESP3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer c.Close()
	if err := loadEntries(c, groupsFanoutKey, entries, makePayload(h.opts.PayloadBytes)); err != nil {
		r.Error = fmt.Sprintf("load: %v", err)
		return r
	}
	if err := createGroups(c, groupsFanoutKey, groups); err != nil {
		r.Error = err.Error()
		return r
	}
	conns, err := dialMany(ctx, srv.addr, groups, fanoutReadBuf, h.opts.RESP3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer closeAll(conns)
	readers := make([]*groupReader, groups)
	for i, cc := range conns {
		readers[i] = newGroupReader(cc, groupsFanoutKey, "g"+strconv.Itoa(i), "c", groupsCount, readAck)
	}
	h.progress("groups: %s: %d groups consuming %d entries each", sys.Name, groups, entries)
	elapsed, err := consumeAll(ctx, readers)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	delivered, acked := sumReaders(readers)
	want := int64(groups) * int64(entries)
	if delivered != want || acked != want {
		r.Error = fmt.Sprintf("delivered %d and acked %d of %d", delivered, acked, want)
		return r
	}
	r.Count, r.ElapsedSec, r.MsgsPerSec = delivered, elapsed.Seconds(), perSecond(delivered, elapsed)
	return r
}

// createGroups creates groups g0..g<n-1> on key at 0, pipelined.
func createGroups(c *client, key string, n int) error {
	c.buf = c.buf[:0]
	for i := 0; i < n; i++ {
		c.buf = respclient.AppendCommand(c.buf, "XGROUP", "CREATE", key, "g"+strconv.Itoa(i), "0")
	}
	if err := c.Send(c.buf); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := c.Discard(); err != nil {
			return fmt.Errorf("XGROUP CREATE g%d: %w", i, err)
		}
	}
	return nil
}

// pendingCount returns the count of XPENDING key group's summary.
func pendingCount(c *client, key, group string) (int64, error) {
	reply, err := c.Do("XPENDING", key, group)
	if err != nil {
		return 0, err
	}
	i := reply.Child(0, 0)
	if i < 0 || reply.Kind(i) != ':' {
		return 0, fmt.Errorf("%w: XPENDING summary without a count", errProtocol)
	}
	return reply.Int(i), nil
}

// consumeAll runs the readers, each on its own goroutine, until each finds
// its group drained, and returns the time that took. The first error
// stops all of them (their connections are closed).
func consumeAll(ctx context.Context, readers []*groupReader) (time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for _, r := range readers {
		stop := r.c.CloseOnDone(ctx)
		defer stop()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Go(func() {
			if err := r.drain(); err != nil {
				cancel(fmt.Errorf("%s: %w", r.consumer, err))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return elapsed, nil
}

func sumReaders(readers []*groupReader) (delivered, acked int64) {
	for _, r := range readers {
		delivered += r.delivered
		acked += r.acked
	}
	return delivered, acked
}

// readMode is what a groupReader does with what it reads.
type readMode int

const (
	readAck     readMode = iota // XACK each batch
	readPending                 // leave every entry pending
	readNoAck                   // XREADGROUP ... NOACK: nothing becomes pending
)

// groupReader consumes one group as one consumer on one connection. Each
// round trip writes the XACK of the previous batch (its IDs copied straight
// from the reply) followed by the next XREADGROUP, then reads both replies.
type groupReader struct {
	c         *client
	consumer  string
	ack       bool
	read      []byte // the encoded XREADGROUP
	out       []byte // what the next round writes
	ackHead   []byte // "XACK key group" as bulk strings
	acking    bool   // out starts with an XACK
	delivered int64
	acked     int64
}

func newGroupReader(c *client, key, group, consumer, count string, mode readMode) *groupReader {
	r := &groupReader{c: c, consumer: consumer, ack: mode == readAck}
	args := []string{"XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", key, ">"}
	if mode == readNoAck {
		args = append(args[:6:6], "NOACK", "STREAMS", key, ">")
	}
	r.read = respclient.AppendCommand(nil, args...)
	r.ackHead = respclient.AppendBulkString(respclient.AppendBulkString(respclient.AppendBulkString(nil, "XACK"), key), group)
	r.out = append(make([]byte, 0, 4096), r.read...)
	return r
}

// drain runs rounds until a read returns nothing and nothing is left to ack.
func (r *groupReader) drain() error {
	for {
		n, err := r.round()
		if err != nil {
			return err
		}
		if n == 0 && !r.acking {
			return nil
		}
	}
}

// round writes r.out and reads the replies; it returns how many entries the
// XREADGROUP delivered, and leaves in r.out the next round's commands.
func (r *groupReader) round() (int, error) {
	if err := r.c.Send(r.out); err != nil {
		return 0, err
	}
	if r.acking {
		reply, err := r.c.Read()
		if err != nil {
			return 0, err
		}
		if err := reply.Err(0); err != nil {
			return 0, fmt.Errorf("XACK: %w", err)
		}
		r.acked += reply.Int(0)
	}
	reply, err := r.c.Read()
	if err != nil {
		return 0, err
	}
	entries, err := groupEntries(reply)
	if err != nil {
		return 0, fmt.Errorf("XREADGROUP: %w", err)
	}
	r.out, r.acking = r.out[:0], false
	n := 0
	if entries >= 0 {
		n = int(reply.Int(entries))
	}
	r.delivered += int64(n)
	if n > 0 && r.ack {
		r.out = respclient.AppendArrayHeader(r.out, 3+n)
		r.out = append(r.out, r.ackHead...)
		for j := entries + 1; j < reply.End(entries); j = reply.End(j) {
			id := reply.Child(j, 0)
			if id < 0 {
				return 0, fmt.Errorf("%w: XREADGROUP entry without an ID", errProtocol)
			}
			r.out = respclient.AppendBulk(r.out, reply.Bytes(id))
		}
		r.acking = true
	}
	r.out = append(r.out, r.read...)
	return n, nil
}

// groupEntries returns the index of the entries array of the single stream
// in an XREADGROUP reply (RESP2 array or RESP3 map), or -1 for a null reply.
func groupEntries(reply *respclient.Reply) (int, error) {
	if err := reply.Err(0); err != nil {
		return -1, err
	}
	if reply.IsNull(0) {
		return -1, nil
	}
	var e int
	switch reply.Kind(0) {
	case '*':
		e = reply.Child(reply.Child(0, 0), 1)
	case '%':
		e = reply.Child(0, 1)
	default:
		return -1, fmt.Errorf("%w: reply of type %q", errProtocol, reply.Kind(0))
	}
	if e < 0 || reply.Kind(e) != '*' {
		return -1, fmt.Errorf("%w: no entries array", errProtocol)
	}
	return e, nil
}
