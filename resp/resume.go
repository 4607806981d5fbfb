package resp

import (
	"errors"
	"sort"
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
// cursor is written to the client once it is back. The cursor moves when
// the client's TCP stack has acknowledged a message's last byte (tcpack.go),
// not when the client has processed it (Pub/Sub has no acks): what was in
// the server's socket or on the wire when the connection broke is sent
// again; what the client's kernel had received but the client never read is
// not. Where the socket cannot tell (not Linux, not TCP) the cursor moves
// when the socket accepted the message, and messages in flight are not
// resent. An UNSUBSCRIBE saves everything queued before its confirmation,
// which a client that read the confirmation has. Cursors are saved about
// once a second (and at unsubscribe or disconnect), so after a server crash
// a client may receive up to a second of messages again. For at-least-once
// with acks, use consumer groups.
//
// A cursor belongs to one incarnation of its channel: a channel deleted
// (DEL, FLUSHALL) and created again is a new channel whose IDs start afresh,
// so a cursor of an earlier incarnation resumes from the start of the
// current one, and a live message of a later incarnation always goes out,
// whatever its ID.
//
// PSUBSCRIBE resumes the same way, with a cursor per (name, pattern,
// channel) and a base record for (name, pattern): on a resume, every
// channel matching the pattern is caught up after its cursor, and a channel
// without one (it appeared after the first subscription) from its start,
// channel by channel in name order, then live. Order holds within each
// channel, not across channels during the catch-up.

// resumeState is a named subscriber's position on one channel, of a
// channel subscription or of a pattern subscription. Guarded by the
// connection's out.mu.
type resumeState struct {
	id       position   // last message queued for the socket
	sent     position   // last message the client's TCP stack acknowledged: the cursor
	acks     []ackPoint // queued messages not acknowledged yet (tcpack.go)
	resuming bool       // catching up from the log: live messages are dropped
	dirty    bool       // sent moved since it was last saved
}

// position is a message's place: an ID in one incarnation of its channel
// (broker.Meta.Incarnation; 0 before the channel existed).
type position struct {
	inc uint64
	id  broker.ID
}

// before reports whether the message (inc, id) comes after p: later in the
// same incarnation, or in a later one (incarnations only grow).
func (p position) before(inc uint64, id broker.ID) bool {
	if inc != p.inc {
		return inc > p.inc
	}
	return p.id.Less(id)
}

// positionOf is a stored cursor's position; one stored without its
// incarnation (before they were kept) belongs to the channel's current one.
func positionOf(pos broker.CursorPos, current uint64) position {
	if pos.Incarnation == 0 && !pos.ID.IsZero() {
		return position{current, pos.ID}
	}
	return position{pos.Incarnation, pos.ID}
}

// patternResume is a named subscriber's position on a pattern: a cursor
// per channel it delivered from. Guarded by out.mu.
type patternResume struct {
	resuming bool // catching up from the log: live messages are dropped
	newBase  bool // first subscription of the name to the pattern: save its base record
	chans    map[string]*resumeState
}

// moveLocked records that everything of st's channel up to id is queued
// for the socket (call it after queueing the bytes, with out.mu held): the
// cursor follows once the client acknowledged them (tcpack.go).
func (c *conn) moveLocked(st *resumeState, to position) {
	st.id = to
	c.pendAckLocked(st, to)
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
// channel's current end. It runs on the reader goroutine, before the
// subscribe confirmation is queued and the subscription registered (see
// subscribeCmd).
func (c *conn) trackChannel(channel string) (*resumeState, bool) {
	name := c.name()
	from, found, err := c.s.b.CursorOf([]byte(name), []byte(channel))
	if err != nil {
		c.s.log.Warn("resp: reading a subscriber cursor", "client", c.id, "err", err)
	}
	st := &resumeState{resuming: found}
	m, exists := c.s.b.Meta([]byte(channel))
	if found {
		st.id = positionOf(from, m.Incarnation)
	} else if exists {
		st.id, st.dirty = position{m.Incarnation, m.LastID}, true // from now on
	}
	st.sent = st.id

	c.out.mu.Lock()
	if c.cursors == nil {
		c.cursors = make(map[string]*resumeState)
	}
	c.tracked.Store(true)
	c.cursors[channel] = st
	c.out.mu.Unlock()
	return st, found
}

// catchUpPage is how many entries a catch-up reads from the log at a time.
const catchUpPage = 1000

// catchUp writes the channel's entries after st.id, then switches to live.
func (c *conn) catchUp(channel []byte, st *resumeState) {
	c.replay(nil, channel, st)
	c.out.mu.Lock()
	c.replayLocked(nil, channel, st)
	st.resuming = false
	c.out.mu.Unlock()
}

// replay writes the channel's entries after st.id to the client, a page at
// a time, until it reaches the durable end. It runs on the reader goroutine
// while live messages for st are dropped (resuming), so only it moves st.
func (c *conn) replay(pattern, channel []byte, st *resumeState) {
	for {
		from, ok := c.replayFrom(channel, st)
		if !ok {
			return
		}
		n, last, changed := c.writeLogMessages(pattern, channel, from, catchUpPage)
		if n > 0 {
			c.out.mu.Lock()
			c.commitRepliesLocked()
			c.moveLocked(st, last)
			c.out.mu.Unlock()
			c.flush()
		}
		if n < catchUpPage && !changed {
			return
		}
	}
}

// replayFrom returns where a catch-up of st goes on in the channel's current
// incarnation: after st.id in the same one, from the start of a later one
// (the channel was deleted and created again). It reports false when there
// is nothing to read.
func (c *conn) replayFrom(channel []byte, st *resumeState) (position, bool) {
	m, ok := c.s.b.Meta(channel)
	switch {
	case !ok || m.Incarnation < st.id.inc:
		return position{}, false
	case m.Incarnation > st.id.inc:
		return position{inc: m.Incarnation}, true
	}
	next, ok := st.id.id.Next()
	return position{m.Incarnation, next}, ok
}

// replayLocked writes what replay has not reached yet, straight into the
// shared output buffer. With out.mu held, which Deliver also takes, no live
// message can fall between the log and the live stream: a message Deliver
// has not handed over yet is either in the durable view read here (and then
// dropped by advanceCursor as already written) or newer.
func (c *conn) replayLocked(pattern, channel []byte, st *resumeState) {
	saved := c.w
	c.w = writer{proto: c.w.proto}
	for {
		from, ok := c.replayFrom(channel, st)
		if !ok {
			break
		}
		n, last, changed := c.writeLogMessages(pattern, channel, from, catchUpPage)
		if n == 0 && !changed {
			break
		}
		if !c.out.closed {
			c.queueLocked(c.w.buf, false)
		}
		c.w.buf = c.w.buf[:0]
		if n > 0 {
			c.moveLocked(st, last)
		}
	}
	c.w = saved
}

// errIncarnation stops a catch-up read that found the channel deleted and
// created again since its start was chosen.
var errIncarnation = errors.New("resp: the channel's incarnation changed")

// writeLogMessages writes up to limit entries from start (in its
// incarnation) as message (or, with a pattern, pmessage) pushes into c.w,
// and returns how many, the last one's position, and whether it stopped
// because the channel is now another incarnation (then read again).
func (c *conn) writeLogMessages(pattern, channel []byte, start position, limit int) (int, position, bool) {
	var last position
	n, err := c.s.b.Range(channel, broker.RangeQuery{Start: start.id, End: broker.MaxID, Count: limit}, func(e *broker.Entry) error {
		if e.Incarnation != start.inc {
			return errIncarnation
		}
		if pattern != nil {
			c.w.Push(4)
			c.w.BulkString("pmessage")
			c.w.Bulk(pattern)
		} else {
			c.w.Push(3)
			c.w.BulkString("message")
		}
		c.w.Bulk(channel)
		c.w.Bulk(payload(e.Fields))
		last = position{e.Incarnation, e.ID}
		return nil
	})
	if errors.Is(err, errIncarnation) {
		return n, last, true
	}
	if err != nil {
		c.s.log.Warn("resp: replaying to a resumed subscriber", "client", c.id, "err", err)
	}
	return n, last, false
}

// trackPattern sets up the cursors of a new pattern subscription. If the
// name subscribed to the pattern before, it loads the stored cursors and
// reports true (catch up); otherwise it starts each existing matching
// channel at its current end, and a channel that appears later from its
// start. It runs on the reader goroutine before the subscription is
// registered.
func (c *conn) trackPattern(pattern string) (*patternResume, bool) {
	name := c.name()
	found, stored, err := c.s.b.PatternCursors([]byte(name), []byte(pattern))
	if err != nil {
		c.s.log.Warn("resp: reading a subscriber's pattern cursors", "client", c.id, "err", err)
		found, stored = false, nil
	}
	ps := &patternResume{resuming: found, newBase: !found, chans: make(map[string]*resumeState)}
	if found {
		for ch, pos := range stored {
			m, _ := c.s.b.Meta([]byte(ch))
			at := positionOf(pos, m.Incarnation)
			ps.chans[ch] = &resumeState{id: at, sent: at}
		}
	} else {
		c.s.b.Channels(func(ci broker.ChannelInfo) bool {
			if broker.MatchPattern([]byte(pattern), []byte(ci.Name)) {
				at := position{ci.Meta.Incarnation, ci.Meta.LastID}
				ps.chans[ci.Name] = &resumeState{id: at, sent: at, dirty: true}
			}
			return true
		})
	}
	c.out.mu.Lock()
	if c.pcursors == nil {
		c.pcursors = make(map[string]*patternResume)
	}
	c.tracked.Store(true)
	c.pcursors[pattern] = ps
	c.out.mu.Unlock()
	return ps, found
}

// catchUpPattern writes, channel by channel, every entry of every channel
// matching the pattern after its cursor (from the start for a channel
// without one), then switches to live. Order holds within each channel;
// across channels the catch-up goes channel by channel, in name order.
func (c *conn) catchUpPattern(pattern []byte, ps *patternResume) {
	for _, ch := range c.matchingChannels(pattern) {
		c.replay(pattern, []byte(ch), c.patternStateLocking(ps, ch))
	}
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	// Again under the lock, with channels that appeared meanwhile.
	for _, ch := range c.matchingChannels(pattern) {
		c.replayLocked(pattern, []byte(ch), patternState(ps, ch))
	}
	ps.resuming = false
}

// matchingChannels lists existing channels matching pattern, sorted.
func (c *conn) matchingChannels(pattern []byte) []string {
	var names []string
	c.s.b.Channels(func(ci broker.ChannelInfo) bool {
		if broker.MatchPattern(pattern, []byte(ci.Name)) {
			names = append(names, ci.Name)
		}
		return true
	})
	sort.Strings(names)
	return names
}

// patternState returns the pattern's state on a channel, creating it at
// the channel's start. Called with out.mu held.
func patternState(ps *patternResume, channel string) *resumeState {
	st := ps.chans[channel]
	if st == nil {
		st = &resumeState{}
		ps.chans[channel] = st
	}
	return st
}

func (c *conn) patternStateLocking(ps *patternResume, channel string) *resumeState {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	return patternState(ps, channel)
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
	if !c.out.closed {
		c.ackLocked() // acks that came after the last write
	}
	for ch, st := range c.cursors {
		if (st.dirty || force) && !st.resuming {
			cs = append(cs, broker.Cursor{Name: []byte(name), Channel: []byte(ch), ID: st.sent.id, Incarnation: st.sent.inc, SeenMs: now})
			st.dirty = false
		}
	}
	for pat, ps := range c.pcursors {
		cs = ps.appendCursors(cs, name, pat, now, force)
	}
	c.out.mu.Unlock()
	if err := c.s.b.SaveCursors(cs); err != nil {
		c.s.log.Warn("resp: saving subscriber cursors", "client", c.id, "err", err)
	}
}

// appendCursors appends the pattern's cursors to save (all with force):
// nothing while it catches up, as the stored ones are still right.
func (ps *patternResume) appendCursors(cs []broker.Cursor, name, pattern string, now int64, force bool) []broker.Cursor {
	if ps.resuming {
		return cs
	}
	if ps.newBase || force {
		cs = append(cs, broker.Cursor{Name: []byte(name), OnPattern: true, Base: true, Pattern: []byte(pattern), SeenMs: now})
		ps.newBase = false
	}
	for ch, st := range ps.chans {
		if st.dirty || force {
			cs = append(cs, broker.Cursor{Name: []byte(name), OnPattern: true, Pattern: []byte(pattern), Channel: []byte(ch),
				ID: st.sent.id, Incarnation: st.sent.inc, SeenMs: now})
			st.dirty = false
		}
	}
	return cs
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
			has := len(c.cursors) > 0 || len(c.pcursors) > 0
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
// Called by Deliver with out.mu held, before it appends the message.
func (c *conn) advanceCursor(channel []byte, inc uint64, msg *broker.Message) (*resumeState, bool) {
	st := c.cursors[string(channel)]
	if st == nil {
		return nil, true
	}
	return st, !st.resuming && st.id.before(inc, broker.ID{Ms: msg.ID[0], Seq: msg.ID[1]})
}

// advancePatternCursor is advanceCursor for a pattern subscription.
func (c *conn) advancePatternCursor(pattern, channel []byte, inc uint64, msg *broker.Message) (*resumeState, bool) {
	ps := c.pcursors[string(pattern)]
	if ps == nil {
		return nil, true
	}
	if ps.resuming {
		return nil, false
	}
	st := patternState(ps, string(channel))
	return st, st.id.before(inc, broker.ID{Ms: msg.ID[0], Seq: msg.ID[1]})
}

// writeQueued writes what is queued for the socket and waits for it, so
// that the cursors reflect it. UNSUBSCRIBE calls it before it saves a
// cursor: its confirmation follows those messages, so a client that reads
// the confirmation has them, and a later resume must not send them again.
// If the write fails the connection is going away, and the save at the
// disconnect keeps what the socket accepted.
func (c *conn) writeQueued() {
	c.flush()
	c.waitFlushed()
}

// forgetCursor saves and stops tracking one channel's cursor (UNSUBSCRIBE).
func (c *conn) forgetCursor(channel string) {
	c.out.mu.Lock()
	st := c.cursors[channel]
	c.out.mu.Unlock()
	if st == nil {
		return
	}
	c.writeQueued()
	c.out.mu.Lock()
	delete(c.cursors, channel)
	sent, resuming := st.unsubscribedAtLocked(c), st.resuming
	c.forgetAcksLocked(st)
	c.out.mu.Unlock()
	if resuming {
		return
	}
	cs := []broker.Cursor{{Name: []byte(c.name()), Channel: []byte(channel), ID: sent.id, Incarnation: sent.inc, SeenMs: time.Now().UnixMilli()}}
	if err := c.s.b.SaveCursors(cs); err != nil {
		c.s.log.Warn("resp: saving a subscriber cursor", "client", c.id, "err", err)
	}
}

// forgetPattern saves and stops tracking one pattern's cursors
// (PUNSUBSCRIBE).
func (c *conn) forgetPattern(pattern string) {
	c.out.mu.Lock()
	ps := c.pcursors[pattern]
	c.out.mu.Unlock()
	if ps == nil {
		return
	}
	name := c.name()
	c.writeQueued()
	c.out.mu.Lock()
	delete(c.pcursors, pattern)
	for _, st := range ps.chans {
		st.sent = st.unsubscribedAtLocked(c)
		c.forgetAcksLocked(st)
	}
	cs := ps.appendCursors(nil, name, pattern, time.Now().UnixMilli(), true)
	c.out.mu.Unlock()
	if err := c.s.b.SaveCursors(cs); err != nil {
		c.s.log.Warn("resp: saving a subscriber's pattern cursors", "client", c.id, "err", err)
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
