package resp

import (
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// Resumable subscribers. A client that has a name (CLIENT SETNAME, HELLO
// SETNAME) matching Config.ResumeNames gets a cursor per channel it
// SUBSCRIBEs to: the ID of the last message of that channel its socket
// accepted. When a client with the same name SUBSCRIBEs to that channel again
// (after a disconnect, or on another connection), it first receives every
// entry after its cursor, in order, then live messages, with no duplicate
// and no gap at the seam. A name subscribing to a channel for the first time
// gets Redis's behaviour (live messages only), and so does an unnamed client.
//
// What this guarantees, precisely: every entry of the channel after the
// cursor is written to the client once it is back. The cursor moves when the
// socket accepted a message, not when the client has processed it (Pub/Sub
// has no acks), so messages in the network when the connection breaks are
// not resent (a slow subscriber disconnected with unsent output gets that
// output again), and cursors are saved about once a second
// (and at unsubscribe or disconnect), so after a server crash a client may
// receive up to a second of messages again. For at-least-once with acks,
// use consumer groups. PSUBSCRIBE does not resume (yet).

// resumeState is a named subscriber's position on one channel. Guarded by
// the connection's out.mu.
type resumeState struct {
	id       broker.ID // last message queued for the socket
	inflight broker.ID // last message in the buffer being written
	sent     broker.ID // last message the socket accepted: the cursor
	resuming bool      // catching up from the log: live messages are dropped
	dirty    bool      // sent moved since it was last saved
}

// cursorsInFlightLocked marks what was queued as being written; called by
// flushLocked with out.mu held, as it takes the buffer.
func (c *conn) cursorsInFlightLocked() {
	for _, st := range c.cursors {
		st.inflight = st.id
	}
}

// cursorsSentLocked moves each cursor to what the socket accepted; called
// by flushLocked after a successful write. A subscriber disconnected with
// unsent output keeps a cursor before it, so it gets it again on resume.
func (c *conn) cursorsSentLocked() {
	for _, st := range c.cursors {
		if st.sent != st.inflight {
			st.sent, st.dirty = st.inflight, true
		}
	}
}

// resumable reports whether this client's subscriptions resume.
func (c *conn) resumable() bool {
	if c.s.resumeNames == "" {
		return false
	}
	name := c.name()
	return name != "" && broker.MatchPattern([]byte(c.s.resumeNames), []byte(name))
}

// trackChannel sets up the cursor of a new channel subscription: the
// stored one if the name has one (then it reports true: catch up), else the
// channel's current end. It runs on the reader goroutine, after the
// subscribe confirmation was queued and before the subscription is
// registered (see subscribeCmd).
func (c *conn) trackChannel(channel string) (*resumeState, bool) {
	name := c.name()
	from, found, err := c.s.b.CursorOf([]byte(name), []byte(channel))
	if err != nil {
		c.s.log.Warn("resp: reading a subscriber cursor", "client", c.id, "err", err)
	}
	st := &resumeState{resuming: found}
	if found {
		st.id = from
	} else if m, ok := c.s.b.Meta([]byte(channel)); ok {
		st.id, st.dirty = m.LastID, true // from now on
	}
	st.inflight, st.sent = st.id, st.id

	c.out.mu.Lock()
	if c.cursors == nil {
		c.cursors = make(map[string]*resumeState)
	}
	c.cursors[channel] = st
	c.out.mu.Unlock()
	return st, found
}

// catchUp writes the channel's entries after st.id, then switches to live.
// The last read happens under out.mu, which Deliver also takes, so no
// message can fall between the log and the live stream.
func (c *conn) catchUp(channel []byte, st *resumeState) {
	const page = 1000
	for {
		next, ok := st.id.Next()
		if !ok {
			break
		}
		n, last := c.writeLogMessages(channel, next, page)
		if n > 0 {
			st.id = last
			c.commitReplies()
			c.flush()
		}
		if n < page {
			break
		}
	}
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	w := writer{buf: c.out.buf, proto: c.w.proto}
	saved := c.w
	c.w = w
	for {
		next, ok := st.id.Next()
		if !ok {
			break
		}
		n, last := c.writeLogMessages(channel, next, page)
		if n == 0 {
			break
		}
		st.id = last
	}
	c.out.buf = c.w.buf
	c.w = saved
	st.resuming = false
}

// writeLogMessages writes up to limit entries from start as message pushes
// into c.w, and returns how many and the last ID.
func (c *conn) writeLogMessages(channel []byte, start broker.ID, limit int) (int, broker.ID) {
	var last broker.ID
	n, err := c.s.b.Range(channel, broker.RangeQuery{Start: start, End: broker.MaxID, Count: limit}, func(e *broker.Entry) error {
		c.w.Push(3)
		c.w.BulkString("message")
		c.w.Bulk(channel)
		c.w.Bulk(payload(e.Fields))
		last = e.ID
		return nil
	})
	if err != nil {
		c.s.log.Warn("resp: replaying to a resumed subscriber", "client", c.id, "err", err)
	}
	return n, last
}

// saveCursors writes this client's moved cursors (all with force).
func (c *conn) saveCursors(force bool) {
	name := c.name()
	if name == "" {
		return
	}
	now := time.Now().UnixMilli()
	var cs []broker.Cursor
	c.out.mu.Lock()
	for ch, st := range c.cursors {
		if (st.dirty || force) && !st.resuming {
			cs = append(cs, broker.Cursor{Name: []byte(name), Channel: []byte(ch), ID: st.sent, SeenMs: now})
			st.dirty = false
		}
	}
	c.out.mu.Unlock()
	if err := c.s.b.SaveCursors(cs); err != nil {
		c.s.log.Warn("resp: saving subscriber cursors", "client", c.id, "err", err)
	}
}

// cursorLoop saves moved cursors of every client about once a second and
// expires the cursors of names not seen for ResumeTTL.
func (s *Server) cursorLoop() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lastExpiry := time.Now()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		for _, c := range s.clients() {
			c.out.mu.Lock()
			has := len(c.cursors) > 0
			c.out.mu.Unlock()
			if has {
				c.saveCursors(false)
			}
		}
		if time.Since(lastExpiry) >= s.resumeTTL/10 || time.Since(lastExpiry) >= time.Minute {
			lastExpiry = time.Now()
			if n, err := s.b.ExpireCursors(s.resumeTTL); err != nil {
				s.log.Warn("resp: expiring subscriber cursors", "err", err)
			} else if n > 0 {
				s.log.Info("resp: expired subscriber cursors", "count", n)
			}
		}
	}
}

