package resp

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

const (
	initialReadBytes   = 256
	idleReadBytes      = 1 << 20 // an empty read buffer larger than this is released
	maxBatchReadBytes  = 1 << 20 // stop draining the socket into one batch here
	maxBatchReplyBytes = 1 << 20 // write a batch's replies once they reach this

	// Output buffers are reused from reply to reply. One up to
	// maxSpareOutBytes is always kept. A larger one (large XRANGE pages,
	// XSTREAM chunks), up to maxKeptOutBytes, is kept while the connection
	// keeps writing large replies — regrowing it for every reply cost more
	// than encoding them — and released once none was written for
	// outIdleRelease, so an idle connection holds only small buffers.
	maxSpareOutBytes = 256 << 10
	maxKeptOutBytes  = 4 << 20
	outIdleRelease   = time.Second
)

// conn is one client connection. The reader goroutine (serve) owns every
// field not marked otherwise; out is shared with the fan-out goroutine.
type conn struct {
	s       *Server
	nc      net.Conn
	id      int64
	addr    string
	laddr   string
	created time.Time

	rbuf       []byte
	start, end int
	args       [][]byte
	cmds       []cmdSpan

	w       writer
	req     *broker.Request
	pending []pendingReply

	groupResults []groupResult // reused by doGroup

	gate replyGate // CLIENT REPLY (reply.go)

	// Statistics (stats.go): tallies of this batch's commands, error
	// replies, how many of them a command claimed, the command running
	// (for the writes it queues) and the time not charged to it.
	tallies     []cmdTally
	errs        errorTally
	errsClaimed int64
	current     *command
	excludedNs  int64
	// Fast commands of this batch, which share its time since batchStart
	// less what was excluded since (shareBatchTime).
	sharedCalls     int64
	batchStart      time.Time
	batchExcludedNs int64

	subs, psubs, ssubs map[string]struct{}
	multi              *multiState
	inExec             bool
	watched            []watchedKey
	quit               bool
	unread             bool     // rbuf holds bytes not yet parsed (see watchPeer)
	parkedOut          bool     // w.buf is parked in out.parked during a read
	lastCmdSeen        *command // the command last stored in info.lastCmd

	proto   atomic.Int32 // 2 or 3; read by Deliver
	blocked atomic.Bool  // in a blocking wait (CLIENT LIST flag b)
	lastCmd atomic.Int64 // unix ms of the last command
	info    connInfo

	out outBuf
	// held is every byte of output c holds (outqueue.go): chunks by
	// capacity, a handed-over reply buffer by length; push the part the
	// fan-out took for pushes. gone is set once out.closed is.
	held atomic.Int64
	push pushAccount
	gone atomic.Bool
	// resume is a resumable subscriber's subscriptions (resume.go), set
	// by the reader under out.mu; acks are those of its cursors with
	// messages the client's TCP stack has not acknowledged yet, acking
	// the ones waiting (tcpack.go), guarded by out.mu.
	resume *broker.Resume
	acks   map[*broker.ResumeCursor]*ackWait
	acking []*ackWait
	// tracked is set once the connection has cursors: Deliver then takes
	// out.mu for every message (see Deliver).
	tracked atomic.Bool

	// stage holds the chunks of messages Deliver copied during the current
	// fan-out batch (see Deliver); lock order: stageMu, then out.mu. The
	// padding keeps them off the cache lines the socket writer and the
	// reader write, so a Deliver on another core does not miss on them.
	_       [64]byte
	stageMu sync.Mutex
	stage   []*outChunk // guarded by stageMu
	_       [64]byte
}

type cmdSpan struct{ from, to int }

// connInfo is what CLIENT LIST and INFO read from other goroutines.
type connInfo struct {
	mu      sync.Mutex
	name    string      // guarded by mu
	lastCmd string      // guarded by mu
	libName string      // guarded by mu
	libVer  string      // guarded by mu
	stats   clientStats // guarded by mu; refreshed by publishStats (cmd_client.go)
}

