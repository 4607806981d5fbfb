package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The at-least-once test's parameters.
const (
	aloChannel   = "alo"
	aloGroup     = "workers"
	aloDLQ       = "alo.dlq"
	aloEntries   = 20_000
	aloBatch     = 100 // XADDs pipelined by the producer
	aloPace      = 15 * time.Millisecond
	aloCount     = 10 // XREADGROUP COUNT
	aloConsumers = 4
	aloCrashProb = 0.05 // per batch: the consumer crashes part-way through it
	aloKills     = 3
	aloAckWait   = 300 * time.Millisecond
	aloDeadline  = 45 * time.Second
	// aloClockSlack absorbs the server's millisecond rounding of delivery times.
	aloClockSlack = 3 * time.Millisecond
)

// aloFate is what became of one delivery a consumer received.
type aloFate int

const (
	aloFateCrashed   aloFate = iota // the consumer "crashed" before acking it
	aloFateAbandoned                // the connection died (server kill) before the XACK was sent
	aloFateProcessed                // processed, and an XACK was sent for it alone
)

// aloAck is what the XACK of one processed delivery answered.
type aloAck int

const (
	aloAckUnknown aloAck = iota // no reply: the server was killed (it may or may not be durable)
	aloAckOne                   // :1, this call acknowledged the entry
	aloAckZero                  // :0, the entry was no longer pending
)

// aloDelivery is one entry as one consumer received it.
type aloDelivery struct {
	value    int
	id       string
	consumer string
	count    int64 // delivery count in XPENDING right after the read; 0: unknown
	readSent time.Time
	readDone time.Time
	fate     aloFate
	ack      aloAck
	ackDone  time.Time
}

