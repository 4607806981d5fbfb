package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// The queue workload's shape.
const (
	queueGroup         = "g"
	queueConsumers     = 3    // per channel
	queueBatch         = 50   // XREADGROUP / XAUTOCLAIM COUNT
	queueCrashChance   = 0.04 // after a delivery: drop the connection instead of acking
	queueClaimChance   = 0.3  // a new session starts with XAUTOCLAIM instead of its own history
	queueClaimIdle     = 2 * time.Second
	queueBlock         = 200 * time.Millisecond
	queueAckWaitMs     = 1000
	queueMaxDeliver    = 3
	queuePoisonEvery   = 25 // on the redelivery channel, every 25th value of a writer is never acked
	minConsumerSession = 3 * time.Second
	maxConsumerSession = 12 * time.Second
	drainPoll          = 300 * time.Millisecond
)

// QueueDeadLetter is the dead-letter channel of the redelivery queue.
const QueueDeadLetter = "queue-redeliver.dlq"

// queueSpec is one queue: a channel and its consumer group.
type queueSpec struct {
	channel string
	policy  *history.GroupPolicy // nil: a plain Redis group
}

// Queue is the queue workload: writers XADD unique values to two
// channels, each consumed by one consumer group. One group is plain Redis;
// the other has rewind's broker-side redelivery (ACKWAIT, MAXDELIVER,
// DEADLETTER) and some of its values are "poison" that consumers never
// ack, so they must end up in the dead-letter channel. Consumers read new
// entries (">"), their own pending entries after a reconnect ("0"), or
// claim idle ones (XAUTOCLAIM), ack with XACK, and sometimes crash (drop
// the connection) holding unacked entries. After the faults, a fresh
// consumer drains each group; the checker then wants every entry acked by
// the group or dead-lettered, once.
type Queue struct {
	opts   Options
	queues []queueSpec
}

// NewQueue returns the queue workload.
func NewQueue(opts Options) *Queue {
	return &Queue{opts: opts, queues: []queueSpec{
		{channel: "queue-plain"},
		{channel: "queue-redeliver", policy: &history.GroupPolicy{AckWaitMs: queueAckWaitMs, MaxDeliver: queueMaxDeliver, DeadLetter: QueueDeadLetter}},
	}}
}

func (q *Queue) Name() string { return "queue" }

// Channels lists the queue channels (not the dead-letter channel, whose
// entries carry extra fields; it is read by Final).
func (q *Queue) Channels() []string {
	var out []string
	for _, s := range q.queues {
		out = append(out, s.channel)
	}
	return out
}

// Run creates the groups, then drives writers and consumers.
func (q *Queue) Run(ctx context.Context, env *Env) error {
	for _, s := range q.queues {
		if err := q.createGroup(ctx, env, s); err != nil {
			return err
		}
	}
	var fns []func()
	for i := 0; i < max(1, q.opts.Writers/4); i++ {
		rng := env.Rand(fmt.Sprintf("queue-writer-%d", i))
		pick := func() (string, string) { return history.FXAdd, q.queues[rng.IntN(len(q.queues))].channel }
		stream := fmt.Sprintf("queue-retry-%d", i)
		fns = append(fns, func() { newWriter(env, q.Name()).writeLoop(ctx, pick, retryChance, stream) })
	}
	for _, s := range q.queues {
		for i := 0; i < queueConsumers; i++ {
			rng := env.Rand(fmt.Sprintf("consumer-%s-%d", s.channel, i))
			name := fmt.Sprintf("c%d", i)
			fns = append(fns, func() {
				for ctx.Err() == nil {
					q.session(ctx, env, s, name, rng)
				}
			})
		}
	}
	runAll(fns...)
	return nil
}

