package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
)

const (
	subChannels      = 3
	recvFlushEvery   = 250 * time.Millisecond
	recvFlushValues  = 1000
	stallChance      = 0.2 // a session stops reading for a while
	minSessionLength = 2 * time.Second
	maxSessionLength = 10 * time.Second
	namedDropChance  = 0.2             // a named session ends by dropping its connection
	maxAway          = 2 * time.Second // a named subscriber's time away between sessions
)

// Subscribe is the subscribe workload: publishers PUBLISH unique values to
// a few channels; plain live subscribers (SUBSCRIBE) come and go, some
// stop reading for a while. A live subscriber may miss what is published
// while it is away, but what it gets must be in the channel's log, in
// order, once; and a session that stayed connected must get everything
// acknowledged while it was subscribed.
//
// Named subscribers (CLIENT SETNAME) resume: each name subscribes to a
// fixed set of channels, again and again, away for up to maxAway between
// sessions; rewind must give each session first what was published while
// the name was away, then live messages. A name's first session only
// registers it (subscribe, then unsubscribe, which saves its cursor
// durably). A session ends by UNSUBSCRIBE (clean: the next one must
// continue exactly where it stopped), by dropping its connection (what was
// in flight may be skipped), or because the connection broke (server
// crash, or the server dropped a slow reader: no gap allowed, duplicates
// allowed after a crash since the cursor is saved about once a second).
type Subscribe struct {
	opts     Options
	channels []string
}

// NewSubscribe returns the subscribe workload.
func NewSubscribe(opts Options) *Subscribe {
	s := &Subscribe{opts: opts}
	for i := 0; i < subChannels; i++ {
		s.channels = append(s.channels, fmt.Sprintf("sub-%d", i))
	}
	return s
}

func (s *Subscribe) Name() string       { return "subscribe" }
func (s *Subscribe) Channels() []string { return append([]string(nil), s.channels...) }

// Run drives publishers and subscribers.
func (s *Subscribe) Run(ctx context.Context, env *Env) error {
	var fns []func()
	for i := 0; i < max(1, s.opts.Writers/2); i++ {
		rng := env.Rand(fmt.Sprintf("sub-writer-%d", i))
		pick := func() (string, string) { return history.FPublish, s.channels[rng.IntN(len(s.channels))] }
		stream := fmt.Sprintf("sub-retry-%d", i)
		fns = append(fns, func() { newWriter(env, s.Name()).writeLoop(ctx, pick, retryChance, stream) })
	}
	for i := 0; i < s.opts.Subscribers; i++ {
		rng := env.Rand(fmt.Sprintf("subscriber-%d", i))
		fns = append(fns, func() {
			for ctx.Err() == nil {
				s.session(ctx, env, rng)
			}
		})
	}
	for i := 0; i < s.opts.Named; i++ {
		fns = append(fns, func() { s.named(ctx, env, i) })
	}
	runAll(fns...)
	return nil
}

