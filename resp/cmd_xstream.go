package resp

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// XSTREAM key start end [COUNT count]
//
// rewind's own streaming range read (not a Redis command): the entries of
// key between start and end, as XRANGE selects them (same ID syntax: "-",
// "+", "(" for an exclusive bound, <ms> alone), oldest first, at most count
// of them (no limit without COUNT; COUNT 0 or negative: none). It is what
// `rewind replay` uses to read a channel from a server; a Redis client that
// wants one reply per command keeps using XRANGE.
//
// Reply: a sequence of RESP arrays instead of one. Each array is shaped
// exactly as an XRANGE reply — [[id, [field, value, ...]], ...] — holds at
// least one entry and about xstreamChunkBytes of them, and the sequence ends
// with an empty array (*0). A missing key, or a range without entries, is
// just the empty array. An error found before any entry (bad ID, bad COUNT)
// is the only reply, as for XRANGE; an error after some chunks were sent
// (the server shutting down, a storage error) ends the sequence in place of
// the empty array: the chunks before it are valid, the range is incomplete.
//
// The range is bounded when the command starts by the channel's durable
// watermark: entries appended while it streams are not included (read on
// from the last ID, or with XREAD BLOCK, to follow them), and no entry that
// is not yet fsync'd is ever sent. Entries deleted or trimmed while it
// streams may or may not be included, as with successive XRANGE pages.
//
// Flow: chunks are written to the socket as they are encoded, by a helper
// goroutine, so the write of one overlaps reading the next; at most two
// chunks exist at a time (the one being written, the one being encoded), so
// a slow client holds the stream back instead of making the server buffer
// the range, and one that stops reading is disconnected after the
// connection's write timeout; one that disconnects stops the stream at the
// next write. Each chunk is read from a fresh durable view of the log, so a
// stream paced by a slow client pins no Pebble snapshot or iterator while it
// waits. Other commands pipelined on the connection run after the stream,
// and their replies follow its last array; earlier replies precede its
// first. RESP3 push messages may arrive between two arrays, never inside
// one. XSTREAM is not allowed inside MULTI (its reply cannot nest in
// EXEC's), nor in RESP2 subscribe mode.
//
// XSTREAM HELP prints a summary.

// xstreamChunkBytes is the size at which a chunk is sent: large enough that
// the per-chunk work (a Pebble seek, a write syscall) is noise, small enough
// to keep the server's buffer and the client's read buffer modest.
const xstreamChunkBytes = 256 << 10

// xstreamHeaderRoom is reserved in front of each chunk for its array header
// ("*<count>\r\n"), written once the count is known, so the entries are never
// shifted.
const xstreamHeaderRoom = 16

// errChunkFull stops a Range call once a chunk is full.
var errChunkFull = errors.New("chunk full")

// errStreamWrite reports that a chunk could not be written (the connection is
// closed by then).
var errStreamWrite = errors.New("stream write failed")

func init() {
	register(&command{name: "xstream", arity: -2, flags: flagReadonly | flagNoMulti, firstKey: 1, lastKey: 1, keyStep: 1,
		group: "stream", since: "0.1.0",
		summary: "Streams the messages of a stream within a range of IDs as a sequence of XRANGE-shaped arrays ended by an empty array.",
		run:     cmdXStream})
}

func cmdXStream(c *conn, args [][]byte) {
	if len(args) == 2 && eq(args[1], "help") {
		xstreamHelp(c)
		return
	}
	if len(args) < 4 {
		c.w.Error(replyXStreamArity)
		return
	}
	start, err := ParseRangeID(args[2], false)
	if err != nil {
		c.writeError(err)
		return
	}
	end, err := ParseRangeID(args[3], true)
	if err != nil {
		c.writeError(err)
		return
	}
	count := -1
	if err := parseCount(args[4:], &count); err != nil {
		c.writeError(err)
		return
	}
	m, ok := c.s.b.Meta(args[1])
	if !ok || count == 0 || m.Length == 0 {
		c.w.Array(0)
		return
	}
	if m.LastID.Less(end) {
		end = m.LastID // the durable watermark as the stream starts
	}
	c.xstream(args[1], start, end, count)
}

