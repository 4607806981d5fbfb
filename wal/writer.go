package wal

import (
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// The write path: propose → apply → commit.
//
// Connections Submit requests to a bounded queue (a full queue blocks the
// submitter: back-pressure, never unbounded buffering). One writer goroutine
// drains it, applies each request in queue order to its in-memory view of the
// channels (assigning IDs from the request's TimeMs and the channel's last ID,
// nothing else), and builds one Pebble batch. One committer goroutine commits
// sealed batches with pebble.Sync, one at a time, in order. While a batch
// syncs, the next one fills, so under load one fsync carries many requests.
//
// Invariants:
//  1. Batches commit in the order they were sealed; a batch's requests are
//     acknowledged (Commit handed to OnCommit, then finished) only after its
//     fsync returned without error.
//  2. Readers see a channel only through its durable Meta, which the committer
//     publishes after the fsync. Pebble makes a batch readable before its sync
//     returns; bounding every read by durable.LastID hides those entries.
//  3. A request that must read channel state (XDEL, trims, XSETID) is applied
//     only when no batch is in flight, onto an indexed batch, so its reads see
//     every earlier write and nothing unapplied.
//  4. After a failed commit the log accepts no more writes (ErrFailed): Pebble
//     cannot continue after a WAL error, and the outcome of that batch is
//     unknown until restart.

// Commit is a batch that is durable. Whoever receives it (Options.OnCommit)
// may read its requests' commands and results, must not keep them, and must
// call Done exactly once.
type Commit struct {
	Requests []*Request
	log      *Log
}

// Done acknowledges every request of the commit.
func (c *Commit) Done() {
	for _, r := range c.Requests {
		r.finish()
	}
	clear(c.Requests)
	c.Requests = c.Requests[:0]
	c.log.commitPool.Put(c)
}

type writerState struct {
	nextCID  uint64
	batchNum uint64
	// applied is the index of the last request applied, clock the state
	// clock: the greatest stamp applied (both stored in every batch as
	// appliedKey, read at Open). reqNum numbers requests as they are
	// applied, and reqTouched lists the channels the current one changed
	// (see checkpointRequest).
	applied    uint64
	clock      int64
	reqNum     uint64
	reqTouched []*channel
	// commitCounter is the counter of the last sealed non-empty batch
	// (highwater.go); loaded at Open. resetCounter: the next one starts a
	// new history (a loss was accepted at Open).
	commitCounter uint64
	resetCounter  bool
	cur           *pendingBatch
	token         bool // the committer is idle and nothing is in flight
	// redelivery holds the groups with a redelivery policy (group_config.go).
	redelivery map[*group]*channel
	// nodeLimits decide where stream nodes end (nodes.go); set by
	// OpSetNodeLimits, stored with the state.
	nodeLimits NodeLimits
	keyBuf     []byte
	valBuf     []byte
	ids        []ID // scratch: the entries one group read delivers
}

type pendingBatch struct {
	pb            *pebble.Batch
	indexed       bool
	num           uint64
	reqs          []*Request
	touched       []touchedChannel
	touchedGroups []touchedGroup
	bytes         int
	counter       uint64      // its commit counter; 0 for an empty batch
	applied       uint64      // the applied index at seal; 0: no request was applied in it
	nodeLimits    *NodeLimits // set by OpSetNodeLimits: published once durable
	err           error       // commit result
}

type touchedChannel struct {
	ch     *channel
	meta   Meta
	exists bool
}

func (l *Log) startWriter() {
	l.ready = make(chan struct{}, 1)
	l.sealed = make(chan *pendingBatch, 1)
	l.ready <- struct{}{}
	l.commitPool.New = func() any { return &Commit{log: l} }
	l.wg.Add(2)
	go l.writerLoop()
	go l.committerLoop()
}

// Submit queues r. It blocks while the queue is full. The request is done
// (Wait returns) once it is durable or has failed; per-command errors are in
// the commands.
func (l *Log) Submit(r *Request) error {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if err := l.Failed(); err != nil {
		return err
	}
	l.queue <- r
	return nil
}

func (l *Log) writerLoop() {
	defer l.wg.Done()
	defer close(l.sealed)
	w := &l.w
	for {
		if w.token && w.cur != nil {
			l.drainQueue()
			if len(l.queue) == 0 {
				// Idle: commit here rather than wake the committer. The
				// token stays with the writer, so batches stay ordered.
				l.commit(l.seal())
				continue
			}
			l.handOver()
			continue
		}
		queue := l.queue
		if w.cur != nil && w.cur.bytes >= l.opts.MaxBatchBytes {
			queue = nil // full: wait for the committer
		}
		select {
		case r := <-queue:
			l.apply(r)
		case <-l.ready:
			w.token = true
		case <-l.closing:
			// Submit admits nothing once closing is closed: finish what
			// is queued, a batch at a time.
			for len(l.queue) > 0 || w.cur != nil {
				l.drainQueue()
				if w.cur != nil {
					l.takeToken()
					l.handOver()
				}
			}
			l.checkpointMeta()
			return
		}
	}
}

// drainQueue applies what is already queued, up to the batch size limit.
func (l *Log) drainQueue() {
	for len(l.queue) > 0 && (l.w.cur == nil || l.w.cur.bytes < l.opts.MaxBatchBytes) {
		l.apply(<-l.queue)
	}
}

func (l *Log) takeToken() {
	if !l.w.token {
		<-l.ready
		l.w.token = true
	}
}

// handOver seals the current batch and gives it to the committer. The caller
// holds the token.
func (l *Log) handOver() {
	b := l.seal()
	l.w.token = false
	l.sealed <- b
}

// seal finishes the current batch: it snapshots the metadata of every
// channel the batch touched for publication after the fsync, and writes
// the groups it touched and the applied index.
func (l *Log) seal() *pendingBatch {
	b := l.w.cur
	l.w.cur = nil
	for i := range b.touched {
		t := &b.touched[i]
		t.meta, t.exists = t.ch.w, t.ch.exists
	}
	l.sealGroups(b)
	if b.applied != 0 {
		b.applied = l.w.applied
		l.w.valBuf = appendUint64(appendUint64(l.w.valBuf[:0], l.w.applied), uint64(l.w.clock))
		b.setErr(b.pb.Set(appliedKey(l.w.keyBuf, l.shard), l.w.valBuf, nil))
	}
	l.setCommitCounter(b)
	return b
}

// metaCheckpointMs is how often, in state-clock time, a channel that only
// receives appends has its metadata written. Between checkpoints, Open
// recounts the entries after the stored LastID (see recoverAppends).
// Writing it with every append would put the same key in every flushed
// table, so no table could be moved down the LSM without being rewritten.
const metaCheckpointMs = 10000

// checkpointRequest writes, after a request, the metadata of each channel
// the request changed that needs it: anything but plain appends, or appends
// metaCheckpointMs after the record was last written. The decision and the
// record depend only on the requests applied and their stamps — not on how
// requests were grouped into batches, nor on any node's clock — so that
// replicas applying the same requests store the same bytes.
func (l *Log) checkpointRequest(b *pendingBatch) {
	w := &l.w
	for _, ch := range w.reqTouched {
		if !ch.exists || !(ch.forceMeta || w.clock-ch.metaWrittenMs >= metaCheckpointMs) {
			ch.metaDirty = ch.exists
			continue
		}
		ch.metaDirty, ch.forceMeta, ch.metaWrittenMs = false, false, w.clock
		w.keyBuf = metaKey(w.keyBuf, l.shard, ch.cid)
		w.valBuf = encodeMetaRecord(w.valBuf[:0], &ch.w, w.clock)
		b.setErr(b.pb.Set(w.keyBuf, w.valBuf, nil))
	}
	clear(w.reqTouched)
	w.reqTouched = w.reqTouched[:0]
}

func (b *pendingBatch) setErr(err error) {
	if err != nil && b.err == nil {
		b.err = err
	}
}

// batchFor returns the batch to apply r to, making sure a request that reads
// channel state runs on an indexed batch with nothing in flight (nil: a
// request that applies nothing).
func (l *Log) batchFor(r *Request) *pendingBatch {
	w := &l.w
	reads := r != nil && l.needsReads(r)
	if reads && (w.cur == nil || !w.cur.indexed) {
		if w.cur != nil {
			l.takeToken()
			l.handOver()
		}
		l.takeToken() // the committer finished everything handed over
	}
	if w.cur == nil {
		w.batchNum++
		b := &pendingBatch{num: w.batchNum, indexed: reads}
		if reads {
			b.pb = l.db.NewIndexedBatch()
		} else {
			b.pb = l.db.NewBatch()
		}
		w.cur = b
	}
	return w.cur
}

// needsReads reports whether applying r must read stored entries.
func (l *Log) needsReads(r *Request) bool {
	for i := range r.Commands {
		p := &r.Commands[i]
		switch p.Kind {
		case OpDelete, OpTrim, OpSetID, OpRedeliveryScan,
			OpClaim, OpAutoClaim, OpClaimIdle, OpAckDel, OpDeleteEx, OpTrimRef: // group_claim.go
			return true
		case OpGroupRead:
			if appendsTo(r, p.Channel) > 0 || l.hasUndurableEntries(p.Channel) {
				return true // it may deliver entries only the batches have
			}
		case OpAppend:
			if p.Trim.Strategy == TrimNone {
				continue
			}
			ch := l.lookup(p.Channel)
			if ch == nil || !ch.exists {
				return true // its first entries may already be trimmable
			}
			if trimMayRemove(ch, &p.Trim, appendsTo(r, p.Channel)) {
				return true
			}
		}
	}
	return false
}

// hasUndurableEntries reports whether the channel named name has entries
// applied in batches not yet durable.
func (l *Log) hasUndurableEntries(name []byte) bool {
	ch := l.lookup(name)
	if ch == nil || !ch.exists {
		return false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return !ch.live || ch.durable.Incarnation != ch.w.Incarnation || ch.durable.LastID != ch.w.LastID
}

// appendsTo counts the appends to channel in r.
func appendsTo(r *Request, channel []byte) uint64 {
	var n uint64
	for i := range r.Commands {
		if r.Commands[i].Kind == OpAppend && string(r.Commands[i].Channel) == string(channel) {
			n++
		}
	}
	return n
}

func (l *Log) apply(r *Request) {
	if err := l.Failed(); err != nil {
		r.failAll(err)
		r.runErr = err
		r.finish()
		return
	}
	if r.run != nil {
		l.applyExclusive(r)
		return
	}
	w := &l.w
	if r.Index != 0 && r.Index <= w.applied {
		// Applied before: it is acknowledged in order, changing nothing.
		r.failAll(ErrApplied)
		b := l.batchFor(nil)
		b.reqs = append(b.reqs, r)
		return
	}
	b := l.batchFor(r)
	if r.Index == 0 {
		r.Index = w.applied + 1
	}
	stamp := r.StampMs
	if stamp == 0 {
		stamp = l.opts.NowMs()
	}
	w.applied, w.clock = r.Index, max(w.clock, stamp)
	r.TimeMs = w.clock
	w.reqNum++
	b.applied = r.Index
	b.reqs = append(b.reqs, r)
	for i := range r.Commands {
		l.applyCommand(b, r.op(i), r.TimeMs)
		if b.err != nil {
			break
		}
	}
	l.checkpointRequest(b)
	if b.err != nil {
		// A Pebble batch error is a programming or memory error; the
		// batch is unusable, so the log stops writing.
		l.fail(b.err)
	}
}

func (l *Log) applyCommand(b *pendingBatch, p op, nowMs int64) {
	switch p.Kind {
	case OpAppend:
		l.applyAppend(b, p, nowMs)
	case OpDelete:
		l.applyDelete(b, p)
	case OpTrim:
		if ch := l.lookup(p.Channel); ch != nil && ch.exists {
			p.N, p.Err = l.trim(b, ch, &p.Trim)
		}
	case OpDrop:
		l.applyDrop(b, p)
	case OpSetID:
		l.applySetID(b, p)
	case OpGroupCreate:
		l.applyGroupCreate(b, p)
	case OpGroupDestroy:
		l.applyGroupDestroy(b, p)
	case OpGroupSetID:
		l.applyGroupSetID(b, p)
	case OpConsumerCreate:
		l.applyConsumerCreate(b, p, nowMs)
	case OpConsumerDelete:
		l.applyConsumerDelete(b, p)
	case OpGroupRead:
		l.applyGroupRead(b, p, nowMs)
	case OpAck:
		l.applyAck(b, p)
	case OpGroupHistory:
		l.applyGroupHistory(b, p, nowMs)
	case OpGroupConfig:
		l.applyGroupConfig(b, p)
	case OpRedeliveryScan:
		l.applyRedeliveryScan(b, p, nowMs)
	case OpSetCursors:
		l.applySetCursors(b, p)
	case OpSetNodeLimits:
		l.applySetNodeLimits(b, p)
	case OpClaim:
		l.applyClaim(b, p, nowMs)
	case OpAutoClaim:
		l.applyAutoClaim(b, p, nowMs)
	case OpClaimIdle:
		l.applyClaimIdle(b, p, nowMs)
	case OpAckDel:
		l.applyAckDel(b, p)
	case OpDeleteEx:
		l.applyDeleteEx(b, p)
	case OpTrimRef:
		l.applyTrimRef(b, p)
	case OpSetRetention:
		ch := l.channelForWrite(b, p.Channel)
		ch.w.Retention = p.Retention
		l.touch(b, ch, true)
	default:
		p.Err = fmt.Errorf("wal: unknown op %d", p.Kind)
	}
}

// channelForWrite returns the channel named name, creating it (in the
// writer's view and in the batch) if it does not exist.
func (l *Log) channelForWrite(b *pendingBatch, name []byte) *channel {
	ch := l.lookup(name)
	if ch == nil {
		ch = l.getOrCreate(name)
	}
	if ch.exists {
		return ch
	}
	if ch.cid == 0 {
		ch.cid = l.allocID(b)
	}
	ch.w = Meta{Incarnation: ch.cid}
	ch.exists = true
	l.w.valBuf = appendUint64(l.w.valBuf[:0], ch.cid)
	b.setErr(b.pb.Set(nameKey(l.w.keyBuf, l.shard, name), l.w.valBuf, nil))
	l.touch(b, ch, true)
	return ch
}

// allocID returns a new channel or consumer-group id from the counter
// stored in the state: one never given before, also after the channel or
// group of the highest id was deleted and the node restarted, and the same
// on every replica applying the same requests.
func (l *Log) allocID(b *pendingBatch) uint64 {
	id := l.w.nextCID
	l.w.nextCID++
	l.w.valBuf = appendUint64(l.w.valBuf[:0], l.w.nextCID)
	b.setErr(b.pb.Set(nextCIDKey(l.w.keyBuf, l.shard), l.w.valBuf, nil))
	return id
}

// getOrCreate returns the in-memory channel for name, adding a placeholder
// (no cid, not existing) if there is none.
func (l *Log) getOrCreate(name []byte) *channel {
	l.chMu.Lock()
	defer l.chMu.Unlock()
	ch := l.channels[string(name)]
	if ch == nil {
		ch = &channel{name: string(name)}
		l.channels[ch.name] = ch
	}
	return ch
}

// touch records that b changes ch. force asks for its metadata to be
// written in b (anything but a plain append).
func (l *Log) touch(b *pendingBatch, ch *channel, force bool) {
	if force {
		ch.forceMeta = true
	}
	if ch.lastReq != l.w.reqNum {
		ch.lastReq = l.w.reqNum
		l.w.reqTouched = append(l.w.reqTouched, ch)
	}
	if ch.lastBatch == b.num {
		return
	}
	ch.lastBatch = b.num
	b.touched = append(b.touched, touchedChannel{ch: ch})
}

func (l *Log) committerLoop() {
	defer l.wg.Done()
	for b := range l.sealed {
		l.commit(b)
		l.ready <- struct{}{}
	}
}

// commitBatch commits pb. Pebble reports a failed WAL write or fsync through
// Logger.Fatalf and cannot write again; pebbleLogger panics with a
// fatalError there, which is turned back into an error here.
func commitBatch(pb *pebble.Batch, opts *pebble.WriteOptions) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			err = fe
		}
	}()
	return pb.Commit(opts)
}

