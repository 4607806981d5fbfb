package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rewind-mq/rewind/internal/loglimit"
)

// Options configure a Log. The zero value of every field has a working
// default (see EnsureDefaults).
type Options struct {
	Dir    string
	FS     vfs.FS // every file is reached through FS; vfs.Default when nil
	Logger *slog.Logger

	MaxEntryBytes int // largest encoded entry accepted; default 8 MiB
	QueueLen      int // requests waiting for the writer; default 4096
	MaxBatchBytes int // a batch is handed to fsync when it reaches this; default 16 MiB
	CacheBytes    int64

	// HighWaterInterval is how often the durable commit counter is copied to
	// the high-water file checked at Open (highwater.go); default 200ms. A
	// loss of only the writes of the last interval before a crash is not
	// detected.
	HighWaterInterval time.Duration

	// OnCommit, when set, receives every fsync'd batch in commit order, from
	// one goroutine; it must call Commit.Done when it has used it. When nil
	// the log calls Done itself.
	OnCommit func(*Commit)

	// OnSynced, when set, is told about every commit (from the committing
	// goroutine; it must be quick): for metrics and slow-fsync warnings.
	OnSynced func(CommitStats)

	// NowMs returns the wall clock in ms; tests replace it. The writer
	// reads it once per request, as it applies it (Request.TimeMs).
	NowMs func() int64

	// ReadOnly opens the log for reading only (e.g. replay from a stopped
	// node's directory): no writer, no retention, Submit fails.
	ReadOnly bool

	// UnsafeNoSync acknowledges batches without waiting for fsync. It exists
	// only so that the fault-injection harness can prove it detects loss.
	UnsafeNoSync bool

	// noDeliveryRuns stores every delivery in a record of its own (as
	// before delivery runs): tests compare the two.
	noDeliveryRuns bool

	// migrationBatchBytes bounds a batch of the key layout migration
	// (layout.go; default defaultMigrationBatchBytes), and
	// beforeMigrationBatch, when set, is called before each of its
	// commits, the version record's included: crash tests cut it short.
	migrationBatchBytes  int
	beforeMigrationBatch func()
}

// CommitStats describes one committed batch.
type CommitStats struct {
	Duration time.Duration // Pebble commit, including the fsync
	Requests int
	Commands int
	Bytes    int // entry bytes appended
	Err      error
}

// EnsureDefaults fills unset fields.
func (o *Options) EnsureDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxEntryBytes == 0 {
		o.MaxEntryBytes = 8 << 20
	}
	if o.QueueLen == 0 {
		o.QueueLen = 4096
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = 16 << 20
	}
	if o.CacheBytes == 0 {
		// Room for the decompressed blocks of a few million entries: a
		// channel replayed again (a second reader, a replay after XRANGE)
		// is served from memory. With 64 MiB, a scan of more than 64 MiB
		// evicted itself and every pass decompressed every block again
		// (a third more CPU per entry). Memory is taken only as blocks are
		// read.
		o.CacheBytes = 256 << 20
		if o.ReadOnly {
			// A read-only log (replay --dir) reads each block about once:
			// a large cache only costs page faults (0.15 s more system
			// time per 1M entries than 16 MiB, whose memory is reused).
			o.CacheBytes = 16 << 20
		}
	}
	if o.HighWaterInterval == 0 {
		o.HighWaterInterval = 200 * time.Millisecond
	}
	if o.NowMs == nil {
		o.NowMs = func() int64 { return time.Now().UnixMilli() }
	}
}

// Validate reports settings that cannot work.
func (o *Options) Validate() error {
	switch {
	case o.Dir == "":
		return errors.New("wal: Options.Dir is required")
	case o.MaxEntryBytes < 1:
		return errors.New("wal: MaxEntryBytes must be positive")
	case o.MaxBatchBytes < o.MaxEntryBytes:
		return errors.New("wal: MaxBatchBytes must be at least MaxEntryBytes")
	case o.QueueLen < 1:
		return errors.New("wal: QueueLen must be positive")
	case o.HighWaterInterval < 0:
		return errors.New("wal: HighWaterInterval must not be negative")
	}
	return nil
}

