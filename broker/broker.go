// Package broker is the node: the one Go API that every front (RESP, native,
// CLI) calls to publish, read, wait for new entries, subscribe, trim and
// inspect. It owns the wal (storage), the subscription index and the fan-out
// of durable entries to subscribers. Fronts never touch Pebble.
package broker

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rewind-mq/rewind/delivery"
	"github.com/rewind-mq/rewind/internal/fanout"
	"github.com/rewind-mq/rewind/internal/stream"
	"github.com/rewind-mq/rewind/wal"
)

// The value types of a channel's log, shared by every layer (package
// stream), named here so that fronts import broker only.
type (
	ID     = stream.ID
	IDSpec = stream.IDSpec
	Entry  = stream.Entry
)

// What a front's subscriber implements and is handed (package fanout,
// which the subscription index shares).
type (
	Subscriber = fanout.Subscriber
	Message    = fanout.Message
	Run        = fanout.Run
	SubKind    = fanout.Kind
)

// Subscription namespaces.
const (
	KindChannel = fanout.KindChannel
	KindPattern = fanout.KindPattern
	KindShard   = fanout.KindShard
)

// Command tags: which subscribers an append is delivered to.
const (
	TagPublish  uint8 = iota // PUBLISH: channel and pattern subscribers
	TagSPublish              // SPUBLISH: shard subscribers
	// TagNotify marks a write whose outcome the Notifier sees (see
	// notify.go); an append tagged so goes to channel and pattern
	// subscribers, as TagPublish.
	TagNotify
)

var (
	MaxID        = stream.MaxID
	MessageField = wal.MessageField
	MatchPattern = delivery.Match
)

// Errors of the storage layer that fronts map to replies.
var (
	ErrIDTooSmall    = wal.ErrIDTooSmall
	ErrIDZero        = wal.ErrIDZero
	ErrTooLarge      = wal.ErrTooLarge
	ErrFailed        = wal.ErrFailed
	ErrClosed        = wal.ErrClosed
	ErrNoSuchChannel = wal.ErrNoSuchChannel

	// Open fails with a DirError of one of these kinds when the data
	// directory cannot be used.
	ErrDirInUse       = wal.ErrDirInUse
	ErrDirNotWritable = wal.ErrDirNotWritable
	ErrDiskFull       = wal.ErrDiskFull
)

// Limits bound what one client can make the node hold. Validated once.
type Limits struct {
	MaxMessageBytes            int           // largest PUBLISH payload or XADD entry (default 8 MiB)
	MaxClients                 int           // connections accepted at once (default 10000)
	MaxQueryBytes              int           // one command's size on the wire, and one argument's (default 4×MaxMessageBytes+64 KiB)
	MaxArgs                    int           // arguments in one command (default 1<<20)
	SubscriberBufferBytes      int           // unsent output a subscriber may hold before it is disconnected (default 32 MiB)
	TotalSubscriberBufferBytes int           // output of all subscribers together; past it the largest holders are disconnected first (default 1 GiB)
	WriteTimeout               time.Duration // a blocked socket write fails after this (default 30s)
	// MaxChannelNameBytes bounds a channel name that PUBLISH, XADD or
	// SUBSCRIBE accept (default 64 KiB); MaxPatternBytes a PSUBSCRIBE
	// pattern (default 1 KiB). Matching costs up to the product of the two,
	// once per channel and pattern.
	MaxChannelNameBytes int
	MaxPatternBytes     int
	// PatternCacheBytes bounds the cache of which patterns match which
	// channel (default 64 MiB: about 100 bytes plus the name per channel).
	PatternCacheBytes int
	// WriteQueueLen is how many write requests wait for the writer before
	// connections stop reading (back-pressure; default 4096);
	// MaxBatchBytes is how many entry bytes one group commit holds before
	// it is handed to fsync (default 16 MiB, at least MaxMessageBytes plus
	// 64 KiB).
	WriteQueueLen int
	MaxBatchBytes int
	// MaxPendingPerGroup is how many delivered but unacknowledged entries
	// one consumer group may hold before XREADGROUP ">" gives it no new
	// ones (NATS JetStream's MaxAckPending; a group's MAXPENDING
	// overrides it). The default, 10,000,000, bounds a group whose
	// consumers never acknowledge at about 350 MB of memory (a pending
	// entry takes about 35 bytes), far above what an ordinary Redis
	// workload keeps pending; -1: no limit.
	MaxPendingPerGroup int64
}

