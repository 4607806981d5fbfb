package broker

import (
	"errors"
	"sort"
	"sync"
	"time"
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
//
// (The names above are the Redis front's: Config.ResumeNames and tcpack.go
// are in package resp, which decides which clients resume and when a client
// has a message. What this file keeps is the rest: the cursors, the
// catch-up from the log, the seam with live delivery, and saving them.)

// A ResumeFront is the front end of one client's resumable subscriptions:
// where a catch-up is written and what tells when the client has a message.
type ResumeFront interface {
	// Lock and Unlock guard the client's output and its resume state: live
	// delivery holds the lock while it asks a Resume whether a message goes
	// out (LiveChannelLocked, LivePatternLocked) and queues it, and the last
	// pages of a catch-up are written and queued with it held, so that no
	// live message falls between the log and the live stream.
	sync.Locker
	// ResumeName is the client's name, under which its cursors are read
	// and saved ("": saved under none).
	ResumeName() string

	// WriteEntry encodes entry e of channel for the client: a message of a
	// channel subscription, or with a non-nil pattern of that pattern
	// subscription. It is queued by the next CommitLocked. It is called
	// without the lock for the first pages of a catch-up and with it held
	// for the last ones (final), never concurrently.
	WriteEntry(pattern, channel []byte, e *Entry)
	// CommitLocked queues what WriteEntry encoded since the last commit.
	// Called with the lock held; final tells the last pages of a catch-up,
	// which the front writes when the command that subscribed is answered.
	CommitLocked(final bool)
	// Flush starts writing what is queued (called without the lock).
	Flush()
	// WriteQueued writes what is queued and waits for it (without the
	// lock): what an unsubscribe saves is what was queued before it.
	WriteQueued()

	// PendingLocked records that the cursor's messages up to to are queued
	// for the client; once the client has them, the front reports it with
	// ClientHasLocked. Called with the lock held.
	PendingLocked(c *ResumeCursor, to Position)
	// AckedLocked reports with ClientHasLocked what the client has by now;
	// cursors are read for saving right after. Called with the lock held.
	AckedLocked()
	// ForgetLocked stops waiting for the client to have c's messages (its
	// subscription ends): if what was queued is written, the front reports
	// it with ClientHasLocked first. Called with the lock held.
	ForgetLocked(c *ResumeCursor)
}

// Position is a message's place: an ID in one incarnation of its channel
// (Meta.Incarnation; 0 before the channel existed).
type Position struct {
	Incarnation uint64
	ID          ID
}

// Before reports whether the message (inc, id) comes after p: later in the
// same incarnation, or in a later one (incarnations only grow).
func (p Position) Before(inc uint64, id ID) bool {
	if inc != p.Incarnation {
		return inc > p.Incarnation
	}
	return p.ID.Less(id)
}

// positionOf is a stored cursor's position; one stored without its
// incarnation (before they were kept) belongs to the channel's current one.
func positionOf(pos CursorPos, current uint64) Position {
	if pos.Incarnation == 0 && !pos.ID.IsZero() {
		return Position{current, pos.ID}
	}
	return Position{pos.Incarnation, pos.ID}
}

// ResumeCursor is a named subscriber's position on one channel, of a
// channel subscription or of a pattern subscription. Guarded by its
// front's lock.
type ResumeCursor struct {
	queued   Position // last message queued for the client
	has      Position // last message the client has: the cursor
	resuming bool     // catching up from the log: live messages are dropped
	dirty    bool     // has moved since it was last saved
}

// ClientHasLocked records that the client has every message of the cursor's
// channel up to p: the cursor moves there, and is saved with the next
// save. The front calls it with its lock held.
func (c *ResumeCursor) ClientHasLocked(p Position) {
	c.has, c.dirty = p, true
}

// LastQueuedLocked returns the position of the last message queued for
// the client (front lock held).
func (c *ResumeCursor) LastQueuedLocked() Position { return c.queued }

// patternResume is a named subscriber's position on a pattern: a cursor
// per channel it delivered from. Guarded by the front's lock.
type patternResume struct {
	resuming bool // catching up from the log: live messages are dropped
	newBase  bool // first subscription of the name to the pattern: save its base record
	chans    map[string]*ResumeCursor
}

// cursor returns the pattern's cursor on a channel, creating it at the
// channel's start. Called with the front's lock held.
func (ps *patternResume) cursor(channel string) *ResumeCursor {
	c := ps.chans[channel]
	if c == nil {
		c = &ResumeCursor{}
		ps.chans[channel] = c
	}
	return c
}

// Resume is one client's resumable subscriptions (Broker.NewResume): its
// cursors by channel and by pattern, which the broker saves about once a
// second until Close. A front calls TrackChannel or TrackPattern before it
// registers a subscription, CatchUpChannel or CatchUpPattern right after,
// the Live methods for every message it delivers, and the Forget methods
// at unsubscribe. Its maps are guarded by the front's lock.
type Resume struct {
	b     *Broker
	front ResumeFront
	chans map[string]*ResumeCursor
	pats  map[string]*patternResume
}

// NewResume returns the resumable subscriptions of the client front is for,
// with no cursors yet; the broker saves them periodically until Close.
func (b *Broker) NewResume(front ResumeFront) *Resume {
	r := &Resume{b: b, front: front, chans: make(map[string]*ResumeCursor), pats: make(map[string]*patternResume)}
	b.resumeMu.Lock()
	b.resumes[r] = struct{}{}
	b.resumeMu.Unlock()
	return r
}

// Close saves every cursor and stops tracking them (disconnect, RESET).
func (r *Resume) Close() {
	r.Save(true)
	r.front.Lock()
	clear(r.chans)
	clear(r.pats)
	r.front.Unlock()
	r.b.resumeMu.Lock()
	delete(r.b.resumes, r)
	r.b.resumeMu.Unlock()
}

// HasCursors reports whether the client has a cursor.
func (r *Resume) HasCursors() bool {
	r.front.Lock()
	defer r.front.Unlock()
	return r.hasCursorsLocked()
}

func (r *Resume) hasCursorsLocked() bool { return len(r.chans) > 0 || len(r.pats) > 0 }

// TrackChannel sets up the cursor of a new channel subscription: the
// stored one if the name has one (then it reports true: call
// CatchUpChannel once the subscription is registered), else the channel's
// current end. Call it before the subscription is registered and its
// confirmation queued.
func (r *Resume) TrackChannel(channel string) (*ResumeCursor, bool) {
	name := r.front.ResumeName()
	from, found, err := r.b.CursorOf([]byte(name), []byte(channel))
	if err != nil {
		r.b.cfg.Logger.Warn("broker: reading a subscriber cursor", "name", name, "err", err)
	}
	c := &ResumeCursor{resuming: found}
	m, exists := r.b.Meta([]byte(channel))
	if found {
		c.queued = positionOf(from, m.Incarnation)
	} else if exists {
		c.queued, c.dirty = Position{m.Incarnation, m.LastID}, true // from now on
	}
	c.has = c.queued

	r.front.Lock()
	r.chans[channel] = c
	r.front.Unlock()
	return c, found
}

// catchUpPage is how many entries a catch-up reads from the log at a time.
const catchUpPage = 1000

// CatchUpChannel writes the channel's entries after c's cursor to the
// front, then switches c to live delivery.
func (r *Resume) CatchUpChannel(channel []byte, c *ResumeCursor) {
	r.replay(nil, channel, c)
	r.front.Lock()
	r.replayLocked(nil, channel, c)
	c.resuming = false
	r.front.Unlock()
}

// replay writes the channel's entries after c.queued to the front, a page
// at a time, until it reaches the durable end. It runs while live messages
// for c are dropped (resuming), so only it moves c.
func (r *Resume) replay(pattern, channel []byte, c *ResumeCursor) {
	for {
		from, ok := r.replayFrom(channel, c)
		if !ok {
			return
		}
		n, last, changed := r.writeLogEntries(pattern, channel, from)
		if n > 0 {
			r.front.Lock()
			r.front.CommitLocked(false)
			r.queuedLocked(c, last)
			r.front.Unlock()
			r.front.Flush()
		}
		if n < catchUpPage && !changed {
			return
		}
	}
}

// replayFrom returns where a catch-up of c goes on in the channel's
// current incarnation: after c.queued in the same one, from the start of a
// later one (the channel was deleted and created again). It reports false
// when there is nothing to read.
func (r *Resume) replayFrom(channel []byte, c *ResumeCursor) (Position, bool) {
	m, ok := r.b.Meta(channel)
	switch {
	case !ok || m.Incarnation < c.queued.Incarnation:
		return Position{}, false
	case m.Incarnation > c.queued.Incarnation:
		return Position{Incarnation: m.Incarnation}, true
	}
	next, ok := c.queued.ID.Next()
	return Position{m.Incarnation, next}, ok
}

// replayLocked writes what replay has not reached yet, with the front's
// lock held, which live delivery also takes: no live message can fall
// between the log and the live stream, as a message fan-out has not handed
// over yet is either in the durable view read here (and then dropped by
// the Live methods as already written) or newer.
func (r *Resume) replayLocked(pattern, channel []byte, c *ResumeCursor) {
	for {
		from, ok := r.replayFrom(channel, c)
		if !ok {
			return
		}
		n, last, changed := r.writeLogEntries(pattern, channel, from)
		if n == 0 && !changed {
			return
		}
		r.front.CommitLocked(true)
		if n > 0 {
			r.queuedLocked(c, last)
		}
	}
}

// errIncarnation stops a catch-up read that found the channel deleted and
// created again since its start was chosen.
var errIncarnation = errors.New("broker: the channel's incarnation changed")

// writeLogEntries writes up to a page of entries from start (in its
// incarnation) to the front, and returns how many, the last one's
// position, and whether it stopped because the channel is now another
// incarnation (then read again).
func (r *Resume) writeLogEntries(pattern, channel []byte, start Position) (int, Position, bool) {
	var last Position
	n, err := r.b.Range(channel, RangeQuery{Start: start.ID, End: MaxID, Count: catchUpPage}, func(e *Entry) error {
		if e.Incarnation != start.Incarnation {
			return errIncarnation
		}
		r.front.WriteEntry(pattern, channel, e)
		last = Position{e.Incarnation, e.ID}
		return nil
	})
	if errors.Is(err, errIncarnation) {
		return n, last, true
	}
	if err != nil {
		r.b.cfg.Logger.Warn("broker: replaying to a resumed subscriber", "name", r.front.ResumeName(), "err", err)
	}
	return n, last, false
}

// TrackPattern sets up the cursors of a new pattern subscription. If the
// name subscribed to the pattern before, it loads the stored cursors and
// reports true (call CatchUpPattern once the subscription is registered);
// otherwise it starts each existing matching channel at its current end,
// and a channel that appears later from its start. Call it before the
// subscription is registered.
func (r *Resume) TrackPattern(pattern string) bool {
	name := r.front.ResumeName()
	found, stored, err := r.b.PatternCursors([]byte(name), []byte(pattern))
	if err != nil {
		r.b.cfg.Logger.Warn("broker: reading a subscriber's pattern cursors", "name", name, "err", err)
		found, stored = false, nil
	}
	ps := &patternResume{resuming: found, newBase: !found, chans: make(map[string]*ResumeCursor)}
	if found {
		for ch, pos := range stored {
			m, _ := r.b.Meta([]byte(ch))
			at := positionOf(pos, m.Incarnation)
			ps.chans[ch] = &ResumeCursor{queued: at, has: at}
		}
	} else {
		r.b.Channels(func(ci ChannelInfo) bool {
			if MatchPattern([]byte(pattern), []byte(ci.Name)) {
				at := Position{ci.Meta.Incarnation, ci.Meta.LastID}
				ps.chans[ci.Name] = &ResumeCursor{queued: at, has: at, dirty: true}
			}
			return true
		})
	}
	r.front.Lock()
	r.pats[pattern] = ps
	r.front.Unlock()
	return found
}

// CatchUpPattern writes, channel by channel, every entry of every channel
// matching the pattern after its cursor (from the start for a channel
// without one), then switches the pattern to live. Order holds within each
// channel; across channels the catch-up goes channel by channel, in name
// order.
func (r *Resume) CatchUpPattern(pattern []byte) {
	r.front.Lock()
	ps := r.pats[string(pattern)]
	r.front.Unlock()
	if ps == nil {
		return
	}
	for _, ch := range r.matchingChannels(pattern) {
		r.replay(pattern, []byte(ch), r.patternCursorLocking(ps, ch))
	}
	r.front.Lock()
	defer r.front.Unlock()
	// Again under the lock, with channels that appeared meanwhile.
	for _, ch := range r.matchingChannels(pattern) {
		r.replayLocked(pattern, []byte(ch), ps.cursor(ch))
	}
	ps.resuming = false
}

// matchingChannels lists existing channels matching pattern, sorted.
func (r *Resume) matchingChannels(pattern []byte) []string {
	var names []string
	r.b.Channels(func(ci ChannelInfo) bool {
		if MatchPattern(pattern, []byte(ci.Name)) {
			names = append(names, ci.Name)
		}
		return true
	})
	sort.Strings(names)
	return names
}

func (r *Resume) patternCursorLocking(ps *patternResume, channel string) *ResumeCursor {
	r.front.Lock()
	defer r.front.Unlock()
	return ps.cursor(channel)
}

// LiveChannelLocked decides whether a live message (inc, id) of a channel
// subscription goes out: not while it catches up, never twice. It returns
// the subscription's cursor, if it has one: once the message is queued,
// pass it to QueuedLocked. Called with the front's lock held.
func (r *Resume) LiveChannelLocked(channel []byte, inc uint64, id ID) (*ResumeCursor, bool) {
	c := r.chans[string(channel)]
	if c == nil {
		return nil, true
	}
	return c, !c.resuming && c.queued.Before(inc, id)
}

// LivePatternLocked is LiveChannelLocked for a pattern subscription.
func (r *Resume) LivePatternLocked(pattern, channel []byte, inc uint64, id ID) (*ResumeCursor, bool) {
	ps := r.pats[string(pattern)]
	if ps == nil {
		return nil, true
	}
	if ps.resuming {
		return nil, false
	}
	c := ps.cursor(string(channel))
	return c, c.queued.Before(inc, id)
}

// QueuedLocked records that the front queued c's message at p, which
// LiveChannelLocked or LivePatternLocked let through. Called with the
// front's lock held.
func (r *Resume) QueuedLocked(c *ResumeCursor, p Position) { r.queuedLocked(c, p) }

func (r *Resume) queuedLocked(c *ResumeCursor, p Position) {
	c.queued = p
	r.front.PendingLocked(c, p)
}

// Save writes the client's moved cursors (all with force).
func (r *Resume) Save(force bool) {
	name := r.front.ResumeName()
	if name == "" {
		return
	}
	now := time.Now().UnixMilli()
	var cs []Cursor
	r.front.Lock()
	r.front.AckedLocked() // what the client got since the last write
	for ch, c := range r.chans {
		if (c.dirty || force) && !c.resuming {
			cs = append(cs, Cursor{Name: []byte(name), Channel: []byte(ch), ID: c.has.ID, Incarnation: c.has.Incarnation, SeenMs: now})
			c.dirty = false
		}
	}
	for pat, ps := range r.pats {
		cs = ps.appendCursors(cs, name, pat, now, force)
	}
	r.front.Unlock()
	if err := r.b.SaveCursors(cs); err != nil {
		r.b.cfg.Logger.Warn("broker: saving subscriber cursors", "name", name, "err", err)
	}
}

// appendCursors appends the pattern's cursors to save (all with force):
// nothing while it catches up, as the stored ones are still right.
func (ps *patternResume) appendCursors(cs []Cursor, name, pattern string, now int64, force bool) []Cursor {
	if ps.resuming {
		return cs
	}
	if ps.newBase || force {
		cs = append(cs, Cursor{Name: []byte(name), OnPattern: true, Base: true, Pattern: []byte(pattern), SeenMs: now})
		ps.newBase = false
	}
	for ch, c := range ps.chans {
		if c.dirty || force {
			cs = append(cs, Cursor{Name: []byte(name), OnPattern: true, Pattern: []byte(pattern), Channel: []byte(ch),
				ID: c.has.ID, Incarnation: c.has.Incarnation, SeenMs: now})
			c.dirty = false
		}
	}
	return cs
}

// ForgetChannel saves and stops tracking one channel's cursor
// (UNSUBSCRIBE): everything queued before it is written first, and a
// client that reads the confirmation queued after it has those messages,
// so a later resume does not send them again. If the write fails the
// connection is going away, and the cursor saved is what the client has.
func (r *Resume) ForgetChannel(channel string) {
	r.front.Lock()
	c := r.chans[channel]
	r.front.Unlock()
	if c == nil {
		return
	}
	name := r.front.ResumeName()
	r.front.WriteQueued()
	r.front.Lock()
	delete(r.chans, channel)
	r.front.ForgetLocked(c)
	has, resuming := c.has, c.resuming
	r.front.Unlock()
	if resuming {
		return
	}
	cs := []Cursor{{Name: []byte(name), Channel: []byte(channel), ID: has.ID, Incarnation: has.Incarnation, SeenMs: time.Now().UnixMilli()}}
	if err := r.b.SaveCursors(cs); err != nil {
		r.b.cfg.Logger.Warn("broker: saving a subscriber cursor", "name", name, "err", err)
	}
}

// ForgetPattern saves and stops tracking one pattern's cursors
// (PUNSUBSCRIBE), as ForgetChannel does.
func (r *Resume) ForgetPattern(pattern string) {
	r.front.Lock()
	ps := r.pats[pattern]
	r.front.Unlock()
	if ps == nil {
		return
	}
	name := r.front.ResumeName()
	r.front.WriteQueued()
	r.front.Lock()
	delete(r.pats, pattern)
	for _, c := range ps.chans {
		r.front.ForgetLocked(c)
	}
	cs := ps.appendCursors(nil, name, pattern, time.Now().UnixMilli(), true)
	r.front.Unlock()
	if err := r.b.SaveCursors(cs); err != nil {
		r.b.cfg.Logger.Warn("broker: saving a subscriber's pattern cursors", "name", name, "err", err)
	}
}

// DefaultResumeTTL is the default of Config.ResumeTTL.
const DefaultResumeTTL = 7 * 24 * time.Hour

// cursorLoop saves the moved cursors of every Resume about once a second
// and expires the cursors of names not seen for Config.ResumeTTL.
func (b *Broker) cursorLoop(ttl time.Duration) {
	lastExpiry := time.Now()
	b.every(time.Second, func() {
		for _, r := range b.openResumes() {
			if r.HasCursors() {
				r.Save(false)
			}
		}
		if time.Since(lastExpiry) >= ttl/10 || time.Since(lastExpiry) >= time.Minute {
			lastExpiry = time.Now()
			if n, err := b.ExpireCursors(ttl); err != nil {
				b.cfg.Logger.Warn("broker: expiring subscriber cursors", "err", err)
			} else if n > 0 {
				b.cfg.Logger.Info("broker: expired subscriber cursors", "count", n)
			}
		}
	})
}

// openResumes lists the Resumes not closed yet.
func (b *Broker) openResumes() []*Resume {
	b.resumeMu.Lock()
	defer b.resumeMu.Unlock()
	rs := make([]*Resume, 0, len(b.resumes))
	for r := range b.resumes {
		rs = append(rs, r)
	}
	return rs
}