// createGroup creates the group from the start of the channel, retrying
// until it exists (BUSYGROUP after an unknown outcome means it does).
func (q *Queue) createGroup(ctx context.Context, env *Env, s queueSpec) error {
	args := []interface{}{"XGROUP", "CREATE", s.channel, queueGroup, "0", "MKSTREAM"}
	if p := s.policy; p != nil {
		args = append(args, "ACKWAIT", p.AckWaitMs, "MAXDELIVER", p.MaxDeliver, "DEADLETTER", p.DeadLetter)
	}
	return finalRetry(ctx, func() error {
		process := env.NewProcess()
		env.Rec.Record(history.Op{Process: process, Type: history.Invoke, F: history.FGroupCreate, Channel: s.channel, Group: queueGroup, Policy: s.policy, Workload: q.Name()})
		c := newClient(env.Addr(), env.Timeout)
		defer c.Close()
		opCtx, cancel := context.WithTimeout(ctx, env.Timeout)
		defer cancel()
		err := c.Do(opCtx, args...).Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") {
			err = nil
		}
		done := history.Op{Process: process, Type: outcome(err), F: history.FGroupCreate, Channel: s.channel, Group: queueGroup, Policy: s.policy, Workload: q.Name()}
		if err != nil {
			done.Error = err.Error()
		}
		env.Rec.Record(done)
		return err
	})
}

// consumer is one consumer connection: a process in the history.
type consumer struct {
	env      *Env
	spec     queueSpec
	name     string
	process  int
	client   *redis.Client
	workload string
}

func newConsumer(env *Env, spec queueSpec, name, workload string) *consumer {
	return &consumer{env: env, spec: spec, name: name, process: env.NewProcess(), client: newClient(env.Addr(), env.Timeout), workload: workload}
}

func (c *consumer) op(t history.Type, f string) history.Op {
	return history.Op{Process: c.process, Type: t, F: f, Channel: c.spec.channel, Group: queueGroup, Consumer: c.name, Workload: c.workload}
}

