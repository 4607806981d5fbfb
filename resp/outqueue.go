package resp

import (
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
)

// A connection's pending output is a queue of fixed-size chunks, not one
// growing slice, so that a subscriber that does not read costs the fan-out
// only the bytes it is sent: appending fills the last chunk or takes a new
// one from the server's pool, never copies what is already queued, and the
// socket writer hands every queued chunk to the kernel at once (writev) and
// returns each to the pool once written.
//
// Every chunk a connection holds (staged by Deliver, queued, or being
// written) is counted in conn.held by its capacity, which is what the
// subscriber limit checks. Chunks the fan-out took for pushes are also
// counted in conn.push and, until the connection closes, in the
// server-wide Server.pushBytes, which the server-wide limit bounds by
// disconnecting the largest holders first (see boundSubscriberOutput). A reply buffer handed over whole (outBuf.head)
// counts in held by its length: the reply-buffer rules (maxKeptOutBytes)
// bound its capacity.

// Chunk sizes: a sixteenth of the subscriber limit, within these bounds, so
// that a partly filled chunk is a small part of what a subscriber may hold.
const (
	minChunkBytes = 256
	maxChunkBytes = 64 << 10
	// writeGroupBytes is about how much one write hands to the socket
	// before the chunks it wrote go back to the pool, so a subscriber that
	// reads slowly holds less and less as it reads.
	writeGroupBytes = 1 << 20
)

// outChunk is a piece of pending output: b's length is what was written
// into it, its capacity the pool's chunk size.
type outChunk struct {
	b    []byte
	push bool // taken by the fan-out: counted in conn.push and Server.pushBytes
}

// chunkPool recycles the chunks of one server.
type chunkPool struct {
	size int
	pool sync.Pool
}

func newChunkPool(subscriberLimit int) *chunkPool {
	size := maxChunkBytes
	for size > minChunkBytes && size > subscriberLimit/16 {
		size /= 2
	}
	p := &chunkPool{size: size}
	p.pool.New = func() any { return &outChunk{b: make([]byte, 0, size)} }
	return p
}

// newChunk takes an empty chunk from the pool and counts it as held by c
// (and, for a push, in the server-wide total).
func (c *conn) newChunk(push bool) *outChunk {
	ch := c.s.chunks.pool.Get().(*outChunk)
	ch.push = push
	n := int64(cap(ch.b))
	c.held.Add(n)
	if push {
		c.countPush(n)
	}
	return ch
}

// countPush adds n (negative: removes) to c's push output, and to the
// server-wide total unless c was written off it at its close.
func (c *conn) countPush(n int64) {
	c.push.mu.Lock()
	c.push.held += n
	if !c.push.writtenOff {
		c.s.pushBytes.Add(n)
	}
	c.push.mu.Unlock()
}

// writeOffPush takes c's push output out of the server-wide total as it
// closes: what it still holds is being released (its writer returns once
// the socket is closed), and must not make the server evict more.
func (c *conn) writeOffPush() {
	c.push.mu.Lock()
	if !c.push.writtenOff {
		c.push.writtenOff = true
		c.s.pushBytes.Add(-c.push.held)
	}
	c.push.mu.Unlock()
}

// pushHeld is the push output c holds.
func (c *conn) pushHeld() int64 {
	c.push.mu.Lock()
	defer c.push.mu.Unlock()
	return c.push.held
}

// releaseChunk returns ch to the pool and stops counting it.
func (c *conn) releaseChunk(ch *outChunk) {
	n := int64(cap(ch.b))
	c.held.Add(-n)
	if ch.push {
		c.countPush(-n)
	}
	ch.b, ch.push = ch.b[:0], false
	c.s.chunks.pool.Put(ch)
}

// releaseChunks releases every chunk of list and returns it emptied.
func (c *conn) releaseChunks(list []*outChunk) []*outChunk {
	for _, ch := range list {
		c.releaseChunk(ch)
	}
	clear(list)
	return list[:0]
}

