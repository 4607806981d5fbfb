package resp

import "github.com/rewind-mq/rewind/broker"

// A resumable subscriber's cursor follows what the client's TCP stack has
// acknowledged, not what the server's socket accepted: a message still in
// the server's send buffer or on the wire when the connection breaks is
// sent again on resume. The connection numbers every byte of its output
// stream (outBuf.taken, .written); queueing a tracked message records the
// offset just past it with its position (an ackPoint), and the cursor moves
// to the last position whose offset the peer has acknowledged: on Linux,
// TCP_INFO's tcpi_bytes_acked, which stays right after a reset; elsewhere
// (or on a socket that cannot tell) what the socket accepted. What the
// client's kernel acknowledged but the client never read is the window
// that remains. Acks are read after every write, before cursors are saved
// and as the connection closes.

// ackPoint is a queued message of a tracked subscription: the output
// offset just past it, and its position.
type ackPoint struct {
	end uint64
	pos broker.Position
}

// ackWait is a tracked subscription's queued messages the peer has not
// acknowledged yet. Guarded by out.mu.
type ackWait struct {
	cursor *broker.ResumeCursor
	points []ackPoint
}

// maxAckPoints bounds the positions one subscription waits on; past it,
// every other one is dropped (the cursor then moves in larger steps, never
// past what was acknowledged).
const maxAckPoints = 1024

// pendAckLocked records that cur's messages up to pos are queued, ending
// at the current end of the output stream. Called with out.mu held.
func (c *conn) pendAckLocked(cur *broker.ResumeCursor, pos broker.Position) {
	w := c.acks[cur]
	if w == nil {
		if c.acks == nil {
			c.acks = make(map[*broker.ResumeCursor]*ackWait)
		}
		w = &ackWait{cursor: cur}
		c.acks[cur] = w
	}
	end := c.out.taken + uint64(c.out.queued)
	if n := len(w.points); n > 0 && w.points[n-1].end == end {
		w.points[n-1].pos = pos
		return
	}
	if len(w.points) == maxAckPoints {
		kept := w.points[:0]
		for i := 1; i < len(w.points); i += 2 {
			kept = append(kept, w.points[i])
		}
		w.points = kept
	}
	if len(w.points) == 0 {
		c.acking = append(c.acking, w)
	}
	w.points = append(w.points, ackPoint{end: end, pos: pos})
}

// ackLocked moves the cursors to what the peer has acknowledged. Called
// with out.mu held.
func (c *conn) ackLocked() {
	if len(c.acking) == 0 {
		return
	}
	acked := c.out.written
	if n, ok := socketAckedBytes(c.nc); ok {
		acked = min(n, c.out.written)
	}
	waiting := c.acking[:0]
	for _, w := range c.acking {
		k := 0
		for k < len(w.points) && w.points[k].end <= acked {
			k++
		}
		if k > 0 {
			w.cursor.ClientHasLocked(w.points[k-1].pos)
			w.points = append(w.points[:0], w.points[k:]...)
		}
		if len(w.points) > 0 {
			waiting = append(waiting, w)
		}
	}
	clear(c.acking[len(waiting):])
	c.acking = waiting
}

// forgetAcksLocked stops waiting for acks of cur (it is no longer
// tracked).
func (c *conn) forgetAcksLocked(cur *broker.ResumeCursor) {
	w := c.acks[cur]
	if w == nil {
		return
	}
	delete(c.acks, cur)
	for i, x := range c.acking {
		if x == w {
			c.acking = append(c.acking[:i], c.acking[i+1:]...)
			return
		}
	}
}