// session is one consumer connection: it starts with its own pending
// entries (or claims idle ones), then reads new entries and acks them,
// until its time is up, it crashes, or an operation fails.
func (q *Queue) session(ctx context.Context, env *Env, s queueSpec, name string, rng *rand.Rand) {
	c := newConsumer(env, s, name, q.Name())
	defer c.client.Close()
	end := time.Now().Add(minConsumerSession + time.Duration(rng.Int64N(int64(maxConsumerSession-minConsumerSession))))
	var entries []history.Entry
	var err error
	if rng.Float64() < queueClaimChance {
		entries, _, err = c.autoClaim(queueClaimIdle, "0-0", queueBatch)
	} else {
		entries, err = c.readGroup("0", queueBatch, -1)
	}
	for err == nil && c.handle(entries, rng) && ctx.Err() == nil && time.Now().Before(end) {
		if env.Limiter.Wait(ctx) != nil {
			return
		}
		entries, err = c.readGroup(">", queueBatch, queueBlock)
	}
	if err != nil {
		select { // the node is probably down: don't spin
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// handle acks what was delivered, except poison values; with
// queueCrashChance it crashes instead (and reports false).
func (c *consumer) handle(entries []history.Entry, rng *rand.Rand) bool {
	if len(entries) == 0 {
		return true
	}
	if rng.Float64() < queueCrashChance {
		crash := c.op(history.Info, history.FCrash)
		crash.Detail = fmt.Sprintf("dropped the connection holding %d unacked entries", len(entries))
		c.env.Rec.Record(crash)
		return false
	}
	return c.ack(entries) == nil
}

// ack XACKs each non-poison entry, one XACK per ID in one pipeline, so
// that each reply says whether that ID was pending.
func (c *consumer) ack(entries []history.Entry) error {
	var ids []string
	for _, e := range entries {
		if !c.poison(e.Value) {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	inv := c.op(history.Invoke, history.FXAck)
	inv.IDs = ids
	c.env.Rec.Record(inv)
	ctx, cancel := context.WithTimeout(context.Background(), c.env.Timeout)
	defer cancel()
	pipe := c.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.XAck(ctx, c.spec.channel, queueGroup, id)
	}
	_, err := pipe.Exec(ctx)
	done := c.op(outcome(err), history.FXAck)
	done.IDs = ids
	if err != nil {
		done.Error = err.Error()
	} else {
		for i, cmd := range cmds {
			if cmd.Val() == 1 {
				done.Acked = append(done.Acked, ids[i])
			}
		}
	}
	c.env.Rec.Record(done)
	return err
}

// poison reports whether a value is one consumers never ack: on the
// redelivery channel, every queuePoisonEvery-th value of a writer.
func (c *consumer) poison(value string) bool {
	if c.spec.policy == nil {
		return false
	}
	_, seq, ok := strings.Cut(value, "-")
	n, err := strconv.Atoi(seq)
	return ok && err == nil && n%queuePoisonEvery == 0
}

// readGroup runs XREADGROUP ... STREAMS channel from and records it.
func (c *consumer) readGroup(from string, count int64, block time.Duration) ([]history.Entry, error) {
	inv := c.op(history.Invoke, history.FReadGroup)
	inv.From = from
	c.env.Rec.Record(inv)
	ctx, cancel := context.WithTimeout(context.Background(), c.env.Timeout+max(block, 0))
	defer cancel()
	streams, err := c.client.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: queueGroup, Consumer: c.name, Streams: []string{c.spec.channel, from}, Count: count, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	var entries []history.Entry
	for _, s := range streams {
		for _, m := range s.Messages {
			entries = append(entries, history.Entry{ID: m.ID, Value: messageOf(m.Values)})
		}
	}
	done := c.op(outcome(err), history.FReadGroup)
	done.From, done.Entries = from, entries
	if err != nil {
		done.Error = err.Error()
	}
	c.env.Rec.Record(done)
	return entries, err
}

// autoClaim runs XAUTOCLAIM from start and records it; it returns the
// claimed entries and the next start ("0-0": done).
func (c *consumer) autoClaim(minIdle time.Duration, start string, count int64) ([]history.Entry, string, error) {
	inv := c.op(history.Invoke, history.FAutoClaim)
	inv.From = start
	inv.Detail = fmt.Sprintf("min-idle %d ms", minIdle.Milliseconds())
	c.env.Rec.Record(inv)
	ctx, cancel := context.WithTimeout(context.Background(), c.env.Timeout)
	defer cancel()
	msgs, next, err := c.client.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: c.spec.channel, Group: queueGroup, Consumer: c.name, MinIdle: minIdle, Start: start, Count: count,
	}).Result()
	var entries []history.Entry
	for _, m := range msgs {
		if m.Values != nil {
			entries = append(entries, history.Entry{ID: m.ID, Value: messageOf(m.Values)})
		}
	}
	done := c.op(outcome(err), history.FAutoClaim)
	done.From, done.Entries, done.Detail = start, entries, inv.Detail
	if err != nil {
		done.Error = err.Error()
	}
	c.env.Rec.Record(done)
	return entries, next, err
}

// pending records XPENDING's extended form: every pending entry with its
// delivery count.
func (c *consumer) pending() (int, error) {
	c.env.Rec.Record(c.op(history.Invoke, history.FPending))
	ctx, cancel := context.WithTimeout(context.Background(), c.env.Timeout*5)
	defer cancel()
	ps, err := c.client.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: c.spec.channel, Group: queueGroup, Start: "-", End: "+", Count: 1 << 20}).Result()
	done := c.op(outcome(err), history.FPending)
	if err != nil {
		done.Error = err.Error()
	}
	for _, p := range ps {
		done.Pending = append(done.Pending, history.Pending{ID: p.ID, Consumer: p.Consumer, Deliveries: p.RetryCount})
	}
	c.env.Rec.Record(done)
	return len(ps), err
}

