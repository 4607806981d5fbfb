package resp

// CLIENT REPLY ON | OFF | SKIP, as in Redis 7.0 (networking.c: the
// CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP and CLIENT_REPLY_SKIP_NEXT flags,
// checked when a reply is added, and resetClient between commands):
//
//   - OFF: no reply is sent, its own included, until CLIENT REPLY ON (or
//     RESET).
//   - SKIP: no reply of its own; the next command's replies are not sent.
//     Ignored under OFF.
//   - ON: replies +OK, also right after a SKIP.
//
// Pushes are always sent: Pub/Sub messages and the subscribe and
// unsubscribe confirmations reach a client whose replies are off
// (CLIENT_PUSHING, in 7.0.15 as in 7.2). A RESP2 client in subscribe mode
// cannot run CLIENT REPLY, so there it matters only when set before
// SUBSCRIBE; its PING replies are not pushes and are not sent.
//
// The state applies to the moment a reply is written, as in Redis: inside
// EXEC, the replies after a CLIENT REPLY OFF are not sent (the client then
// gets a shorter array than announced, as from Redis). A write's reply,
// written by drain after the group commit, is sent or not as the state was
// when its command ran. Muting swaps the reply buffer for a discard buffer,
// so the commands themselves write as usual.

// replyGate is a connection's CLIENT REPLY state. The reader goroutine owns
// it.
type replyGate struct {
	off      bool   // CLIENT REPLY OFF
	skip     bool   // this command's replies are skipped (the one after SKIP)
	skipNext bool   // CLIENT REPLY SKIP ran: skip the next command
	muted    bool   // c.w.buf is discard; the real reply buffer is held
	held     []byte // the reply buffer while muted
	discard  []byte // what muted commands wrote; emptied after each command
}

// active reports whether CLIENT REPLY is in any state but ON.
func (g *replyGate) active() bool { return g.off || g.skip || g.skipNext || g.muted }

// suppressing reports whether a reply written now would not be sent.
func (g *replyGate) suppressing() bool { return g.off || g.skip }

// beginReply mutes the replies of the command about to run if the state
// says so.
func (c *conn) beginReply() {
	if c.gate.suppressing() {
		c.setMuted(true)
	}
}

// endReply ends a command: its muted replies are dropped, and a SKIP moves
// on to the next command (Redis's resetClient).
func (c *conn) endReply() {
	g := &c.gate
	c.setMuted(false)
	c.dropMuted()
	g.skip, g.skipNext = g.skipNext, false
}

// setMuted switches the reply buffer: muted, replies go to the discard
// buffer and the real one is held aside; unmuted, back. What either holds
// stays, so offsets a command took into c.w.buf stay valid.
func (c *conn) setMuted(muted bool) {
	g := &c.gate
	if muted == g.muted {
		return
	}
	if muted {
		g.held, c.w.buf = c.w.buf, g.discard
	} else {
		g.discard, c.w.buf = c.w.buf, g.held
		g.held = nil
	}
	g.muted = muted
}

// dropMuted empties the discard buffer when no muted command is running.
func (c *conn) dropMuted() {
	g := &c.gate
	if g.muted {
		return
	}
	if cap(g.discard) > maxSpareOutBytes {
		g.discard = nil
	}
	g.discard = g.discard[:0]
}

// replyBuf is the buffer of the replies to send: c.w.buf, or the one held
// aside while muted.
func (c *conn) replyBuf() *[]byte {
	if c.gate.muted {
		return &c.gate.held
	}
	return &c.w.buf
}

// pushing unmutes replies for a push (subscribe confirmations, catch-up
// messages), which Redis sends whatever CLIENT REPLY says, and returns the
// state to restore with setMuted.
func (c *conn) pushing() (wasMuted bool) {
	wasMuted = c.gate.muted
	c.setMuted(false)
	return wasMuted
}

// cmdClientReply serves CLIENT REPLY ON | OFF | SKIP.
func cmdClientReply(c *conn, args [][]byte) {
	g := &c.gate
	switch {
	case eq(args[2], "on"):
		g.off, g.skip = false, false
		c.setMuted(false)
		c.w.OK()
	case eq(args[2], "off"):
		g.off = true
		c.setMuted(true)
	case eq(args[2], "skip"):
		if !g.off {
			g.skipNext = true
		}
	default:
		c.writeError(errSyntax)
	}
}

// resetReply is RESET's part: Redis clears OFF and a pending SKIP, not the
// skip of RESET itself (so "CLIENT REPLY SKIP" then "RESET" sends nothing).
func (c *conn) resetReply() {
	g := &c.gate
	g.off, g.skipNext = false, false
	if !g.skip {
		c.setMuted(false)
	}
}