// EnsureDefaults fills unset limits.
func (l *Limits) EnsureDefaults() {
	if l.MaxMessageBytes == 0 {
		l.MaxMessageBytes = 8 << 20
	}
	if l.MaxClients == 0 {
		l.MaxClients = 10000
	}
	if l.MaxQueryBytes == 0 {
		// Room for a message well over MaxMessageBytes, so that it is
		// read and answered "message too large" on a connection that
		// stays open; beyond this, the connection is answered and closed.
		l.MaxQueryBytes = 4*l.MaxMessageBytes + 64<<10
	}
	if l.MaxArgs == 0 {
		l.MaxArgs = 1 << 20
	}
	if l.SubscriberBufferBytes == 0 {
		l.SubscriberBufferBytes = 32 << 20
	}
	if l.TotalSubscriberBufferBytes == 0 {
		l.TotalSubscriberBufferBytes = 1 << 30
	}
	if l.WriteTimeout == 0 {
		l.WriteTimeout = 30 * time.Second
	}
	if l.MaxChannelNameBytes == 0 {
		l.MaxChannelNameBytes = DefaultMaxChannelNameBytes
	}
	if l.MaxPatternBytes == 0 {
		l.MaxPatternBytes = DefaultMaxPatternBytes
	}
	if l.PatternCacheBytes == 0 {
		l.PatternCacheBytes = delivery.DefaultMatchCacheBytes
	}
	if l.WriteQueueLen == 0 {
		l.WriteQueueLen = 4096
	}
	if l.MaxBatchBytes == 0 {
		l.MaxBatchBytes = max(16<<20, l.maxEntryBytes())
	}
	if l.MaxPendingPerGroup == 0 {
		l.MaxPendingPerGroup = DefaultMaxPendingPerGroup
	}
}

// DefaultMaxPendingPerGroup is the default of Limits.MaxPendingPerGroup.
const DefaultMaxPendingPerGroup = 10_000_000

// maxEntryBytes is the largest encoded entry the log takes: a message of
// MaxMessageBytes with room for its field names and framing.
func (l *Limits) maxEntryBytes() int { return l.MaxMessageBytes + 64<<10 }

// Defaults of the name limits: far above any naming scheme in use (Redis
// key names are rarely over a few hundred bytes), low enough that one
// match costs at most 64 Mi steps.
const (
	DefaultMaxChannelNameBytes = 64 << 10
	DefaultMaxPatternBytes     = 1 << 10
)

// Validate reports limits that cannot work.
func (l *Limits) Validate() error {
	switch {
	case l.MaxMessageBytes < 1:
		return errors.New("max message bytes must be positive")
	case l.MaxQueryBytes < l.MaxMessageBytes:
		return errors.New("max query bytes must be at least max message bytes")
	case l.MaxClients < 1:
		return errors.New("max clients must be positive")
	case l.SubscriberBufferBytes < 1<<10:
		return errors.New("subscriber buffer must be at least 1 KiB")
	case l.TotalSubscriberBufferBytes < 1<<10:
		return errors.New("total subscriber buffer must be at least 1 KiB")
	case l.MaxChannelNameBytes < 1 || l.MaxPatternBytes < 1:
		return errors.New("max channel name and pattern bytes must be positive")
	case l.PatternCacheBytes < 1<<20:
		return errors.New("pattern cache must be at least 1 MiB")
	case l.WriteQueueLen < 1:
		return errors.New("write queue length must be positive")
	case l.MaxBatchBytes < l.maxEntryBytes():
		return errors.New("max batch bytes must be at least max message bytes plus 64 KiB")
	case l.MaxPendingPerGroup < -1:
		return errors.New("max pending entries per group must be positive, or -1 for no limit")
	}
	return nil
}

// Config configures a Broker.
type Config struct {
	Dir               string
	FS                vfs.FS // nil: the real filesystem
	Logger            *slog.Logger
	Limits            Limits
	Retention         Retention     // server-wide defaults
	RetentionInterval time.Duration // how often the retention pass runs (0: 1s)
	UnsafeNoSync      bool          // test-only: acknowledge before fsync
	ReadOnly          bool          // read a stopped node's data; writes fail
	// CacheBytes is the size of Pebble's block cache (0: wal's default,
	// 256 MiB; 16 MiB read-only).
	CacheBytes int64
	// Registerer receives the broker's Prometheus metrics; nil: none.
	Registerer prometheus.Registerer
	// RedeliveryInterval is how often groups with an ack wait are scanned
	// for entries to dead-letter and readers to wake (default 100ms).
	RedeliveryInterval time.Duration
	// ResumeTTL expires the cursors of resumable subscriber names not seen
	// for this long (default DefaultResumeTTL; see resume.go).
	ResumeTTL time.Duration
}