// appendChunks appends b to list, filling its last chunk first and taking
// new ones as needed; earlier chunks are never touched.
func (c *conn) appendChunks(list []*outChunk, b []byte, push bool) []*outChunk {
	for len(b) > 0 {
		n := len(list)
		if n == 0 || len(list[n-1].b) == cap(list[n-1].b) {
			list = append(list, c.newChunk(push))
			n++
		}
		last := list[n-1]
		k := copy(last.b[len(last.b):cap(last.b)], b)
		last.b = last.b[:len(last.b)+k]
		b = b[k:]
	}
	return list
}

// chunkBytes is the number of bytes written into the chunks of list.
func chunkBytes(list []*outChunk) int {
	n := 0
	for _, ch := range list {
		n += len(ch.b)
	}
	return n
}

// queueLocked appends b to the output queue, after everything in it.
// Called with out.mu held, on an open connection.
func (c *conn) queueLocked(b []byte, push bool) {
	c.out.chunks = c.appendChunks(c.out.chunks, b, push)
	c.out.queued += len(b)
}

// overSubscriberLimit reports whether c holds more output than a
// subscriber may.
func (c *conn) overSubscriberLimit() bool {
	return c.held.Load() > int64(c.s.limits.SubscriberBufferBytes)
}

// dropSlowSubscriber disconnects c for holding more output than a
// subscriber may (its messages stay in the log).
func (c *conn) dropSlowSubscriber() {
	if !c.closeCounted(&c.s.stats.subscriberDrops, "subscriber output buffer over limit (a subscriber that does not read)") {
		return
	}
	c.s.logClientLine(slog.LevelWarn, "resp: disconnecting slow subscriber", "client", c.id, "addr", c.addr,
		"limit_bytes", c.s.limits.SubscriberBufferBytes)
}

// closeCounted closes c for reason and counts it in counter, unless it is
// closed already (then it reports false).
func (c *conn) closeCounted(counter *atomic.Int64, reason string) bool {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	if c.out.closed {
		return false
	}
	counter.Add(1)
	c.closeLocked(reason)
	return true
}

// boundSubscriberOutput enforces TotalSubscriberBufferBytes: while the
// output the fan-out queued for all subscribers together is over it, the
// connections holding the most are disconnected, largest first (as Redis's
// maxmemory-clients evicts the biggest clients). A client that holds no
// pushes (one only receiving replies) is never chosen. It runs on the
// fan-out goroutine after a delivery, with no lock held.
func (s *Server) boundSubscriberOutput() {
	limit := int64(s.limits.TotalSubscriberBufferBytes)
	if s.pushBytes.Load() <= limit || !s.evictMu.TryLock() {
		return
	}
	defer s.evictMu.Unlock()
	type holder struct {
		c    *conn
		held int64
	}
	over := s.pushBytes.Load() - limit
	var live []holder
	for _, c := range s.clients() {
		if held := c.pushHeld(); held > 0 && !c.gone.Load() {
			live = append(live, holder{c, held})
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].held > live[j].held })
	for _, h := range live {
		if over <= 0 {
			return
		}
		h.c.evictForTotal(h.held, limit)
		over -= h.held
	}
}

// evictForTotal disconnects c to bring all subscribers' output back under
// the server-wide limit.
func (c *conn) evictForTotal(held, limit int64) {
	if !c.closeCounted(&c.s.stats.evictedClients, "subscribers' output over the server-wide limit: this one held the most") {
		return
	}
	c.s.logClientLine(slog.LevelWarn, "resp: disconnecting the subscriber holding the most output", "client", c.id, "addr", c.addr,
		"held_bytes", held, "total_limit_bytes", limit)
}

// pushAccount is the push output a connection holds (chunk capacity), and
// whether it was taken out of Server.pushBytes at the connection's close.
type pushAccount struct {
	mu         sync.Mutex
	held       int64 // guarded by mu
	writtenOff bool  // guarded by mu
}
