package resp

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
	pos position
}

// maxAckPoints bounds the positions one subscription waits on; past it,
// every other one is dropped (the cursor then moves in larger steps, never
// past what was acknowledged).
const maxAckPoints = 1024

// pendAckLocked records that st's messages up to pos are queued, ending at
// the current end of the output stream. Called with out.mu held.
func (c *conn) pendAckLocked(st *resumeState, pos position) {
	end := c.out.taken + uint64(c.out.queued)
	if n := len(st.acks); n > 0 && st.acks[n-1].end == end {
		st.acks[n-1].pos = pos
		return
	}
	if len(st.acks) == maxAckPoints {
		kept := st.acks[:0]
		for i := 1; i < len(st.acks); i += 2 {
			kept = append(kept, st.acks[i])
		}
		st.acks = kept
	}
	if len(st.acks) == 0 {
		c.acking = append(c.acking, st)
	}
	st.acks = append(st.acks, ackPoint{end: end, pos: pos})
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
	for _, st := range c.acking {
		k := 0
		for k < len(st.acks) && st.acks[k].end <= acked {
			k++
		}
		if k > 0 {
			st.sent, st.dirty = st.acks[k-1].pos, true
			st.acks = append(st.acks[:0], st.acks[k:]...)
		}
		if len(st.acks) > 0 {
			waiting = append(waiting, st)
		}
	}
	clear(c.acking[len(waiting):])
	c.acking = waiting
}

// forgetAcksLocked stops waiting for acks of st (it is no longer tracked).
func (c *conn) forgetAcksLocked(st *resumeState) {
	st.acks = st.acks[:0]
	for i, s := range c.acking {
		if s == st {
			c.acking = append(c.acking[:i], c.acking[i+1:]...)
			return
		}
	}
}

// unsubscribedAtLocked is the cursor an UNSUBSCRIBE saves, once what was
// queued before it is written: everything queued, which a client that reads
// the confirmation (queued after it) has; what was acknowledged, if the
// connection broke meanwhile.
func (st *resumeState) unsubscribedAtLocked(c *conn) position {
	if c.out.closed {
		return st.sent
	}
	return st.id
}