// Broker is one rewind node.
type Broker struct {
	cfg   Config
	log   *wal.Log
	index *delivery.Index

	// Fan-out state, used by onCommit's goroutine only: the run of
	// messages to one channel being collected, its channel, the results of
	// the appends it came from, and the subscribers to flush after the
	// batch.
	run        delivery.Run
	runKind    delivery.Kind
	runChannel []byte
	runOf      []*Result
	flusher    delivery.Flusher
	metrics    *metrics

	// Live-only notifications (notify.go): the installed Notifier (nil:
	// none), and fan-out's buffers for its notices.
	notifier atomic.Pointer[Notifier]
	// notifyKeyPrefixes: the notifier's channels that are a prefix plus
	// a command's channel, prepared for patterns in Submit.
	notifyKeyPrefixes atomic.Pointer[[]string]
	notices           Notices
	liveRun           delivery.Run
	liveFields        [2][]byte

	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	started   time.Time

	published  atomic.Uint64 // entries appended
	deliveries atomic.Uint64 // messages handed to subscribers
	// readsHeldBack counts group reads that left new entries undelivered
	// because the group was at its pending limit.
	readsHeldBack atomic.Uint64

	prep prepareFence // patterns.go

	// resumes are the open Resumes, whose cursors cursorLoop saves
	// (resume.go).
	resumeMu sync.Mutex
	resumes  map[*Resume]struct{}
}

// Open opens the node's storage in cfg.Dir and starts fan-out.
func Open(cfg Config) (*Broker, error) {
	cfg.Limits.EnsureDefaults()
	if err := cfg.Limits.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ResumeTTL <= 0 {
		cfg.ResumeTTL = DefaultResumeTTL
	}
	b := &Broker{
		cfg:     cfg,
		index:   delivery.NewIndexSize(cfg.Limits.PatternCacheBytes),
		started: time.Now(),
		done:    make(chan struct{}),
		resumes: make(map[*Resume]struct{}),
	}
	b.prep.drained = make(chan struct{}, 1)
	b.metrics = newMetrics(b, cfg.Registerer)
	l, err := wal.Open(wal.Options{
		Dir:           cfg.Dir,
		FS:            cfg.FS,
		Logger:        cfg.Logger,
		MaxEntryBytes: cfg.Limits.maxEntryBytes(),
		QueueLen:      cfg.Limits.WriteQueueLen,
		MaxBatchBytes: cfg.Limits.MaxBatchBytes,
		OnCommit:      b.onCommit,
		OnSynced:      b.observe,
		UnsafeNoSync:  cfg.UnsafeNoSync,
		ReadOnly:      cfg.ReadOnly,
		CacheBytes:    cfg.CacheBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("broker: %w", dirErrorOf(err))
	}
	b.log = l
	if !cfg.ReadOnly {
		if cfg.RedeliveryInterval <= 0 {
			cfg.RedeliveryInterval = 100 * time.Millisecond
		}
		if cfg.RetentionInterval <= 0 {
			cfg.RetentionInterval = time.Second
		}
		b.wg.Add(3)
		go b.redeliveryLoop(cfg.RedeliveryInterval)
		go b.retentionLoop(cfg.RetentionInterval)
		go b.cursorLoop(cfg.ResumeTTL)
	}
	return b, nil
}

// Close commits what was submitted, delivers it, and closes storage. It is
// idempotent. Fronts must stop submitting first.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		close(b.done)
		b.wg.Wait()
		b.closeErr = b.log.Close()
	})
	return b.closeErr
}

// Config returns the configuration in force (with defaults applied).
func (b *Broker) Config() Config { return b.cfg }

// Started returns when the broker was opened.
func (b *Broker) Started() time.Time { return b.started }

// onCommit runs on the wal's committer goroutine for every durable batch:
// it hands each new entry to its subscribers (appending to their bounded
// output buffers never blocks) and then acknowledges the batch, so a
// PUBLISH is answered with the number of clients it reached.
func (b *Broker) onCommit(c *wal.Commit) {
	notify := b.notifier.Load()
	for _, r := range c.Requests {
		for i := range r.Commands {
			c, res := &r.Commands[i], &r.Results[i]
			b.deliver(c, res)
			if res.HeldBack {
				b.readsHeldBack.Add(1)
			}
			if notify != nil && c.Tag == TagNotify && res.Err == nil {
				b.notify(*notify, c, res)
			}
		}
	}
	b.publishRun()
	b.flusher.Flush()
	c.Done()
}