// Log is one node's store of channel logs, on one Pebble DB.
type Log struct {
	opts     Options
	popts    *pebble.Options // what db was opened with (table writers take it: snapshot.go)
	db       *pebble.DB
	lock     *pebble.Lock     // the directory's lock, released after db
	diskFull *diskFullBackoff // diskfull.go
	// shard is the replication group (keys.go) whose state this log
	// holds: every replicated key is built under it. A single node is
	// singleNodeShard.
	shard uint32

	chMu     sync.RWMutex
	channels map[string]*channel // by name; guarded by chMu

	// durableApplied is the applied index as of the last fsync'd batch.
	durableApplied atomic.Uint64

	// closedCIDs: channels whose metadata Open took from the records of
	// the last clean close (removed before the writer starts).
	closedCIDs []uint64

	queue   chan *Request
	closing chan struct{}
	closeMu sync.RWMutex // Submit holds it shared so Close can wait out senders
	closed  bool         // guarded by closeMu
	wg      sync.WaitGroup
	failed  atomic.Pointer[error]

	redeliveryGroups atomic.Int64               // groups with a redelivery policy
	nodeLimits       atomic.Pointer[NodeLimits] // as of the last fsync'd batch

	// durableCounter is the commit counter of the last fsync'd batch
	// (highwater.go); the committer stores it.
	durableCounter atomic.Uint64
	// The counter in the high-water file, and whether writing it fails:
	// owned by highWaterLoop, then by Close.
	highWaterWritten uint64
	highWaterFailing bool
	views            durableViews

	ready      chan struct{}      // the committer's token: idle, nothing in flight
	sealed     chan *pendingBatch // writer → committer
	commitPool sync.Pool          // *Commit

	w writerState // owned by the writer goroutine
}

// channel is one channel's in-memory state.
type channel struct {
	name string
	// cid is the channel's incarnation, owned by the writer: the key of
	// its entries, groups and metadata, assigned from a persisted counter
	// when the channel is created and never reused, so that a channel
	// deleted and created again is a new one (0 while it does not exist).
	// Readers take it from the durable Meta (Meta.Incarnation).
	cid uint64

	// Owned by the writer goroutine.
	w         Meta
	exists    bool   // in the writer's view
	lastBatch uint64 // the batch number that last touched w
	lastReq   uint64 // the request (writerState.reqNum) that last touched w
	forceMeta bool   // write the metadata after the current request
	metaDirty bool   // appends since the metadata was last written
	// metaWrittenMs is the state clock when the metadata was last written
	// (see checkpointRequest); stored in the record.
	metaWrittenMs int64

	// The oldest node's entries, when known without reading (nodes.go),
	// and trims since node markers were last cleaned; writer-owned.
	firstNodeLive       uint64
	firstNodeKnown      bool
	trimsSinceNodeClean int

	// Consumer groups, owned by the writer (see group.go).
	groups     map[string]*group
	groupByGID map[uint64]*group

	mu            sync.Mutex
	durableGroups map[string]*GroupInfo // guarded by mu; replaced, never mutated
	durable       Meta                  // guarded by mu: as of the last fsync'd batch
	live          bool                  // guarded by mu: exists as of the last fsync'd batch
	waitCh        chan struct{}         // guarded by mu: closed when durable advances
}