// outBuf is a connection's pending output, shared by the reader (replies)
// and the fan-out goroutine (pushes): a reply buffer handed over whole
// (head), then a queue of chunks (outqueue.go). At most one goroutine
// writes to the socket at a time (flushing); it owns the write* fields.
type outBuf struct {
	mu       sync.Mutex
	head     []byte      // guarded by mu: written before chunks
	chunks   []*outChunk // guarded by mu
	queued   int         // guarded by mu: bytes in head and chunks
	spare    []byte      // guarded by mu
	flushing bool        // guarded by mu
	kicked   bool        // guarded by mu: Deliver asked the broker for a Flush call
	closed   bool        // guarded by mu
	reason   string      // guarded by mu: why the server closed it

	// The output stream's byte offsets (tcpack.go): everything ever taken
	// for writing (taken + queued is the end of what is queued), and what
	// the socket accepted. Guarded by mu.
	taken, written uint64

	// What the flushing goroutine took to write, and its writev list.
	writeHead   []byte
	writeChunks []*outChunk
	iov         net.Buffers
	iovSpare    net.Buffers

	// Large buffers (see maxKeptOutBytes). parked is the reader's reply
	// buffer while it waits for input, so that the idle release can reach
	// it; bigUsed is when a large buffer was last used; idle runs
	// releaseIdleOut.
	parked    []byte      // guarded by mu
	bigUsed   time.Time   // guarded by mu
	idle      *time.Timer // guarded by mu
	idleArmed bool        // guarded by mu
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		s:       s,
		nc:      nc,
		id:      s.nextID.Add(1),
		addr:    nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		created: time.Now(),
		req:     broker.NewRequest(),
	}
	c.proto.Store(2)
	c.w.proto = 2
	c.w.errs = &c.errs
	c.lastCmd.Store(c.created.UnixMilli())
	return c
}

func (c *conn) limits() parseLimits {
	return parseLimits{maxBulk: c.s.limits.MaxQueryBytes, maxArgs: c.s.limits.MaxArgs}
}

// serve runs the connection until the client leaves, errs or the server
// closes.
func (c *conn) serve() {
	defer c.cleanup()
	for !c.quit {
		if c.unread {
			c.unread = false // bytes that arrived during a blocking command
		} else if err := c.read(); err != nil {
			if errors.Is(err, errQueryOverLimit) {
				c.closeWithError(err)
				return
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("resp: read", "client", c.id, "err", err)
			}
			return
		}
		perr := c.parseBatch()
		c.runBatch()
		if perr != nil {
			c.closeWithError(perr)
			return
		}
		c.commitReplies()
		c.flush()
		c.compact()
	}
}

// closeWithError answers a protocol error after the replies of the batch
// before it, and lets the answer reach the client before the connection
// closes (see lingerAfterError).
func (c *conn) closeWithError(perr error) {
	if !c.gate.suppressing() { // CLIENT REPLY OFF withholds this one too
		c.w.Error(c.protocolErrorReply(perr))
	}
	c.quit = true
	c.s.logProtocolError(c, perr)
	c.commitReplies()
	c.flush()
	c.lingerAfterError()
}

// protocolErrorReply is the error reply for perr: Redis's words, and for
// rewind's own limits (smaller than Redis's) the limit and the flag that
// raises it.
func (c *conn) protocolErrorReply(perr error) string {
	switch perr {
	case errBulkOverLimit:
		return "ERR " + perr.Error() + " (max " + strconv.Itoa(c.s.limits.MaxQueryBytes) + " bytes per argument; see --max-message-bytes)"
	case errQueryOverLimit:
		return "ERR " + perr.Error() + " (max " + strconv.Itoa(c.maxReadBufferBytes()) + " bytes per command; see --max-message-bytes)"
	}
	return "ERR " + perr.Error()
}

// Closing a socket whose input was not all read makes the kernel send a
// reset, and a reset can destroy the error reply before the client reads
// it (a client still writing a 45 MB command never did). So the server
// sends its reply and a FIN, then reads and discards what the client still
// sends until it closes, for at most lingerAfterErrorTime.
const (
	lingerAfterErrorTime = 10 * time.Second
	lingerReadSlice      = 100 * time.Millisecond // how often Close is noticed
)

// lingerAfterError: see above.
func (c *conn) lingerAfterError() {
	closer, ok := c.nc.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	c.waitFlushed()
	if closer.CloseWrite() != nil {
		return
	}
	scratch := c.rbuf[:cap(c.rbuf)]
	if len(scratch) < 64<<10 {
		scratch = make([]byte, 64<<10)
	}
	for end := time.Now().Add(lingerAfterErrorTime); time.Now().Before(end); {
		select {
		case <-c.s.done:
			return
		default:
		}
		deadline := time.Now().Add(lingerReadSlice)
		if deadline.After(end) {
			deadline = end
		}
		_ = c.nc.SetReadDeadline(deadline)
		if _, err := c.nc.Read(scratch); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return // the client closed, or reset
		}
	}
}