// xstreamState is one XSTREAM in progress; its visit method is the Range
// callback (a method value, so no closure is allocated per chunk).
type xstreamState struct {
	c     *conn
	n     int       // entries in the current chunk
	last  broker.ID // the last entry encoded
	limit int       // the chunk is full at this length of c.w.buf
}

func (x *xstreamState) visit(e *broker.Entry) error {
	w := &x.c.w
	w.Entry(e.ID.Ms, e.ID.Seq, e.Fields)
	x.n++
	x.last = e.ID
	if len(w.buf) >= x.limit {
		return errChunkFull
	}
	return nil
}

// xstream sends the entries of [start, end] (at most count; -1: no limit) in
// chunks, then the empty array.
func (c *conn) xstream(channel []byte, start, end broker.ID, count int) {
	if c.gate.muted {
		return // CLIENT REPLY OFF or SKIP: nothing of it would be sent
	}
	// Replies to earlier commands of the batch go first; from here on the
	// reader's buffer holds one chunk at a time.
	c.commitReplies()
	c.flush()
	x := xstreamState{c: c}
	var snd *chunkSender // started at the second chunk
	defer func() {
		if snd != nil {
			c.w.buf = snd.stop()
		}
	}()
	sent := 0
	for !end.Less(start) {
		select {
		case <-c.s.done:
			c.stopSender(&snd)
			c.writeError(broker.ErrClosed)
			return
		default:
		}
		q := broker.RangeQuery{Start: start, End: end}
		if count > 0 {
			q.Count = count - sent
		}
		c.w.buf = append(c.w.buf[:0], make([]byte, xstreamHeaderRoom)...)
		x.n, x.limit = 0, xstreamHeaderRoom+xstreamChunkBytes
		_, err := c.s.b.Range(channel, q, x.visit)
		full := errors.Is(err, errChunkFull)
		if err != nil && !full {
			c.w.buf = c.w.buf[:0]
			c.stopSender(&snd)
			c.writeError(err) // in place of the end marker
			return
		}
		if x.n == 0 {
			break // (entries deleted since the last chunk)
		}
		sent += x.n
		next, ok := x.last.Next()
		more := full && ok && (count < 0 || sent < count) && !end.Less(next)
		if !more {
			c.w.Array(0) // the last chunk carries the end marker
		}
		off := putChunkHeader(c.w.buf, x.n)
		if snd == nil && more {
			snd = c.startSender()
		}
		if snd == nil {
			// One chunk: write it here.
			err = c.writeDirect(c.w.buf[off:])
			c.w.buf = c.w.buf[:0]
		} else {
			c.w.buf, err = snd.send(c.w.buf, off)
		}
		if err != nil {
			c.quit = true
			return
		}
		if !more {
			return
		}
		start = next
	}
	c.stopSender(&snd)
	c.w.buf = c.w.buf[:0]
	c.w.Array(0)
}

// putChunkHeader writes the array header of a chunk of n entries right
// before its entries, in the room reserved at the start of buf, and returns
// where the chunk starts.
func putChunkHeader(buf []byte, n int) int {
	var hdr [xstreamHeaderRoom]byte
	h := appendLenHeader(hdr[:0], '*', n)
	off := xstreamHeaderRoom - len(h)
	copy(buf[off:], h)
	return off
}

// stopSender waits until every chunk handed to *snd is written, and takes
// its buffer back for the replies that follow.
func (c *conn) stopSender(snd **chunkSender) {
	if *snd != nil {
		c.w.buf = (*snd).stop()[:0]
		*snd = nil
	}
}

// chunkSender writes a stream's chunks from its own goroutine, so that the
// socket write of one chunk (a large part of the cost: the kernel copies it
// and hands it to the client) overlaps reading and encoding the next one.
// Two chunk buffers circulate, the one being written and the one being
// encoded: a client that reads slowly holds the encoder back at the second
// chunk, never more.
type chunkSender struct {
	c      *conn
	queue  chan xstreamChunk // to write, in order
	free   chan []byte       // written: back to the encoder
	done   chan struct{}     // closed when the goroutine has exited
	failed atomic.Bool       // a write failed: the connection is closed
	spare  bool              // the second buffer is not allocated yet
}