// deliver adds an appended entry to the current run: consecutive messages
// to one channel are handed to each subscriber at once.
func (b *Broker) deliver(c *Command, res *Result) {
	if c.Kind == OpRedeliveryScan && res.Err == nil {
		b.publishRun()
		b.deliverDeadLettered(res)
		return
	}
	if c.Kind != OpAppend || res.Err != nil || res.Skipped {
		return
	}
	kind := delivery.KindChannel
	if c.Tag == TagSPublish {
		kind = delivery.KindShard
	}
	if len(b.runOf) > 0 && (kind != b.runKind || res.Incarnation != b.run.Incarnation || !bytes.Equal(c.Channel, b.runChannel)) {
		b.publishRun()
	}
	b.runKind, b.runChannel = kind, c.Channel
	b.run.Incarnation = res.Incarnation
	b.run.Add([2]uint64{res.ID.Ms, res.ID.Seq}, c.Fields)
	b.runOf = append(b.runOf, res)
}

// publishRun delivers the current run and sets each of its appends'
// Receivers.
func (b *Broker) publishRun() {
	if len(b.runOf) == 0 {
		return
	}
	n := b.index.Publish(b.runKind, b.runChannel, &b.run, &b.flusher)
	for i, res := range b.runOf {
		res.Receivers = n
		b.runOf[i] = nil
	}
	b.runChannel = nil
	b.published.Add(uint64(len(b.runOf)))
	b.deliveries.Add(uint64(n * len(b.runOf)))
	b.runOf = b.runOf[:0]
	b.run.Reset()
}

// Submit queues a write request; Wait on it for the outcome. A PUBLISH or
// XADD is done only once it is fsync'd and handed to subscribers, with
// Result.Receivers set. Which patterns match each channel appended to is
// worked out here, on the caller's goroutine, so that fan-out finds it
// cached. r must not change until Wait returned.
func (b *Broker) Submit(r *Request) error { return b.submit(r.prepare()) }

// submit hands the writer a request, its patterns prepared.
func (b *Broker) submit(w *wal.Request) error {
	epoch := b.prep.enter()
	defer b.prep.leave(epoch)
	b.preparePatterns(w)
	if w.Index == 0 {
		// The node decides alone: it gives reads its limit. An entry of
		// the state machine carries its leader's.
		b.fillPendingLimit(w)
	}
	return b.log.Submit(w)
}

// fillPendingLimit gives every group read of r the server's limit on a
// group's pending entries: an input of the read, so that every replica
// applies the same one.
func (b *Broker) fillPendingLimit(r *wal.Request) {
	limit := max(b.cfg.Limits.MaxPendingPerGroup, 0) // -1: none
	for i := range r.Commands {
		if c := &r.Commands[i]; c.Kind == OpGroupRead || c.Kind == OpClaimIdle {
			c.MaxPending = limit
		}
	}
}

// Do submits r and waits for it.
func (b *Broker) Do(r *Request) error {
	if err := b.Submit(r); err != nil {
		return err
	}
	r.Wait()
	return nil
}

// Range calls fn for each durable entry of the channel that q selects, in
// order, and returns how many it visited; it stops at the first error fn
// returns. The entry and its fields are valid during the call only.
func (b *Broker) Range(channel []byte, q RangeQuery, fn func(*Entry) error) (int, error) {
	return b.log.Range(channel, wal.RangeQuery(q), fn)
}

// Meta returns a channel's durable metadata and whether it exists.
func (b *Broker) Meta(channel []byte) (Meta, bool) {
	m, ok := b.log.Meta(channel)
	return metaOf(&m), ok
}

// Watch returns a channel's durable metadata and a channel closed at its
// next durable change (for blocking reads).
func (b *Broker) Watch(channel []byte) (Meta, bool, <-chan struct{}) {
	m, ok, changed := b.log.Watch(channel)
	return metaOf(&m), ok, changed
}

// Channels calls fn for every existing channel until it returns false.
func (b *Broker) Channels(fn func(ChannelInfo) bool) {
	b.log.Channels(func(c wal.ChannelInfo) bool { return fn(ChannelInfo{Name: c.Name, Meta: metaOf(&c.Meta)}) })
}

