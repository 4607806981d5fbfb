package wal

import (
	"time"
)

// maxRetentionTrimsPerRequest bounds one retention pass's batch.
const maxRetentionTrimsPerRequest = 1024

func (l *Log) retentionLoop() {
	l.every(l.opts.RetentionInterval, func() {
		if err := l.EnforceRetention(); err != nil && l.Failed() == nil {
			l.opts.Logger.Warn("wal: retention pass failed", "err", err)
		}
	})
}

// every runs fn once per interval until the log closes; it is one of the
// log's goroutines (l.wg).
func (l *Log) every(interval time.Duration, fn func()) {
	defer l.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.closing:
			return
		case <-t.C:
			fn()
		}
	}
}

// EnforceRetention trims every channel that is over its limits (age, length,
// bytes) and returns once those trims are durable.
func (l *Log) EnforceRetention() error {
	now := l.opts.NowMs()
	r := NewRequest()
	var firstErr error
	flush := func() {
		if len(r.Commands) == 0 {
			return
		}
		if err := l.Submit(r); err != nil {
			firstErr = err
			r.Reset()
			return
		}
		r.Wait()
		for i := range r.Commands {
			p := r.op(i)
			if p.Err != nil && firstErr == nil {
				firstErr = p.Err
			}
			if p.N > 0 {
				l.opts.Logger.Debug("wal: retention trimmed", "channel", string(p.Channel), "entries", p.N)
			}
		}
		r.Reset()
	}
	l.Channels(func(c ChannelInfo) bool {
		lim := c.Meta.Retention.Effective(l.opts.Retention)
		m := &c.Meta
		if m.Length == 0 {
			return true
		}
		name := []byte(c.Name)
		if lim.MaxLen > 0 && m.Length > uint64(lim.MaxLen) {
			addTrim(r, name, Trim{Strategy: TrimMaxLen, MaxLen: uint64(lim.MaxLen), Interest: lim.Interest})
		}
		if lim.MaxAgeMs > 0 && now-lim.MaxAgeMs > 0 && m.FirstID.Ms < uint64(now-lim.MaxAgeMs) {
			addTrim(r, name, Trim{Strategy: TrimMinID, MinID: ID{Ms: uint64(now - lim.MaxAgeMs)}, Interest: lim.Interest})
		}
		if lim.MaxBytes > 0 && m.Bytes > uint64(lim.MaxBytes) {
			addTrim(r, name, Trim{Strategy: TrimMaxBytes, MaxBytes: uint64(lim.MaxBytes)})
		}
		if len(r.Commands) >= maxRetentionTrimsPerRequest {
			flush()
		}
		return firstErr == nil
	})
	flush()
	return firstErr
}

func addTrim(r *Request, name []byte, t Trim) {
	p := r.Add()
	p.Kind, p.Channel, p.Trim = OpTrim, name, t
}