// maxReadBufferBytes bounds the read buffer: one command of MaxQueryBytes
// and its header lines.
func (c *conn) maxReadBufferBytes() int {
	return c.s.limits.MaxQueryBytes + maxInlineBytes
}

// read reads more bytes into rbuf. A read that fills the buffer doubles it
// (within MaxQueryBytes) and takes whatever else the socket already holds
// without blocking, so a client's whole pipeline becomes one batch: one
// group-committed request and one reply write.
func (c *conn) read() error {
	if c.rbuf == nil {
		c.rbuf = make([]byte, initialReadBytes)
	}
	if err := c.makeRoom(); err != nil {
		return err
	}
	c.parkReplyBuf()
	n, err := c.nc.Read(c.rbuf[c.end:])
	c.unparkReplyBuf()
	c.end += n
	if n == 0 {
		return err
	}
	for c.end == len(c.rbuf) && len(c.rbuf) < maxBatchReadBytes {
		if c.makeRoom() != nil {
			break
		}
		if c.readAvailable() == 0 {
			break
		}
	}
	return nil
}

// makeRoom ensures free space at the end of rbuf, compacting or growing it.
func (c *conn) makeRoom() error {
	if c.end < len(c.rbuf) {
		return nil
	}
	if c.start > 0 {
		c.compact()
		return nil
	}
	if len(c.rbuf) >= c.maxReadBufferBytes() {
		return errQueryOverLimit // one command fills the whole buffer
	}
	grown := make([]byte, min(2*len(c.rbuf), c.maxReadBufferBytes()))
	copy(grown, c.rbuf[:c.end])
	c.rbuf = grown
	return nil
}

// readAvailable reads what the socket holds right now, without blocking.
func (c *conn) readAvailable() int {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Read(func(fd uintptr) bool {
		m, err := syscall.Read(int(fd), c.rbuf[c.end:])
		if err == nil && m > 0 {
			n = m
		}
		return true // never wait
	})
	c.end += n
	return n
}

// parseBatch parses every complete command in the buffer into c.cmds.
func (c *conn) parseBatch() error {
	c.args = c.args[:0]
	c.cmds = c.cmds[:0]
	lim := c.limits()
	for c.start < c.end {
		from := len(c.args)
		args, n, err := parseCommand(c.rbuf[c.start:c.end], c.args, lim)
		c.args = args
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		c.start += n
		if len(c.args) > from {
			c.cmds = append(c.cmds, cmdSpan{from, len(c.args)})
		}
	}
	return nil
}

func (c *conn) runBatch() {
	c.batchStart, c.batchExcludedNs = time.Now(), c.excludedNs
	if len(c.cmds) > 0 {
		c.lastCmd.Store(c.batchStart.UnixMilli())
	}
	for _, span := range c.cmds {
		if c.quit {
			break
		}
		c.exec(c.args[span.from:span.to])
		if len(c.w.buf) >= maxBatchReplyBytes {
			c.flushMidBatch()
		}
	}
	c.drain()
	c.s.stats.commandsProcessed.Add(int64(len(c.cmds)))
	c.flushStats()
	c.publishStats()
}

// flushMidBatch writes the replies ready so far before the rest of a batch
// runs: a pipeline of commands with large replies (thousands of XRANGEs in
// one read) would otherwise hold all their replies in memory at once. The
// write blocks on a client that does not read, which stops its batch; once
// its connection is closed the batch is abandoned.
func (c *conn) flushMidBatch() {
	c.drain()
	start := time.Now()
	c.commitReplies()
	c.flush()
	c.excludedNs += time.Since(start).Nanoseconds() // waiting for the client
	c.out.mu.Lock()
	closed := c.out.closed
	c.out.mu.Unlock()
	if closed {
		c.quit = true
	}
}