// Now returns the wall clock in ms as the storage sees it.
func (b *Broker) Now() int64 { return b.log.Now() }

// Failed returns the storage error that stopped writes, or nil.
func (b *Broker) Failed() error { return b.log.Failed() }

// Subscribe adds a subscription; it reports whether it is new. Every
// publish fanned out after it returns reaches the subscription. A pattern
// new to the node waits for the publishes already in flight (one commit;
// see subscribePattern).
func (b *Broker) Subscribe(kind SubKind, name string, s Subscriber) bool {
	return b.SubscribeConfirming(kind, name, s, func() {})
}

// SubscribeConfirming is Subscribe that calls confirm just before the
// subscription can receive its first message (after a new pattern's wait),
// so that a front can queue its confirmation ahead of every message.
func (b *Broker) SubscribeConfirming(kind SubKind, name string, s Subscriber, confirm func()) bool {
	if kind == KindPattern {
		return b.subscribePattern(name, s, confirm)
	}
	confirm()
	return b.index.Add(kind, name, s)
}

// Unsubscribe removes a subscription; it reports whether it existed.
func (b *Broker) Unsubscribe(kind SubKind, name string, s Subscriber) bool {
	return b.index.Remove(kind, name, s)
}

// PatternMatchStats returns how many times fan-out had to match patterns
// itself (a publish in flight while a pattern was added, or whose cache
// entry was evicted) and the size of the pattern match cache.
func (b *Broker) PatternMatchStats() (fanoutMatches uint64, cachedChannels, cacheBytes int) {
	cachedChannels, cacheBytes = b.index.MatchCacheStats()
	return b.index.FanoutMatches(), cachedChannels, cacheBytes
}

// NumSubscribers returns how many subscribers name has in a namespace.
func (b *Broker) NumSubscribers(kind SubKind, name string) int { return b.index.Count(kind, name) }

// NumSubscriptionNames returns how many channels (or patterns) have subscribers.
func (b *Broker) NumSubscriptionNames(kind SubKind) int { return b.index.Len(kind) }

// SubscribedNames lists names with subscribers that match pattern (or all).
func (b *Broker) SubscribedNames(kind SubKind, pattern []byte) []string {
	return b.index.Names(kind, pattern)
}

// Stats returns current counters.
func (b *Broker) Stats() Stats {
	s := b.log.Stats()
	return Stats{Channels: s.Channels, Entries: s.Entries, EntryBytes: s.EntryBytes, DiskBytes: s.DiskBytes,
		Published: b.published.Load(), Deliveries: b.deliveries.Load()}
}

// CursorOf returns a named subscriber's durable cursor on a channel.
func (b *Broker) CursorOf(name, channel []byte) (CursorPos, bool, error) {
	p, ok, err := b.log.CursorOf(name, channel)
	return CursorPos(p), ok, err
}

// PatternCursors returns a named subscriber's durable state on a pattern:
// whether it subscribed to it before, and its cursor per channel.
func (b *Broker) PatternCursors(name, pattern []byte) (bool, map[string]CursorPos, error) {
	found, ps, err := b.log.PatternCursors(name, pattern)
	return found, cursorPositions(ps), err
}

// ExpireCursors deletes the cursors of subscribers not seen for ttl (a
// timer's decision: it is proposed, timers.go).
func (b *Broker) ExpireCursors(ttl time.Duration) (int, error) {
	expired, err := b.log.ExpiredCursors(b.Now()-ttl.Milliseconds(), 10000)
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	r := NewRequest()
	c := r.Add()
	c.Kind, c.Cursors = OpSetCursors, expired
	if err := b.propose(r); err != nil {
		return 0, err
	}
	return len(expired), r.Result(0).Err
}

// NodeLimits returns the stream node limits in force.
func (b *Broker) NodeLimits() NodeLimits { return NodeLimits(b.log.NodeLimits()) }

// ApproxTrimLimit is the most entries a "~" trim without LIMIT removes:
// Redis's 100 nodes' worth (100 × stream-node-max-entries, 10,000 when that
// is 0, at most 1,000,000).
func (b *Broker) ApproxTrimLimit() int64 {
	n := 100 * b.NodeLimits().MaxEntries
	if n <= 0 || n/100 != b.NodeLimits().MaxEntries {
		return 10000
	}
	return min(n, 1000000)
}