func (l *Log) commit(b *pendingBatch) {
	defer func() {
		if l.Failed() == nil {
			_ = b.pb.Close()
		} // a batch that failed mid-commit may still be referenced by Pebble
	}()
	err := b.err
	if err == nil {
		err = l.Failed() // never hand Pebble a batch after a failed one
	}
	if err == nil && b.pb.Empty() {
		// Nothing to write (a redelivery scan that found nothing, say):
		// nothing to sync either.
	} else if err == nil {
		opts := pebble.Sync
		if l.opts.UnsafeNoSync {
			opts = pebble.NoSync
		}
		start := time.Now()
		err = commitBatch(b.pb, opts)
		if l.opts.OnSynced != nil {
			st := CommitStats{Duration: time.Since(start), Requests: len(b.reqs), Bytes: b.bytes, Err: err}
			for _, r := range b.reqs {
				st.Commands += len(r.Commands)
			}
			l.opts.OnSynced(st)
		}
	}
	if err == nil {
		err = l.Failed() // a batch after a failure must not be acknowledged
	}
	if err != nil {
		l.fail(err)
		err = l.Failed()
		for _, r := range b.reqs {
			r.failAll(err)
			r.finish()
		}
		return
	}
	if b.counter != 0 && !l.opts.UnsafeNoSync {
		l.durableCounter.Store(b.counter) // after the fsync: see highwater.go
	}
	if b.applied != 0 {
		l.durableApplied.Store(b.applied)
	}
	l.views.advance(l.db)
	for i := range b.touched {
		b.touched[i].ch.publish(b.touched[i].meta, b.touched[i].exists)
	}
	publishGroups(b.touchedGroups)
	if b.nodeLimits != nil {
		l.nodeLimits.Store(b.nodeLimits)
	}
	c := l.commitPool.Get().(*Commit)
	c.Requests = append(c.Requests, b.reqs...)
	if l.opts.OnCommit != nil {
		l.opts.OnCommit(c)
	} else {
		c.Done()
	}
}

