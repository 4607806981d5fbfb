package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// How a named session ended (the Detail of its end event).
const (
	EndUnsubscribed = "unsubscribed" // UNSUBSCRIBE confirmed: the cursor was saved where the client stopped
	EndDropped      = "dropped"      // the client dropped its connection (or gave up waiting): in-flight messages may be skipped
	EndBroken       = "broken"       // the server closed the connection (crash, or a slow reader dropped)
)

// named runs the sessions of the k-th named subscriber until ctx ends.
func (s *Subscribe) named(ctx context.Context, env *Env, k int) {
	rng := env.Rand(fmt.Sprintf("named-%d", k))
	name := fmt.Sprintf("named-%d", k)
	chans := s.pickChannels(rng)
	registered := false
	for ctx.Err() == nil {
		if s.namedSession(ctx, env, name, chans, rng, !registered) {
			registered = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(rng.Int64N(int64(maxAway)))):
		}
	}
}

// namedSession is one session of a named subscriber; it reports whether
// it ended with a confirmed UNSUBSCRIBE.
func (s *Subscribe) namedSession(ctx context.Context, env *Env, name string, chans []string, rng *rand.Rand, register bool) bool {
	sub := &subscriber{env: env, process: env.NewProcess(), workload: s.Name(), batch: map[string][]string{}}
	env.Rec.Record(history.Op{Process: sub.process, Type: history.Invoke, F: history.FSubscribe, Channels: chans, Name: name, Workload: s.Name()})
	c := newNamedClient(env.Addr(), env.Timeout, name)
	defer c.Close()
	ps := c.Subscribe(ctx, chans...)
	defer ps.Close()
	end := sub.runNamed(ctx, ps, chans, rng, register)
	sub.flush()
	end.Name = name
	env.Rec.Record(end)
	if end.Type != history.OK {
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	return end.Clean
}

// newNamedClient is newClient with a name and exactly one connection:
// go-redis's PubSub reconnects and resubscribes on its own after an error,
// and such a hidden session would move the name's cursor past messages
// nobody recorded.
func newNamedClient(addr string, timeout time.Duration, name string) *redis.Client {
	var dialed atomic.Bool
	d := &net.Dialer{Timeout: timeout}
	return redis.NewClient(&redis.Options{
		Addr: addr, ClientName: name, MaxRetries: -1, PoolSize: 1,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, Protocol: 2,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dialed.Load() {
				return nil, errors.New("a named session has one connection")
			}
			cn, err := d.DialContext(ctx, network, addr)
			if err == nil {
				dialed.Store(true)
			}
			return cn, err
		},
	})
}

// runNamed is run for a named session: a registration session ends as
// soon as it is subscribed; the others receive for a while, and end with
// UNSUBSCRIBE or, with namedDropChance, by dropping the connection.
func (sub *subscriber) runNamed(ctx context.Context, ps *redis.PubSub, chans []string, rng *rand.Rand, register bool) history.Op {
	end := history.Op{Process: sub.process, F: history.FSubscribe, Type: history.Info, Workload: sub.workload}
	fail := func(err error) history.Op {
		end.Error, end.Detail = err.Error(), endOf(err)
		return end
	}
	if err := sub.confirm(ctx, ps, len(chans)); err != nil {
		return fail(err)
	}
	end.Ready = sub.env.Rec.Since()
	if !register {
		length := minSessionLength + time.Duration(rng.Int64N(int64(maxSessionLength-minSessionLength)))
		deadline := time.Now().Add(length)
		stallAt := time.Time{}
		if rng.Float64() < stallChance {
			stallAt = time.Now().Add(length / 3)
		}
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if !stallAt.IsZero() && time.Now().After(stallAt) {
				time.Sleep(length / 3)
				stallAt = time.Time{}
			}
			if err := sub.receive(ps, 100*time.Millisecond); err != nil {
				return fail(err)
			}
		}
		if ctx.Err() == nil && rng.Float64() < namedDropChance {
			sub.flush()
			sub.recordBuffered(ps)
			_ = ps.Close() // now: what arrives later must not reach this machine unrecorded
			end.Detail = EndDropped
			return end
		}
	}
	end.Until = sub.env.Rec.Since()
	if err := sub.unsubscribeAll(ps, chans); err != nil {
		return fail(err)
	}
	end.Type, end.Clean, end.Detail = history.OK, true, EndUnsubscribed
	return end
}

// bufferedDrainTime bounds how long a dropping subscriber reads what is
// already in its buffers.
const bufferedDrainTime = 50 * time.Millisecond

// recordBuffered reads what already reached this client (go-redis's
// buffer and the socket's) and records it as FBuffered, not as received: a
// client dropping its connection never hands it to the application, and
// the checker tells such skips apart from messages that never reached the
// client's machine. It stops at the first pause or after bufferedDrainTime.
func (sub *subscriber) recordBuffered(ps *redis.PubSub) {
	got := map[string][]string{}
	for deadline := time.Now().Add(bufferedDrainTime); time.Now().Before(deadline); {
		msg, err := ps.ReceiveTimeout(context.Background(), 5*time.Millisecond)
		if err != nil {
			break
		}
		if m, ok := msg.(*redis.Message); ok {
			got[m.Channel] = append(got[m.Channel], m.Payload)
		}
	}
	for ch, values := range got {
		sub.env.Rec.Record(history.Op{Process: sub.process, Type: history.OK, F: history.FBuffered, Channel: ch, Values: values, Workload: sub.workload})
	}
}

// unsubscribeAll unsubscribes and receives (recording messages) until the
// last confirmation: then the server saved the cursor after everything
// this session received.
func (sub *subscriber) unsubscribeAll(ps *redis.PubSub, chans []string) error {
	if err := ps.Unsubscribe(context.Background(), chans...); err != nil {
		return err
	}
	deadline := time.Now().Add(sub.env.Timeout * 5)
	for time.Now().Before(deadline) {
		msg, err := ps.ReceiveTimeout(context.Background(), sub.env.Timeout)
		if err != nil {
			return err
		}
		if s, ok := msg.(*redis.Subscription); ok && s.Kind == "unsubscribe" && s.Count == 0 {
			return nil
		}
		sub.take(msg)
	}
	return errors.New("no UNSUBSCRIBE confirmation")
}

// endOf classifies the error that ended a session: our own timeouts mean
// the client gave up (dropped), anything else that the server closed it.
func endOf(err error) string {
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return EndDropped
	}
	switch err.Error() {
	case "no PONG", "no UNSUBSCRIBE confirmation":
		return EndDropped
	}
	return EndBroken
}