// compact moves unparsed bytes to the front of the buffer, and releases a
// large buffer once it is empty.
func (c *conn) compact() {
	if c.start == c.end {
		c.start, c.end = 0, 0
		if len(c.rbuf) > idleReadBytes {
			c.rbuf = nil
		}
		return
	}
	if c.start > 0 {
		n := copy(c.rbuf, c.rbuf[c.start:c.end])
		c.start, c.end = 0, n
	}
}

// commitReplies moves the replies written so far into the shared output
// buffer, after anything queued before them. While replies are muted
// (CLIENT REPLY) those are the ones written before, held aside.
func (c *conn) commitReplies() {
	if len(*c.replyBuf()) == 0 {
		return
	}
	c.out.mu.Lock()
	c.commitRepliesLocked()
	c.out.mu.Unlock()
}

// commitRepliesLocked queues the reader's replies: its buffer is handed
// over whole when nothing else is pending (the spare becomes the reader's),
// else copied into the chunk queue.
func (c *conn) commitRepliesLocked() {
	buf := c.replyBuf()
	switch {
	case c.out.closed || len(*buf) == 0:
	case c.out.queued == 0 && !c.out.flushing && c.out.head == nil:
		c.out.head, *buf = *buf, c.out.spare
		c.out.spare = nil
		c.out.queued = len(c.out.head)
		c.held.Add(int64(len(c.out.head)))
	default:
		c.queueLocked(*buf, false)
	}
	*buf = (*buf)[:0]
}

// flush writes the output buffer to the socket unless another goroutine is
// already doing so.
func (c *conn) flush() {
	c.out.mu.Lock()
	if c.out.flushing || c.out.closed || c.out.queued == 0 {
		c.out.mu.Unlock()
		return
	}
	c.out.flushing = true
	c.flushLocked()
}

// flushLocked writes until nothing is queued. Called with out.mu held and
// flushing set; returns with out.mu released. Each round takes everything
// queued: that is the write the resumable cursors move by (in flight as it
// is taken, sent once the socket accepted all of it).
func (c *conn) flushLocked() {
	for c.out.queued > 0 && !c.out.closed {
		c.takeOutputLocked()
		c.out.mu.Unlock()
		now := time.Now()
		err := c.writeTaken()
		c.out.mu.Lock()
		c.held.Add(-int64(len(c.out.writeHead)))
		c.keepSpareLocked(c.out.writeHead, now)
		c.out.writeHead = nil
		if err != nil {
			c.closeLocked("write failed: " + err.Error())
		} else {
			c.out.written = c.out.taken
			c.ackLocked()
		}
	}
	c.out.flushing = false
	c.out.mu.Unlock()
}

// takeOutputLocked moves everything queued to the write* fields. Called
// with out.mu held and flushing set.
func (c *conn) takeOutputLocked() {
	c.out.writeHead, c.out.head = c.out.head, nil
	c.out.writeChunks, c.out.chunks = c.out.chunks, c.out.writeChunks[:0]
	c.out.taken += uint64(c.out.queued)
	c.out.queued = 0
}

// writeTaken writes what takeOutputLocked took, without out.mu: the head,
// then the chunks, about writeGroupBytes per write, each group's chunks
// back to the pool as soon as the socket accepted them. On an error the
// rest is released unwritten.
func (c *conn) writeTaken() error {
	head, chunks := c.out.writeHead, c.out.writeChunks
	var err error
	for first := true; err == nil && (first || len(chunks) > 0); first = false {
		iov, size := c.out.iovSpare[:0], 0
		if first && len(head) > 0 {
			iov, size = append(iov, head), len(head)
		}
		k := 0
		for ; k < len(chunks) && (k == 0 || size < writeGroupBytes); k++ {
			iov, size = append(iov, chunks[k].b), size+len(chunks[k].b)
		}
		c.out.iovSpare, c.out.iov = iov[:0], iov
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.limits.WriteTimeout))
		if len(c.out.iov) == 1 {
			_, err = c.nc.Write(c.out.iov[0])
		} else {
			_, err = c.out.iov.WriteTo(c.nc)
		}
		clear(iov)
		for _, ch := range chunks[:k] {
			c.releaseChunk(ch)
		}
		chunks = chunks[k:]
	}
	for _, ch := range chunks {
		c.releaseChunk(ch)
	}
	clear(c.out.writeChunks)
	c.out.writeChunks = c.out.writeChunks[:0]
	return err
}