// Final drains each group with a fresh consumer, reads the dead-letter
// channel, and replays every queue channel from 0.
func (q *Queue) Final(ctx context.Context, env *Env) error {
	var errs []error
	for _, s := range q.queues {
		if err := finalRetry(ctx, func() error { return q.drain(ctx, env, s) }); err != nil {
			errs = append(errs, fmt.Errorf("final drain of %s: %w", s.channel, err))
		}
	}
	if err := finalRetry(ctx, func() error { return readDeadLetters(env, q.Name(), QueueDeadLetter) }); err != nil {
		errs = append(errs, fmt.Errorf("final read of %s: %w", QueueDeadLetter, err))
	}
	return errors.Join(append(errs, finalReads(ctx, env, q.Name(), q.Channels()))...)
}

// drain takes over every pending entry (XAUTOCLAIM, min-idle 0), acks
// it, then reads and acks new entries until nothing is pending and nothing
// is new. Poison values stay unacked: the broker redelivers them (to the
// drain) until they are dead-lettered.
func (q *Queue) drain(ctx context.Context, env *Env, s queueSpec) error {
	c := newConsumer(env, s, "drain", q.Name())
	defer c.client.Close()
	// The drain as a whole is an operation of its own process (the
	// consumer's operations inside it are the consumer's).
	process := env.NewProcess()
	inv := c.op(history.Invoke, history.FDrain)
	inv.Process = process
	c.env.Rec.Record(inv)
	err := c.drainSteps(ctx)
	done := c.op(outcome(err), history.FDrain)
	done.Process, done.Final = process, true
	if err != nil {
		done.Error = err.Error()
	}
	c.env.Rec.Record(done)
	return err
}

func (c *consumer) drainSteps(ctx context.Context) error {
	if _, err := c.pending(); err != nil {
		return err
	}
	for start := "0-0"; ; {
		entries, next, err := c.autoClaim(0, start, 500)
		if err != nil {
			return err
		}
		if err := c.ack(entries); err != nil {
			return err
		}
		if start = next; start == "0-0" || start == "" {
			break
		}
	}
	for ctx.Err() == nil {
		entries, err := c.readGroup(">", 500, -1)
		if err != nil {
			return err
		}
		if err := c.ack(entries); err != nil {
			return err
		}
		if len(entries) > 0 {
			continue
		}
		n, err := c.pending()
		if err != nil || n == 0 {
			return err
		}
		select { // poison entries wait out their ack wait, then come back or are dead-lettered
		case <-ctx.Done():
		case <-time.After(drainPoll):
		}
	}
	return ctx.Err()
}

// readDeadLetters reads a dead-letter channel whole and records it.
func readDeadLetters(env *Env, workload, channel string) error {
	process := env.NewProcess()
	env.Rec.Record(history.Op{Process: process, Type: history.Invoke, F: history.FDeadLetters, Channel: channel, Final: true, Workload: workload})
	c := newClient(env.Addr(), env.Timeout)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []history.DeadLetter
	start := "-"
	var err error
	for {
		var msgs []redis.XMessage
		msgs, err = c.XRangeN(ctx, channel, start, "+", fullPage).Result()
		for _, m := range msgs {
			out = append(out, deadLetterOf(m))
		}
		if err != nil || len(msgs) < fullPage {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	done := history.Op{Process: process, Type: outcome(err), F: history.FDeadLetters, Channel: channel, Final: true, Workload: workload, DeadLetters: out}
	if err != nil {
		done.Error, done.DeadLetters = err.Error(), nil
	}
	env.Rec.Record(done)
	return err
}

// deadLetterOf parses a dead-letter entry: message, then dlq-channel,
// dlq-id, dlq-group, dlq-consumer, dlq-deliveries, dlq-reason.
func deadLetterOf(m redis.XMessage) history.DeadLetter {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	d := history.DeadLetter{ID: m.ID, Value: str("message"), Source: str("dlq-channel"), SourceID: str("dlq-id")}
	n, err := strconv.ParseInt(str("dlq-deliveries"), 10, 64)
	d.Deliveries = n
	if err != nil || d.Value == "" || d.Source == "" || d.SourceID == "" || len(m.Values) != 7 {
		d.Fields = fmt.Sprintf("%v", m.Values)
	}
	return d
}