// Open opens (creating if needed) the log in opts.Dir and starts its writer.
func Open(opts Options) (*Log, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	lock, err := prepareDir(opts.FS, opts.Dir, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	backoff := newDiskFullBackoff(opts.Logger)
	l, err := openPebble(opts, lock, backoff)
	if err != nil {
		backoff.close()
		if lock != nil {
			if !opts.ReadOnly {
				_ = opts.FS.Remove(opts.FS.PathJoin(opts.Dir, PIDFile))
			}
			_ = lock.Close()
		}
		return nil, err
	}
	return l, nil
}

// openPebble opens Pebble in opts.Dir (holding lock, when not nil) and
// starts the log's goroutines.
func openPebble(opts Options, lock *pebble.Lock, backoff *diskFullBackoff) (*Log, error) {
	fs := opts.FS
	if !opts.ReadOnly {
		fs = backoff.wrap(fs)
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref()
	popts := &pebble.Options{
		FS:                          fs,
		Lock:                        lock,
		Cache:                       cache,
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		Logger:                      newPebbleLogger(opts.Logger),
		Merger:                      merger, // the commit counter's (highwater.go)
		ReadOnly:                    opts.ReadOnly,
		EventListener: &pebble.EventListener{
			// A corrupt block is an error for the read that met it
			// (ErrCorrupt to the client), not a crash of the node.
			DataCorruption: func(info pebble.DataCorruptionInfo) {
				opts.Logger.Error("wal: corrupt data on disk", "path", info.Path, "err", info.Details)
			},
		},
	}
	// Reads are mostly long forward scans of one channel (replay, XRANGE
	// pages, subscribers catching up): 32 KiB blocks (Pebble's default is 4
	// KiB) pay the per-block costs — a cache lookup, and on a miss a read
	// syscall, a checksum and a decompression call — 8 times less often, and
	// make index blocks 8 times smaller. Point reads are rare (metadata is
	// read at open and cached). Measured on 1M 100-byte entries
	// (wal/read_bench_test.go): a cold scan costs ~13% less CPU, a warm one
	// the same; publishing is unchanged.
	popts.EnsureDefaults()
	for i := range popts.Levels {
		popts.Levels[i].BlockSize = 32 << 10
		popts.Levels[i].IndexBlockSize = 32 << 10
	}
	// Read-triggered compactions reduce read amplification for random reads
	// over overlapping levels; a log's keys are appended in order, so its
	// files barely overlap, and the sampling cost ~2% of every scan.
	popts.Experimental.ReadSamplingMultiplier = -1
	if !opts.ReadOnly {
		// Restore (snapshot.go) replaces a shard's span by ingesting a
		// table with an excise, which needs virtual tables. Opening an
		// older directory ratchets its format up (once, for good).
		popts.FormatMajorVersion = pebble.FormatVirtualSSTables
	}
	db, err := pebble.Open(opts.Dir, popts)
	if err != nil {
		return nil, fmt.Errorf("wal: open pebble in %s: %w", opts.Dir, err)
	}
	if err := checkLayout(db, &opts, singleNodeShard); err != nil {
		_ = db.Close()
		return nil, err
	}
	l := &Log{
		opts:     opts,
		popts:    popts,
		db:       db,
		lock:     lock,
		diskFull: backoff,
		shard:    singleNodeShard,
		channels: make(map[string]*channel),
		queue:    make(chan *Request, opts.QueueLen),
		closing:  make(chan struct{}),
	}
	if err := l.checkHighWater(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := l.load(); err != nil {
		_ = db.Close()
		return nil, err
	}
	l.views.init(db)
	if opts.ReadOnly {
		l.closed = true // Submit fails with ErrClosed
		return l, nil
	}
	if err := l.dropClosedCheckpoints(); err != nil {
		_ = db.Close()
		return nil, err
	}
	l.startWriter()
	l.wg.Add(1)
	go l.highWaterLoop()
	return l, nil
}

// load reads the names table and every channel's metadata.
func (l *Log) load() error {
	lower, upper := prefixBounds(kindPrefix(nil, l.shard, prefixName))
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	var mk []byte
	for it.First(); it.Valid(); it.Next() {
		name := string(it.Key()[len(lower):])
		v := it.Value()
		if len(v) != 8 {
			return fmt.Errorf("%w: names table entry for %q", ErrCorrupt, name)
		}
		cid := binary.BigEndian.Uint64(v)
		m, writtenMs, fromClose, err := l.loadMeta(mk, cid)
		if err != nil {
			return fmt.Errorf("wal: channel %q: %w", name, err)
		}
		added := m.EntriesAdded
		if err := l.recoverAppends(cid, &m); err != nil {
			return fmt.Errorf("wal: channel %q: %w", name, err)
		}
		m.Incarnation = cid
		ch := &channel{name: name, cid: cid, w: m, exists: true, durable: m, live: true, metaWrittenMs: writtenMs}
		// Newer than its replicated record: the next close records it.
		ch.metaDirty = fromClose || m.EntriesAdded != added
		l.channels[name] = ch
		if cid >= l.w.nextCID {
			l.w.nextCID = cid + 1
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := l.loadNodeLimits(); err != nil {
		return err
	}
	next, err := l.loadNextCID()
	if err != nil {
		return err
	}
	l.w.nextCID = max(l.w.nextCID, next, 1)
	if l.w.applied, l.w.clock, err = l.loadApplied(); err != nil {
		return err
	}
	l.durableApplied.Store(l.w.applied)
	if err := l.loadGroups(); err != nil {
		return fmt.Errorf("wal: consumer groups: %w", err)
	}
	for _, ch := range l.channels {
		ch.publishGroupsLoaded()
		for _, g := range ch.groups {
			l.setRedelivery(ch, g)
			// Group ids come from the channel-id counter; those of logs
			// written before were counted per channel from 0.
			l.w.nextCID = max(l.w.nextCID, g.gid+1)
		}
	}
	return nil
}

// loadMeta returns a channel's metadata and when its replicated record was
// written (state clock). The metadata is the newer of that record and the
// node's own record of the last clean close, if there is one (fromClose;
// Open removes those before anything is written, so one that exists is
// current).
func (l *Log) loadMeta(kb []byte, cid uint64) (m Meta, writtenMs int64, fromClose bool, err error) {
	m, writtenMs, _, err = l.getMeta(metaKey(kb, l.shard, cid))
	if err != nil {
		return m, 0, false, err
	}
	closed, _, found, err := l.getMeta(closedMetaKey(kb, l.shard, cid))
	if err != nil {
		return m, 0, false, err
	}
	if found {
		m = closed
		l.closedCIDs = append(l.closedCIDs, cid)
	}
	return m, writtenMs, found, nil
}

// getMeta reads a metadata record; found is false (and the Meta zero) if
// there is none.
func (l *Log) getMeta(key []byte) (m Meta, writtenMs int64, found bool, err error) {
	v, closer, err := l.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return Meta{}, 0, false, nil
	}
	if err != nil {
		return Meta{}, 0, false, fmt.Errorf("wal: metadata: %w", err)
	}
	defer closer.Close()
	m, writtenMs, err = decodeMetaRecord(v)
	return m, writtenMs, true, err
}

// loadApplied reads the applied index and the state clock (zero for a log
// written before they were kept).
func (l *Log) loadApplied() (uint64, int64, error) {
	v, closer, err := l.db.Get(appliedKey(nil, l.shard))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("wal: applied index: %w", err)
	}
	defer closer.Close()
	if len(v) != 16 {
		return 0, 0, fmt.Errorf("%w: applied index", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:])), nil
}

// recoverAppends adds to m the entries appended after its LastID: those
// written since the channel's last metadata checkpoint.
func (l *Log) recoverAppends(cid uint64, m *Meta) error {
	lower, upper := channelEntryBounds(l.shard, cid)
	if !m.LastID.IsZero() || m.Length > 0 {
		next, ok := m.LastID.Next()
		if !ok {
			return nil
		}
		lower = entryKey(nil, l.shard, cid, next)
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	var fields [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		_, id, err := decodeEntryKey(it.Key())
		if err != nil {
			return err
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if fields, err = decodeEntry(fields[:0], v); err != nil {
			return err
		}
		if err := l.recoverNode(cid, &m.Tail, id, fields); err != nil {
			return err
		}
		if m.Length == 0 {
			m.FirstID = id
		}
		m.Length++
		m.EntriesAdded++
		m.Bytes += entrySize(len(v))
		m.LastID = id
	}
	return it.Error()
}

// Close stops accepting work, waits for the writer to commit what it has,
// and closes Pebble. It is safe to call more than once.
func (l *Log) Close() error {
	l.closeMu.Lock()
	if l.opts.ReadOnly {
		l.opts.ReadOnly = false // close once
		l.closeMu.Unlock()
		l.views.close()
		return l.closeDB()
	}
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	close(l.closing)
	l.closeMu.Unlock()
	l.wg.Wait()
	l.views.close()
	if l.Failed() == nil {
		// Leave nothing to replay from the WAL at the next open: Pebble
		// takes a corrupt WAL record for a torn tail and would silently
		// drop what follows it (found by jepsen, corrupt nemesis).
		if err := l.flushAtClose(); err != nil {
			l.opts.Logger.Warn("wal: flush at close failed; the next start replays the WAL", "err", err)
		}
	}
	// Every commit has returned: the file gets the final counter, so that
	// the next Open misses nothing (highwater.go).
	l.updateHighWater()
	_ = l.opts.FS.Remove(l.opts.FS.PathJoin(l.opts.Dir, PIDFile))
	return l.closeDB()
}

// flushAtClose flushes the memtables, unless the disk is full: Pebble
// retries a failed flush until it succeeds, so Close would wait for free
// space forever. What is not flushed is in the synced WAL.
func (l *Log) flushAtClose() error {
	report := l.diskFull.nextReport()
	if l.diskFull.recentlyFull(time.Now()) {
		return ErrDiskFull
	}
	flushed, err := l.db.AsyncFlush()
	if err != nil {
		return err
	}
	select {
	case <-flushed:
		return nil
	case <-report:
		return ErrDiskFull
	}
}

// closeDB closes Pebble, then releases the directory's lock.
func (l *Log) closeDB() error {
	l.diskFull.close() // a flush waiting on a full disk gives up now
	err := l.db.Close()
	if l.lock != nil {
		err = errors.Join(err, l.lock.Close())
	}
	return err
}

// Failed returns the error that stopped writes, or nil.
func (l *Log) Failed() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *Log) fail(err error) {
	err = fmt.Errorf("%w: %v", ErrFailed, err)
	if l.failed.CompareAndSwap(nil, &err) {
		l.opts.Logger.Error("wal: write failed; refusing writes until restart", "err", err)
	}
}

func (l *Log) lookup(name []byte) *channel {
	l.chMu.RLock()
	ch := l.channels[string(name)]
	l.chMu.RUnlock()
	return ch
}

// Now returns the wall clock in ms as the log sees it.
func (l *Log) Now() int64 { return l.opts.NowMs() }

// Applied returns the index of the last request applied and durable: a
// request submitted with an index at or below it changes nothing.
func (l *Log) Applied() uint64 { return l.durableApplied.Load() }

// pebbleLogger is Pebble's log, into ours. Its errors are limited per
// format string (a call site in Pebble): a fault Pebble meets again and
// again logs a few lines a minute, each saying how many it stands for.
type pebbleLogger struct {
	l      *slog.Logger
	limits *loglimit.Keyed
}

func newPebbleLogger(l *slog.Logger) pebbleLogger {
	return pebbleLogger{l: l, limits: &loglimit.Keyed{Burst: 5, Window: 10 * time.Second}}
}

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	ok, suppressed := p.limits.Allow(format, time.Now())
	if !ok {
		return
	}
	if suppressed > 0 {
		p.l.Error(fmt.Sprintf(format, args...), "component", "pebble", "suppressed", suppressed)
		return
	}
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble")
	panic(fatalError{msg})
}

// fatalError is what Pebble's fatal log calls turn into; commitBatch
// recovers it (Pebble must not continue past a fatal error).
type fatalError struct{ msg string }

func (e fatalError) Error() string { return e.msg }

// loadNextCID reads the stored next channel id (0 if none was stored: a log
// written before it was kept, whose names table then gives the counter).
func (l *Log) loadNextCID() (uint64, error) {
	v, closer, err := l.db.Get(nextCIDKey(nil, l.shard))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wal: next channel id: %w", err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: next channel id", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}
