package resp

import (
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// Resumable subscribers: a client whose name matches Config.ResumeNames
// resumes its SUBSCRIBEs and PSUBSCRIBEs after a disconnect. The cursors,
// the catch-up from the log, the seam with live delivery and saving the
// cursors are broker's (broker/resume.go states what is guaranteed); what
// is here is the Redis front's part: which clients resume, catch-up
// entries written as Redis's message and pmessage pushes, and when a
// client has a message (tcpack.go).

// resumable reports whether this client's subscriptions resume.
func (c *conn) resumable() bool {
	if c.s.resumeNames == "" {
		return false
	}
	name := c.name()
	return name != "" && broker.MatchPattern([]byte(c.s.resumeNames), []byte(name))
}

// resumeOf returns the connection's resumable subscriptions, opening them
// the first time. Only the reader goroutine sets c.resume, under out.mu,
// which Deliver reads it under.
func (c *conn) resumeOf() *broker.Resume {
	if c.resume == nil {
		r := c.s.b.NewResume((*resumeFront)(c))
		c.out.mu.Lock()
		c.resume = r
		c.tracked.Store(true)
		c.out.mu.Unlock()
	}
	return c.resume
}

// closeResume saves every cursor and stops tracking them (RESET).
func (c *conn) closeResume() {
	if c.resume == nil {
		return
	}
	c.resume.Close()
	c.out.mu.Lock()
	c.resume = nil
	c.acks, c.acking = nil, nil
	c.out.mu.Unlock()
}

// saveResumeAtDisconnect saves every cursor once what the socket was
// writing is written, so that they include everything it accepted.
func (c *conn) saveResumeAtDisconnect() {
	if c.resume == nil {
		return
	}
	if c.resume.HasCursors() {
		c.waitFlushed()
	}
	c.resume.Close()
}

// resumeFront is a connection as the front of its resumable subscriptions
// (broker.ResumeFront): its out.mu guards them.
type resumeFront conn

func (f *resumeFront) Lock()              { f.out.mu.Lock() }
func (f *resumeFront) Unlock()            { f.out.mu.Unlock() }
func (f *resumeFront) ResumeName() string { return (*conn)(f).name() }

// WriteEntry writes a catch-up entry as a message (or, with a pattern,
// pmessage) push into the reply buffer, which CommitLocked queues.
func (f *resumeFront) WriteEntry(pattern, channel []byte, e *broker.Entry) {
	c := (*conn)(f)
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
}

// CommitLocked queues the catch-up pushes: as replies, which the caller
// flushes, for the first pages; copied straight into the output queue for
// the last ones, which the reader flushes after the command.
func (f *resumeFront) CommitLocked(final bool) {
	c := (*conn)(f)
	if !final {
		c.commitRepliesLocked()
		return
	}
	if !c.out.closed {
		c.queueLocked(c.w.buf, false)
	}
	c.w.buf = c.w.buf[:0]
}

func (f *resumeFront) Flush() { (*conn)(f).flush() }

// WriteQueued writes what is queued for the socket and waits for it, so
// that the cursors reflect it. If the write fails the connection is going
// away, and the save at the disconnect keeps what the client acknowledged.
func (f *resumeFront) WriteQueued() {
	c := (*conn)(f)
	c.flush()
	c.waitFlushed()
}

func (f *resumeFront) PendingLocked(cur *broker.ResumeCursor, to broker.Position) {
	(*conn)(f).pendAckLocked(cur, to)
}

// AckedLocked moves the cursors to what the peer acknowledged since the
// last write.
func (f *resumeFront) AckedLocked() {
	c := (*conn)(f)
	if !c.out.closed {
		c.ackLocked()
	}
}

// ForgetLocked is an unsubscribe's cursor, once what was queued before it
// is written: everything queued, which a client that reads the
// confirmation (queued after it) has; what was acknowledged, if the
// connection broke meanwhile.
func (f *resumeFront) ForgetLocked(cur *broker.ResumeCursor) {
	c := (*conn)(f)
	if !c.out.closed {
		cur.ClientHasLocked(cur.LastQueuedLocked())
	}
	c.forgetAcksLocked(cur)
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