// advanceCursor decides whether a live message goes to a tracked channel
// subscription (not while catching up, never twice) and moves the cursor.
// Called by Deliver with out.mu held.
func (c *conn) advanceCursor(channel []byte, msg *broker.Message) bool {
	st := c.cursors[string(channel)]
	if st == nil {
		return true
	}
	id := broker.ID{Ms: msg.ID[0], Seq: msg.ID[1]}
	if st.resuming || !st.id.Less(id) {
		return false
	}
	st.id = id
	return true
}

// forgetCursor saves and stops tracking one channel's cursor (UNSUBSCRIBE).
func (c *conn) forgetCursor(channel string) {
	c.out.mu.Lock()
	st := c.cursors[channel]
	delete(c.cursors, channel)
	c.out.mu.Unlock()
	if st == nil || st.resuming {
		return
	}
	cs := []broker.Cursor{{Name: []byte(c.name()), Channel: []byte(channel), ID: st.sent, SeenMs: time.Now().UnixMilli()}}
	if err := c.s.b.SaveCursors(cs); err != nil {
		c.s.log.Warn("resp: saving a subscriber cursor", "client", c.id, "err", err)
	}
}

// waitFlushed waits until no write to the socket is in progress (at most
// the write timeout), so that the cursors saved at a disconnect include
// everything the socket accepted.
func (c *conn) waitFlushed() {
	deadline := time.Now().Add(c.s.limits.WriteTimeout)
	for {
		c.out.mu.Lock()
		busy := c.out.flushing
		c.out.mu.Unlock()
		if !busy || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