type xstreamChunk struct {
	buf []byte
	off int // the chunk is buf[off:]
}

func (c *conn) startSender() *chunkSender {
	snd := &chunkSender{c: c, queue: make(chan xstreamChunk, 1), free: make(chan []byte, 2), done: make(chan struct{}), spare: true}
	go snd.run()
	return snd
}

func (snd *chunkSender) run() {
	defer close(snd.done)
	for ch := range snd.queue {
		if !snd.failed.Load() && snd.c.writeDirect(ch.buf[ch.off:]) != nil {
			snd.failed.Store(true)
		}
		snd.free <- ch.buf[:0]
	}
}

// send queues buf[off:] for writing and returns an empty buffer to encode
// the next chunk into, once one is free. It fails once a write failed.
func (snd *chunkSender) send(buf []byte, off int) ([]byte, error) {
	if snd.failed.Load() {
		return buf[:0], errStreamWrite
	}
	snd.queue <- xstreamChunk{buf, off}
	var next []byte
	if snd.spare {
		snd.spare = false
		next = make([]byte, 0, cap(buf))
	} else {
		next = <-snd.free // waits while the client reads the chunk before
	}
	if snd.failed.Load() {
		return next, errStreamWrite
	}
	return next, nil
}

// stop waits for the queued chunks to be written and returns the larger
// free buffer.
func (snd *chunkSender) stop() []byte {
	close(snd.queue)
	<-snd.done
	var keep []byte
	for {
		select {
		case b := <-snd.free:
			if cap(b) > cap(keep) {
				keep = b
			}
		default:
			return keep[:0]
		}
	}
}

// writeDirect writes b to the socket now, in order with everything already
// queued in the output buffer (written first), and returns once the socket
// took it. Output queued meanwhile by the fan-out goroutine is flushed
// after it.
func (c *conn) writeDirect(b []byte) error {
	c.out.mu.Lock()
	for {
		if c.out.closed {
			c.out.mu.Unlock()
			return errStreamWrite
		}
		if !c.out.flushing {
			if c.out.queued == 0 {
				break
			}
			c.out.flushing = true
			c.flushLocked() // queued pushes first; releases the lock
			c.out.mu.Lock()
			continue
		}
		// The fan-out goroutine is writing pushes: let it finish.
		c.out.mu.Unlock()
		time.Sleep(50 * time.Microsecond)
		c.out.mu.Lock()
	}
	c.out.flushing = true
	c.out.taken += uint64(len(b)) // in the output stream, after everything queued
	c.out.mu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.limits.WriteTimeout))
	_, err := c.nc.Write(b)
	c.out.mu.Lock()
	if err != nil {
		var ne net.Error
		reason := "write failed: " + err.Error()
		if errors.As(err, &ne) && ne.Timeout() {
			reason = "XSTREAM client did not read within the write timeout"
		}
		c.closeLocked(reason)
		c.out.flushing = false
		c.out.mu.Unlock()
		return errStreamWrite
	}
	// b was accepted (nothing else is taken while flushing).
	c.out.written = c.out.taken
	c.flushLocked() // anything queued meanwhile; clears flushing, releases the lock
	return nil
}

func xstreamHelp(c *conn) {
	lines := []string{
		"XSTREAM <key> <start> <end> [COUNT <count>]",
		"    Stream the entries of <key> from <start> to <end> (as XRANGE: -, +, (ID for",
		"    an exclusive bound), at most <count> of them, as a sequence of XRANGE-shaped",
		"    arrays of about 256 KiB each, ended by an empty array. An error reply ends",
		"    the sequence instead if the stream fails part way. Entries appended after",
		"    the command starts are not included.",
		"XSTREAM HELP",
		"    Print this help.",
	}
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.Simple(l)
	}
}