// TestAtLeastOnceUnderCrashes runs a real server, a producer of unique
// values, and consumers in a group with an ack wait that crash at random
// before acking (dropping their batch and coming back under a new name),
// while the server is killed with SIGKILL and restarted on the same data
// directory. Once the group has acknowledged everything, it checks that no
// acknowledged XADD went unprocessed, that every duplicate processing and
// every redelivery has a cause the test saw (a crash, an XACK whose reply was
// lost in a kill, or an ack later than the ack wait) and a delivery count
// above 1, and that no XACK acknowledged the same ID twice.
// REWIND_TEST_SEED replays a run.
func TestAtLeastOnceUnderCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("REWIND_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("REWIND_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (REWIND_TEST_SEED=%d replays the random choices; timing still varies)", seed, seed)
	bin := rewindBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	srv := startServer(t, bin, dir, port)
	ctx, cancel := context.WithTimeout(context.Background(), aloDeadline)
	defer cancel()

	admin := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	defer func() { admin.Close() }()
	if err := admin.Do(ctx, "XGROUP", "CREATE", aloChannel, aloGroup, "0", "MKSTREAM",
		"ACKWAIT", aloAckWait.Milliseconds(), "MAXDELIVER", 1000, "DEADLETTER", aloDLQ).Err(); err != nil {
		t.Fatal(err)
	}

	var stop atomic.Bool
	consumers := make([]*aloConsumer, aloConsumers)
	var cwg sync.WaitGroup
	for i := range consumers {
		consumers[i] = &aloConsumer{n: i, addr: srv.addr, rng: rand.New(rand.NewPCG(seed, uint64(i)+1)), stop: &stop}
		cwg.Go(func() { consumers[i].run(ctx) })
	}
	prod := &aloProducer{addr: srv.addr}
	var pwg sync.WaitGroup
	pwg.Go(func() { prod.run(ctx) })

	// Kill -9 and restart the server at random moments while both sides work.
	krng := rand.New(rand.NewPCG(seed, 0))
	for k := 0; k < aloKills; k++ {
		time.Sleep(300*time.Millisecond + time.Duration(krng.IntN(1200))*time.Millisecond)
		srv.kill9(t)
		time.Sleep(time.Duration(krng.IntN(200)) * time.Millisecond)
		srv = startServer(t, bin, dir, port)
		t.Logf("kill %d: restarted (producer at %d values)", k+1, prod.next.Load())
	}
	pwg.Wait()
	if prod.err != nil {
		stop.Store(true)
		cwg.Wait()
		t.Fatalf("producer: %v", prod.err)
	}
	admin.Close() // its connection died with the first kill
	admin = redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	doneAt, err := aloWaitAllAcked(ctx, admin)
	stop.Store(true)
	cwg.Wait()
	if err != nil {
		t.Fatalf("the group did not acknowledge everything within %v: %v\nserver logs:\n%s", aloDeadline, err, srv.logs)
	}
	t.Logf("group drained %v after the producer finished", doneAt)

	// Every acknowledged XADD must be stored once, with the ID it was given.
	stored, err := aloStored(admin)
	if err != nil {
		t.Fatal(err)
	}
	dlq, err := admin.XLen(context.Background(), aloDLQ).Result()
	if err != nil {
		t.Fatal(err)
	}
	var deliveries []aloDelivery
	crashes := 0
	for _, c := range consumers {
		deliveries = append(deliveries, c.log...)
		crashes += c.crashes
		for _, e := range c.errs {
			t.Error(e)
		}
	}
	rep := aloCheck(prod.acked, stored, deliveries)
	t.Logf("entries: %d XADDs acknowledged, %d with no reply (%d of those stored), %d stored in all; %d kills; %d consumer crashes; dead-lettered %d",
		len(prod.acked), prod.unknown, rep.storedUnacked, len(stored), aloKills, crashes, dlq)
	t.Logf("deliveries: %d recorded (%d redeliveries: %d after a consumer crash, %d after a kill dropped the batch, %d after a lost XACK reply, %d after an ack later than ACKWAIT)",
		len(deliveries), rep.redeliveries, rep.byCause[aloCauseCrash], rep.byCause[aloCauseAbandoned], rep.byCause[aloCauseAckLost], rep.byCause[aloCauseSlowAck])
	t.Logf("XACK replies: %d :1, %d :0, %d lost in a kill; IDs acknowledged twice: %d; deliveries missing from XPENDING right after the read: %d",
		rep.acks[aloAckOne], rep.acks[aloAckZero], rep.acks[aloAckUnknown], len(rep.ackedTwice), rep.noCount)
	t.Logf("LOST: %d    DUPLICATES: %d values processed more than once (%d extra processings: %d explained by a lost XACK reply, %d by an ack later than ACKWAIT)",
		len(rep.lost), rep.dupValues, rep.dupProcessings, rep.dupByCause[aloCauseAckLost], rep.dupByCause[aloCauseSlowAck])
	for _, what := range []struct {
		name string
		list []string
	}{
		{"acknowledged XADD not stored as acknowledged", rep.notStored},
		{"lost (acknowledged or stored, never processed and acked)", rep.lost},
		{"ID acknowledged by two XACK replies", rep.ackedTwice},
		{"value delivered under another ID than stored", rep.wrongID},
		{"unexplained redelivery", rep.unexplained},
		{"delivery count does not show the redelivery", rep.badCount},
	} {
		if len(what.list) > 0 {
			t.Errorf("%s: %d, e.g. %s", what.name, len(what.list), strings.Join(what.list[:min(5, len(what.list))], "; "))
		}
	}
	if dlq != 0 {
		t.Errorf("%d entries were dead-lettered (MAXDELIVER 1000 should never be reached)", dlq)
	}
	if rep.byCause[aloCauseCrash] == 0 || rep.acks[aloAckOne] == 0 {
		t.Errorf("the run did not exercise crashes (%d redeliveries after a crash)", rep.byCause[aloCauseCrash])
	}
	if t.Failed() {
		t.Logf("server logs:\n%s", srv.logs)
	}
}

// aloProducer XADDs aloEntries unique values ("v000123"), aloBatch
// pipelined at a time, reconnecting after a kill and never resending a value.
type aloProducer struct {
	addr    string
	next    atomic.Int64
	acked   map[int]string // value -> the ID its XADD was answered with
	unknown int            // XADDs without a reply
	err     error
}