// session is one subscription, from SUBSCRIBE to a clean close or an error.
func (s *Subscribe) session(ctx context.Context, env *Env, rng *rand.Rand) {
	chans := s.pickChannels(rng)
	sub := &subscriber{env: env, process: env.NewProcess(), workload: s.Name(), batch: map[string][]string{}}
	env.Rec.Record(history.Op{Process: sub.process, Type: history.Invoke, F: history.FSubscribe, Channels: chans, Workload: s.Name()})
	c := newClient(env.Addr(), env.Timeout)
	defer c.Close()
	ps := c.Subscribe(ctx, chans...)
	defer ps.Close()
	end := sub.run(ctx, ps, chans, rng)
	sub.flush()
	env.Rec.Record(end)
	if end.Type != history.OK {
		select { // the node is probably down: don't spin
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Subscribe) pickChannels(rng *rand.Rand) []string {
	var out []string
	for _, ch := range s.channels {
		if rng.IntN(2) == 0 {
			out = append(out, ch)
		}
	}
	if len(out) == 0 {
		out = append(out, s.channels[rng.IntN(len(s.channels))])
	}
	return out
}

// subscriber is one session's state.
type subscriber struct {
	env       *Env
	process   int
	workload  string
	batch     map[string][]string // channel -> values not yet recorded
	batched   int
	lastFlush time.Time
}

// run subscribes, receives until the session's time is up, then closes
// with a PING so that everything published before it has arrived. It
// returns the session's end event.
func (sub *subscriber) run(ctx context.Context, ps *redis.PubSub, chans []string, rng *rand.Rand) history.Op {
	end := history.Op{Process: sub.process, F: history.FSubscribe, Type: history.Info, Workload: sub.workload}
	if err := sub.confirm(ctx, ps, len(chans)); err != nil {
		end.Error = err.Error()
		return end
	}
	end.Ready = sub.env.Rec.Since()
	length := minSessionLength + time.Duration(rng.Int64N(int64(maxSessionLength-minSessionLength)))
	deadline := time.Now().Add(length)
	stallAt := time.Time{}
	if rng.Float64() < stallChance {
		stallAt = time.Now().Add(length / 3)
	}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if !stallAt.IsZero() && time.Now().After(stallAt) {
			time.Sleep(length / 3) // a slow subscriber: the server buffers (or drops it)
			stallAt = time.Time{}
		}
		if err := sub.receive(ps, 100*time.Millisecond); err != nil {
			end.Error = err.Error()
			return end
		}
	}
	end.Until = sub.env.Rec.Since()
	if err := sub.closeWithPing(ps); err != nil {
		end.Error = err.Error()
		return end
	}
	end.Type, end.Clean = history.OK, true
	return end
}

// confirm waits for every subscription confirmation, then a PONG: once it
// arrives the server has registered the subscriptions.
func (sub *subscriber) confirm(ctx context.Context, ps *redis.PubSub, n int) error {
	for i := 0; i < n; {
		msg, err := ps.ReceiveTimeout(ctx, sub.env.Timeout)
		if err != nil {
			return err
		}
		switch msg.(type) {
		case *redis.Subscription:
			i++
		case *redis.Message: // live (or, resuming, missed) messages of a channel already subscribed
			sub.take(msg)
		default:
			return fmt.Errorf("unexpected %T before the subscription was confirmed", msg)
		}
	}
	if err := ps.Ping(ctx, "ready"); err != nil {
		return err
	}
	return sub.untilPong(ps, "ready")
}

func (sub *subscriber) closeWithPing(ps *redis.PubSub) error {
	if err := ps.Ping(context.Background(), "bye"); err != nil {
		return err
	}
	return sub.untilPong(ps, "bye")
}

// untilPong receives (recording messages) until the PONG with payload.
func (sub *subscriber) untilPong(ps *redis.PubSub, payload string) error {
	deadline := time.Now().Add(sub.env.Timeout * 5)
	for time.Now().Before(deadline) {
		msg, err := ps.ReceiveTimeout(context.Background(), sub.env.Timeout)
		if err != nil {
			return err
		}
		if pong, ok := msg.(*redis.Pong); ok && pong.Payload == payload {
			return nil
		}
		sub.take(msg)
	}
	return errors.New("no PONG")
}

// receive waits up to wait for one message; a timeout is not an error.
func (sub *subscriber) receive(ps *redis.PubSub, wait time.Duration) error {
	msg, err := ps.ReceiveTimeout(context.Background(), wait)
	var nerr interface{ Timeout() bool }
	if errors.As(err, &nerr) && nerr.Timeout() {
		sub.maybeFlush()
		return nil
	}
	if err != nil {
		return err
	}
	sub.take(msg)
	return nil
}

func (sub *subscriber) take(msg interface{}) {
	if m, ok := msg.(*redis.Message); ok {
		sub.batch[m.Channel] = append(sub.batch[m.Channel], m.Payload)
		sub.batched++
	}
	sub.maybeFlush()
}

func (sub *subscriber) maybeFlush() {
	if sub.batched >= recvFlushValues || time.Since(sub.lastFlush) >= recvFlushEvery {
		sub.flush()
	}
}

// flush records what arrived since the last flush, one event per channel.
func (sub *subscriber) flush() {
	for ch, values := range sub.batch {
		if len(values) > 0 {
			sub.env.Rec.Record(history.Op{Process: sub.process, Type: history.OK, F: history.FRecv, Channel: ch, Values: values, Workload: sub.workload})
		}
	}
	clear(sub.batch)
	sub.batched = 0
	sub.lastFlush = time.Now()
}

// Final replays every channel from 0 with XRANGE and with rewind replay.
func (s *Subscribe) Final(ctx context.Context, env *Env) error {
	return finalReads(ctx, env, s.Name(), s.Channels())
}