// closeLocked marks the connection closed and closes the socket, which ends
// the reader. Called with out.mu held.
func (c *conn) closeLocked(reason string) {
	if c.out.closed {
		return
	}
	c.ackLocked() // the last the socket can tell before it is closed
	c.out.closed = true
	c.gone.Store(true)
	c.writeOffPush()
	c.out.reason = reason
	c.held.Add(-int64(len(c.out.head)))
	c.out.chunks = c.releaseChunks(c.out.chunks)
	c.out.head, c.out.queued = nil, 0
	c.out.spare, c.out.parked = nil, nil
	if c.out.idle != nil {
		c.out.idle.Stop()
	}
	_ = c.nc.Close()
}

// keepSpareLocked keeps buf, a reply buffer just written, as the spare
// output buffer if the retention policy allows (see maxKeptOutBytes) and
// it is larger than the spare kept now. Called with out.mu held.
func (c *conn) keepSpareLocked(buf []byte, now time.Time) {
	switch {
	case cap(buf) == 0 || cap(buf) <= cap(c.out.spare):
	case cap(buf) <= maxSpareOutBytes:
		c.out.spare = buf[:0]
	case cap(buf) <= maxKeptOutBytes && !c.out.closed:
		c.out.spare = buf[:0]
		c.noteBigLocked(now)
	}
}

// noteBigLocked records that a large buffer was used now and makes sure the
// idle release will run. Called with out.mu held.
func (c *conn) noteBigLocked(now time.Time) {
	c.out.bigUsed = now
	if c.out.idleArmed {
		return
	}
	c.out.idleArmed = true
	if c.out.idle == nil {
		c.out.idle = time.AfterFunc(outIdleRelease, c.releaseIdleOut)
	} else {
		c.out.idle.Reset(outIdleRelease)
	}
}

// releaseIdleOut drops the connection's large output buffers once none was
// used for outIdleRelease; until then it checks again when that will be.
func (c *conn) releaseIdleOut() {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	if c.out.closed {
		c.out.idleArmed = false
		return
	}
	if wait := outIdleRelease - time.Since(c.out.bigUsed); wait > 0 {
		c.out.idle.Reset(wait)
		return
	}
	c.out.idleArmed = false
	if cap(c.out.spare) > maxSpareOutBytes {
		c.out.spare = nil
	}
	if cap(c.out.parked) > maxSpareOutBytes {
		c.out.parked = nil
	}
}

// parkReplyBuf hands a large reply buffer to out.parked while the reader
// waits for input, where the idle release can drop it; unparkReplyBuf takes
// it back (or nil, if it was released). Small buffers stay with the reader.
func (c *conn) parkReplyBuf() {
	if cap(c.w.buf) <= maxSpareOutBytes || len(c.w.buf) > 0 {
		return
	}
	c.out.mu.Lock()
	if !c.out.closed && cap(c.w.buf) <= maxKeptOutBytes {
		c.out.parked = c.w.buf[:0]
		c.noteBigLocked(time.Now())
	}
	c.out.mu.Unlock()
	c.w.buf = nil
	c.parkedOut = true
}

func (c *conn) unparkReplyBuf() {
	if !c.parkedOut {
		return
	}
	c.parkedOut = false
	c.out.mu.Lock()
	c.w.buf, c.out.parked = c.out.parked, nil
	c.out.mu.Unlock()
}

// shutdown is called by Server.Close: the reader finishes its batch, then
// sees the closed socket.
func (c *conn) shutdown() {
	_ = c.nc.SetReadDeadline(time.Now())
}

func (c *conn) cleanup() {
	c.saveResumeAtDisconnect()
	c.unsubscribeAll()
	c.out.mu.Lock()
	reason := c.out.reason
	c.closeLocked("connection closed")
	c.out.mu.Unlock()
	if reason != "" && reason != "connection closed" {
		c.s.logClientLine(slog.LevelInfo, "resp: client closed", "client", c.id, "addr", c.addr, "reason", reason)
	}
	c.s.forget(c)
}

func (c *conn) setProto(p int) {
	c.w.proto = p
	c.proto.Store(int32(p))
}

func (c *conn) name() string {
	c.info.mu.Lock()
	defer c.info.mu.Unlock()
	return c.info.name
}

func (c *conn) subscribed() bool {
	return len(c.subs)+len(c.psubs)+len(c.ssubs) > 0
}
