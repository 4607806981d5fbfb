package broker

import "time"

// The node's timers: the redelivery scan (redelivery.go), the retention
// pass, and the saving and expiry of subscriber cursors (resume.go). A timer decides from what the
// node has durable and proposes commands; it never changes state itself,
// and everything it decided is in its commands (a retention trim carries
// its bound, not "now"), so every replica applies the same. Their one
// entry path is propose: a single node applies what it proposes on its own
// writer; a cluster (issue 13) will route a proposal to the leader of the
// channel's shard, and a replica applying replicated entries proposes
// nothing of its own.

// propose submits a request the node decided on its own (a timer's) and
// waits for it.
func (b *Broker) propose(r *Request) error { return b.Do(r) }

// every runs fn once per interval until the broker closes; it is one of
// the broker's goroutines (b.wg).
func (b *Broker) every(interval time.Duration, fn func()) {
	defer b.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
			fn()
		}
	}
}

// maxRetentionTrimsPerRequest bounds one retention pass's batch.
const maxRetentionTrimsPerRequest = 1024

func (b *Broker) retentionLoop(interval time.Duration) {
	b.every(interval, func() {
		if err := b.EnforceRetention(); err != nil && b.Failed() == nil {
			b.cfg.Logger.Warn("retention pass failed", "err", err)
		}
	})
}

// EnforceRetention runs one retention pass now: it trims every channel
// over its limits (age, length, bytes: its own overrides over the
// server's defaults) and returns once those trims are durable.
func (b *Broker) EnforceRetention() error {
	now := b.Now()
	r := NewRequest()
	var firstErr error
	flush := func() {
		if r.Len() == 0 {
			return
		}
		if err := b.propose(r); err != nil {
			firstErr = err
			r.Reset()
			return
		}
		for i := range r.Len() {
			res := r.Result(i)
			if res.Err != nil && firstErr == nil {
				firstErr = res.Err
			}
			if res.N > 0 {
				b.cfg.Logger.Debug("retention trimmed", "channel", string(r.Command(i).Channel), "entries", res.N)
			}
		}
		r.Reset()
	}
	b.Channels(func(c ChannelInfo) bool {
		for _, t := range retentionTrims(&c.Meta, c.Meta.Retention.Effective(b.cfg.Retention), now) {
			cmd := r.Add()
			cmd.Kind, cmd.Channel, cmd.Trim = OpTrim, []byte(c.Name), t
		}
		if r.Len() >= maxRetentionTrimsPerRequest {
			flush()
		}
		return firstErr == nil
	})
	flush()
	return firstErr
}

// retentionTrims returns the trims that bring a channel described by m
// within the limits lim at time nowMs (none when it is within them).
func retentionTrims(m *Meta, lim Retention, nowMs int64) []Trim {
	if m.Length == 0 {
		return nil
	}
	var trims []Trim
	if lim.MaxLen > 0 && m.Length > uint64(lim.MaxLen) {
		trims = append(trims, Trim{Strategy: TrimMaxLen, MaxLen: uint64(lim.MaxLen), Interest: lim.Interest})
	}
	if lim.MaxAgeMs > 0 && nowMs-lim.MaxAgeMs > 0 && m.FirstID.Ms < uint64(nowMs-lim.MaxAgeMs) {
		trims = append(trims, Trim{Strategy: TrimMinID, MinID: ID{Ms: uint64(nowMs - lim.MaxAgeMs)}, Interest: lim.Interest})
	}
	if lim.MaxBytes > 0 && m.Bytes > uint64(lim.MaxBytes) {
		trims = append(trims, Trim{Strategy: TrimMaxBytes, MaxBytes: uint64(lim.MaxBytes)})
	}
	return trims
}