// publish makes m the channel's durable view and wakes its waiters.
func (ch *channel) publish(m Meta, exists bool) {
	ch.mu.Lock()
	ch.durable, ch.live = m, exists
	wake := ch.waitCh
	ch.waitCh = nil
	ch.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}

func appendUint64(dst []byte, v uint64) []byte {
	return append(dst, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// checkpointMeta writes, in one last batch, the metadata of every channel
// whose metadata was not written since its last append, so that the next
// Open has nothing to recount. These records are the node's own (z/, sorted
// after everything, so that reading them at Open touches no entry's table
// block):
// when a node closes is not part of the replicated state, so the replicated
// records (m/) stay as the requests made them.
func (l *Log) checkpointMeta() {
	l.chMu.RLock()
	var dirty []*channel
	for _, ch := range l.channels {
		if ch.exists && ch.metaDirty {
			dirty = append(dirty, ch)
		}
	}
	l.chMu.RUnlock()
	if len(dirty) == 0 || l.Failed() != nil {
		return
	}
	l.w.batchNum++
	b := &pendingBatch{num: l.w.batchNum, pb: l.db.NewBatch()}
	l.w.cur = b
	for _, ch := range dirty {
		l.w.keyBuf = closedMetaKey(l.w.keyBuf, l.shard, ch.cid)
		l.w.valBuf = encodeMetaRecord(l.w.valBuf[:0], &ch.w, ch.metaWrittenMs)
		b.setErr(b.pb.Set(l.w.keyBuf, l.w.valBuf, nil))
	}
	l.takeToken()
	l.handOver()
}

// dropClosedCheckpoints removes the records of the last clean close once
// Open has read them, before anything else is written: the next write
// makes the channels' state newer than they are.
func (l *Log) dropClosedCheckpoints() error {
	if len(l.closedCIDs) == 0 {
		return nil
	}
	b := l.db.NewBatch()
	defer b.Close()
	var key []byte
	for _, cid := range l.closedCIDs {
		key = closedMetaKey(key, l.shard, cid)
		if err := b.Delete(key, nil); err != nil {
			return err
		}
	}
	l.closedCIDs = nil
	return b.Commit(pebble.NoSync)
}