func (p *aloProducer) run(ctx context.Context) {
	p.acked = make(map[int]string, aloEntries)
	c := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1, PoolSize: 1})
	defer func() { c.Close() }()
	for v := 0; v < aloEntries; {
		if ctx.Err() != nil {
			p.err = ctx.Err()
			return
		}
		pipe := c.Pipeline()
		n := min(aloBatch, aloEntries-v)
		cmds := make([]*redis.StringCmd, n)
		for i := range cmds {
			cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{Stream: aloChannel, Values: []string{"message", aloValue(v + i)}})
		}
		_, _ = pipe.Exec(ctx)
		failed := false
		for i, cmd := range cmds {
			id, err := cmd.Result()
			switch {
			case err == nil:
				p.acked[v+i] = id
			case errors.Is(err, ctx.Err()):
				p.err = err
				return
			default:
				p.unknown++
				failed = true
			}
		}
		v += n
		p.next.Store(int64(v))
		if failed { // the server was killed: wait for it, on a new connection
			c.Close()
			c = redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1, PoolSize: 1})
			for c.Ping(ctx).Err() != nil && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
		}
		time.Sleep(aloPace)
	}
}

func aloValue(v int) string { return fmt.Sprintf("v%06d", v) }

// aloConsumer is one consumer goroutine; it takes a new consumer name after
// each crash.
type aloConsumer struct {
	n       int
	addr    string
	rng     *rand.Rand
	stop    *atomic.Bool
	name    string
	crashes int
	log     []aloDelivery
	errs    []string
}

var (
	aloErrCrash    = errors.New("consumer crashed")
	aloErrConnLost = errors.New("connection lost")
)

func (c *aloConsumer) run(ctx context.Context) {
	c.name = fmt.Sprintf("c%d-0", c.n)
	for !c.stop.Load() && ctx.Err() == nil {
		rdb := redis.NewClient(&redis.Options{Addr: c.addr, MaxRetries: -1, PoolSize: 1})
		err := c.session(ctx, rdb)
		rdb.Close()
		switch {
		case errors.Is(err, aloErrCrash):
			c.crashes++
			c.name = fmt.Sprintf("c%d-%d", c.n, c.crashes)
			time.Sleep(time.Duration(10+c.rng.IntN(90)) * time.Millisecond)
		case err != nil:
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// session reads, processes and acks batches on one connection until the
// connection fails, the consumer crashes or the test stops it.
func (c *aloConsumer) session(ctx context.Context, rdb *redis.Client) error {
	for !c.stop.Load() {
		sent := time.Now()
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: aloGroup, Consumer: c.name,
			Streams: []string{aloChannel, ">"}, Count: aloCount, Block: 200 * time.Millisecond}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return aloErrConnLost // a reply lost here leaves entries pending under c.name: redelivered later
		}
		done := time.Now()
		if len(res) != 1 {
			c.errs = append(c.errs, fmt.Sprintf("XREADGROUP answered %d streams", len(res)))
			return aloErrConnLost
		}
		first := len(c.log)
		lo, hi := "", ""
		for _, m := range res[0].Messages {
			s, _ := m.Values["message"].(string)
			v, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
			if err != nil || !strings.HasPrefix(s, "v") {
				c.errs = append(c.errs, fmt.Sprintf("delivered %s with fields %v", m.ID, m.Values))
				continue
			}
			c.log = append(c.log, aloDelivery{value: v, id: m.ID, consumer: c.name, readSent: sent, readDone: done, fate: aloFateAbandoned})
			if lo == "" || idLess(m.ID, lo) {
				lo = m.ID
			}
			if hi == "" || idLess(hi, m.ID) {
				hi = m.ID
			}
		}
		batch := c.log[first:]
		if len(batch) == 0 {
			continue
		}
		// The delivery count of each entry, as the group recorded it.
		ext, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: aloChannel, Group: aloGroup,
			Start: lo, End: hi, Count: 1000, Consumer: c.name}).Result()
		if err != nil {
			return aloErrConnLost
		}
		counts := make(map[string]int64, len(ext))
		for _, e := range ext {
			counts[e.ID] = e.RetryCount
		}
		for i := range batch {
			batch[i].count = counts[batch[i].id]
		}
		process := len(batch)
		crash := c.rng.Float64() < aloCrashProb
		if crash {
			process = c.rng.IntN(len(batch)) // ack a prefix, drop the rest
			for i := process; i < len(batch); i++ {
				batch[i].fate = aloFateCrashed
			}
		}
		if err := c.ack(ctx, rdb, batch[:process]); err != nil {
			return err
		}
		if crash {
			return aloErrCrash
		}
	}
	return nil
}

