package wal

// exclusive runs fn on the writer goroutine once every request queued
// before it is durable and nothing else is in flight, and returns its
// error. Requests queued after it are applied after it returns.
func (l *Log) exclusive(fn func() error) error {
	r := NewRequest()
	r.run = fn
	if err := l.Submit(r); err != nil {
		return err
	}
	r.Wait()
	return r.runErr
}

// applyExclusive runs r.run with the batch before it committed and the
// committer idle (the writer holds the token).
func (l *Log) applyExclusive(r *Request) {
	if l.w.cur != nil {
		l.takeToken()
		l.handOver()
	}
	l.takeToken()
	if err := l.Failed(); err != nil {
		r.runErr = err
	} else {
		r.runErr = r.run()
	}
	r.finish()
}

// reloadState rebuilds the node's view of the replicated state (channels,
// groups, counters, the applied index and the state clock) from the
// database, after something replaced it underneath (Restore). It runs on
// the writer goroutine with nothing in flight. Readers waiting on a channel
// are woken and find the reloaded one.
func (l *Log) reloadState() error {
	fresh := &Log{opts: l.opts, db: l.db, channels: make(map[string]*channel)}
	if err := fresh.load(); err != nil {
		return err
	}
	l.chMu.Lock()
	old := l.channels
	l.channels = fresh.channels
	l.chMu.Unlock()
	w := &l.w
	w.nextCID, w.applied, w.clock = fresh.w.nextCID, fresh.w.applied, fresh.w.clock
	w.redelivery, w.nodeLimits = fresh.w.redelivery, fresh.w.nodeLimits
	limits := w.nodeLimits
	l.nodeLimits.Store(&limits)
	l.durableApplied.Store(w.applied)
	l.views.advance(l.db)
	for _, ch := range old {
		ch.publish(Meta{}, false)
	}
	return nil
}