// ack processes the deliveries and sends one XACK per ID, pipelined, so
// that each reply says whether that very ID was acknowledged by this call.
func (c *aloConsumer) ack(ctx context.Context, rdb *redis.Client, batch []aloDelivery) error {
	if len(batch) == 0 {
		return nil
	}
	pipe := rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(batch))
	for i := range batch {
		batch[i].fate = aloFateProcessed
		cmds[i] = pipe.XAck(ctx, aloChannel, aloGroup, batch[i].id)
	}
	_, _ = pipe.Exec(ctx)
	now := time.Now()
	var lost error
	for i, cmd := range cmds {
		batch[i].ackDone = now
		n, err := cmd.Result()
		switch {
		case err != nil:
			batch[i].ack = aloAckUnknown
			lost = aloErrConnLost
		case n == 1:
			batch[i].ack = aloAckOne
		case n == 0:
			batch[i].ack = aloAckZero
		default:
			c.errs = append(c.errs, fmt.Sprintf("XACK of one ID (%s) answered %d", batch[i].id, n))
		}
	}
	return lost
}

// aloWaitAllAcked polls until nothing is pending and the group has
// delivered up to the stream's last entry; it returns how long that took.
func aloWaitAllAcked(ctx context.Context, rdb *redis.Client) (time.Duration, error) {
	start := time.Now()
	var last string
	for {
		sum, err := rdb.XPending(ctx, aloChannel, aloGroup).Result()
		if err == nil {
			var groups []redis.XInfoGroup
			var tail []redis.XMessage
			groups, err = rdb.XInfoGroups(ctx, aloChannel).Result()
			if err == nil {
				tail, err = rdb.XRevRangeN(ctx, aloChannel, "+", "-", 1).Result()
			}
			if err == nil && len(groups) == 1 && len(tail) == 1 {
				last = fmt.Sprintf("pending %d, last delivered %s, stream's last %s", sum.Count, groups[0].LastDeliveredID, tail[0].ID)
				if sum.Count == 0 && groups[0].LastDeliveredID == tail[0].ID {
					return time.Since(start), nil
				}
			}
		}
		if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w (last seen: %s)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// aloStored reads the whole stream: value -> ID; a value stored twice is an error.
func aloStored(rdb *redis.Client) (map[int]string, error) {
	entries, err := rdb.XRange(context.Background(), aloChannel, "-", "+").Result()
	if err != nil {
		return nil, err
	}
	out := make(map[int]string, len(entries))
	for _, e := range entries {
		s, _ := e.Values["message"].(string)
		v, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
		if err != nil {
			return nil, fmt.Errorf("stored entry %s has fields %v", e.ID, e.Values)
		}
		if old, dup := out[v]; dup {
			return nil, fmt.Errorf("value %s stored twice, as %s and %s", s, old, e.ID)
		}
		out[v] = e.ID
	}
	return out, nil
}

// aloCauseKind is why an entry came back to the group's readers.
type aloCauseKind int

const (
	aloCauseCrash     aloCauseKind = iota // the previous holder crashed before acking
	aloCauseAbandoned                     // a server kill cut the previous holder's connection before its XACK
	aloCauseAckLost                       // the previous holder's XACK got no reply (the kill may have eaten the ack)
	aloCauseSlowAck                       // the previous holder acked later than ACKWAIT after its read
	aloCauseNone
)

// aloReport is what aloCheck finds.
type aloReport struct {
	storedUnacked  int // values stored whose XADD got no reply
	noCount        int // deliveries XPENDING did not list right after the read (or not asked: kill)
	redeliveries   int
	byCause        [aloCauseNone + 1]int
	acks           [3]int // by aloAck
	dupValues      int
	dupProcessings int
	dupByCause     [aloCauseNone + 1]int
	notStored      []string
	lost           []string
	ackedTwice     []string
	wrongID        []string
	unexplained    []string
	badCount       []string
}

// aloCheck compares what the producer was told, what the stream holds and
// what the consumers saw.
func aloCheck(acked, stored map[int]string, deliveries []aloDelivery) aloReport {
	var r aloReport
	for v, id := range acked {
		if stored[v] != id {
			r.notStored = append(r.notStored, fmt.Sprintf("%s acknowledged as %s, stored as %q", aloValue(v), id, stored[v]))
		}
	}
	byValue := map[int][]*aloDelivery{}
	for i := range deliveries {
		d := &deliveries[i]
		byValue[d.value] = append(byValue[d.value], d)
		if d.fate == aloFateProcessed {
			r.acks[d.ack]++
		}
		if d.count == 0 {
			r.noCount++
		}
	}
	for v, id := range stored {
		if _, ok := acked[v]; !ok {
			r.storedUnacked++
		}
		ds := byValue[v]
		// Deliveries in the order the group made them: by delivery count
		// where both are known, else by the time the reply arrived.
		slices.SortStableFunc(ds, func(a, b *aloDelivery) int {
			if a.count > 0 && b.count > 0 {
				return cmp.Compare(a.count, b.count)
			}
			return a.readDone.Compare(b.readDone)
		})
		processedAndAcked, ones, processings := false, 0, 0
		for i, d := range ds {
			if d.id != id {
				r.wrongID = append(r.wrongID, fmt.Sprintf("%s delivered as %s, stored as %s", aloValue(v), d.id, id))
			}
			if d.fate == aloFateProcessed {
				processings++
				processedAndAcked = processedAndAcked || d.ack == aloAckOne || d.ack == aloAckUnknown
				if d.ack == aloAckOne {
					ones++
				}
			}
			if i == 0 {
				continue
			}
			r.redeliveries++
			prev := ds[i-1]
			cause := aloCause(prev)
			r.byCause[cause]++
			if cause == aloCauseNone {
				r.unexplained = append(r.unexplained, fmt.Sprintf("%s %s: delivery to %s (count %d) after %s processed it (count %d) and XACK answered %d %v after the read",
					aloValue(v), id, d.consumer, d.count, prev.consumer, prev.count, prev.ack, prev.ackDone.Sub(prev.readSent)))
			}
			if d.count == 1 || (d.count > 0 && prev.count > 0 && d.count <= prev.count) {
				r.badCount = append(r.badCount, fmt.Sprintf("%s %s: delivery count %d after an earlier delivery with count %d",
					aloValue(v), id, d.count, prev.count))
			}
			if d.fate == aloFateProcessed && processings > 1 {
				// A duplicate processing: some earlier processing must have
				// left the entry pending (lost XACK reply, or acked too late).
				c := aloCauseNone
				for _, p := range ds[:i] {
					if p.fate == aloFateProcessed {
						if pc := aloCause(p); pc == aloCauseAckLost || (pc == aloCauseSlowAck && c == aloCauseNone) {
							c = pc
						}
					}
				}
				r.dupByCause[c]++
				if c == aloCauseNone {
					r.unexplained = append(r.unexplained, fmt.Sprintf("%s %s processed again by %s with no lost or late ack before", aloValue(v), id, d.consumer))
				}
			}
		}
		if processings > 1 {
			r.dupValues++
			r.dupProcessings += processings - 1
		}
		if !processedAndAcked {
			r.lost = append(r.lost, fmt.Sprintf("%s %s (acknowledged XADD: %v, %d deliveries)", aloValue(v), id, acked[v] != "", len(ds)))
		}
		if ones > 1 {
			r.ackedTwice = append(r.ackedTwice, fmt.Sprintf("%s %s acknowledged by %d XACK replies", aloValue(v), id, ones))
		}
	}
	for v, id := range acked {
		if _, ok := stored[v]; !ok {
			r.lost = append(r.lost, fmt.Sprintf("%s %s (acknowledged XADD missing from the stream)", aloValue(v), id))
		}
	}
	return r
}

// aloCause says why an entry held by d could be delivered again.
func aloCause(d *aloDelivery) aloCauseKind {
	switch {
	case d.fate == aloFateCrashed:
		return aloCauseCrash
	case d.fate == aloFateAbandoned:
		return aloCauseAbandoned
	case d.ack == aloAckUnknown:
		return aloCauseAckLost
	case d.ackDone.Sub(d.readSent) >= aloAckWait-aloClockSlack:
		return aloCauseSlowAck
	}
	return aloCauseNone
}
