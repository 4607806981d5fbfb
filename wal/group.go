package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/cockroachdb/pebble/v2"
)

// Consumer groups live in the same Pebble DB as the entries they describe,
// and change in the same atomic batches, so a restart loses no delivery
// record and no ack (keys after their shard's prefix: keys.go):
//
//	g/<cid BE><group name>                 -> group record (encodeGroup)
//	k/<cid BE><gid BE><consumer name>      -> consumer record (encodeConsumer)
//	p/<cid BE><gid BE><ms BE><seq BE>      -> pending entry (encodePending)
//	d/<cid BE><gid BE><ms BE><seq BE>      -> delivery run: pending entries
//	                                          delivered together (runs.go)
//
// The writer goroutine owns each group's in-memory state (cursor, consumers,
// pending entries list: see pel.go); readers see a GroupInfo summary
// published after each fsync, and read pending entries from the durable
// snapshot. Deliveries never go past the channel's durable watermark.

// Group errors (resp adds names and Redis's prefixes).
var (
	ErrNoGroup     = errors.New("no such consumer group")
	ErrGroupExists = errors.New("consumer group name already exists")
	ErrNoStream    = errors.New("the XGROUP subcommand requires the key to exist")
)

const (
	prefixGroup    = 'g'
	prefixConsumer = 'k'
	prefixPending  = 'p'
)

type group struct {
	name        string
	gid         uint64
	lastID      ID
	entriesRead int64
	consumers   map[string]*consumer
	byID        map[uint64]*consumer
	nextCID     uint64
	slots       []*consumer // by consumer.slot; slots[0] is nil ("no owner")
	freeSlots   []uint32
	pel         *chunkSet[pendingEntry] // by ID (pel.go)
	runs        *chunkSet[deliveryRun]  // by first ID (runs.go); nil until the first run
	dirtyRuns   []ID                    // runs changed in the batch being built
	due         *chunkSet[dueKey]       // redelivery schedule; only when cfg.Enabled()
	bigCounts   map[ID]int64            // delivery counts too large for pendingEntry.count
	cfg         GroupConfig
	lost        int64 // entries trimmed before the group read them
	// trimmedUnread counts, during one trim, entries removed that the group
	// had not read yet.
	trimmedUnread int64
	lastBatch     uint64
	dropped       bool
	// roomWanted: a read was held back by the pending limit, with the
	// server default roomDefault (group_limit.go); not stored.
	roomWanted  bool
	roomDefault int64
}

type consumer struct {
	name     string
	id       uint64
	slot     uint32 // in group.slots; what pending entries name as owner
	seenMs   int64
	activeMs int64
	pending  int64
}

func newGroup(name string, gid uint64) *group {
	return &group{
		name:      name,
		gid:       gid,
		consumers: make(map[string]*consumer),
		byID:      make(map[uint64]*consumer),
		nextCID:   1,
		pel:       newPEL(),
	}
}

// GroupInfo is a consumer group as of the last fsync'd batch.
type GroupInfo struct {
	Name         string
	LastID       ID
	EntriesRead  int64 // EntriesReadUnknown when not known
	Pending      int64
	FirstPending ID
	LastPending  ID
	Consumers    []ConsumerInfo // sorted by name
	Config       GroupConfig
	Lost         int64 // entries trimmed before the group read them
	gid          uint64
}

// Same reports whether g and o describe the same group: not one destroyed
// and then created again under the same name (within the process's life).
func (g *GroupInfo) Same(o *GroupInfo) bool { return g.gid == o.gid }

// ConsumerInfo is one consumer of a group.
type ConsumerInfo struct {
	Name     string
	SeenMs   int64
	ActiveMs int64 // 0: never read an entry
	Pending  int64
	id       uint64
}

func (g *group) info() *GroupInfo {
	gi := &GroupInfo{Name: g.name, LastID: g.lastID, EntriesRead: g.entriesRead, Pending: int64(g.pel.Len()), gid: g.gid, Config: g.cfg, Lost: g.lost}
	if first, ok := g.pel.Min(); ok {
		gi.FirstPending = first.id
	}
	if last, ok := g.pel.Max(); ok {
		gi.LastPending = last.id
	}
	for _, c := range g.consumers {
		gi.Consumers = append(gi.Consumers, ConsumerInfo{Name: c.name, SeenMs: c.seenMs, ActiveMs: c.activeMs, Pending: c.pending, id: c.id})
	}
	sort.Slice(gi.Consumers, func(i, j int) bool { return gi.Consumers[i].Name < gi.Consumers[j].Name })
	return gi
}

func encodeGroup(dst []byte, g *group) []byte {
	dst = append(dst, 2)
	for _, v := range [...]uint64{g.gid, g.lastID.Ms, g.lastID.Seq, g.nextCID} {
		dst = binary.AppendUvarint(dst, v)
	}
	dst = binary.AppendVarint(dst, g.entriesRead)
	dst = binary.AppendVarint(dst, g.lost)
	return encodeGroupConfig(dst, &g.cfg)
}

func decodeGroup(name string, b []byte) (*group, error) {
	if len(b) == 0 || b[0] != 2 {
		return nil, fmt.Errorf("%w: group record version", ErrCorrupt)
	}
	b = b[1:]
	var v [4]uint64
	for i := range v {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("%w: group record", ErrCorrupt)
		}
		v[i], b = x, b[n:]
	}
	er, n := binary.Varint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: group record", ErrCorrupt)
	}
	b = b[n:]
	lost, n := binary.Varint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: group record", ErrCorrupt)
	}
	cfg, err := decodeGroupConfig(b[n:])
	if err != nil {
		return nil, err
	}
	g := newGroup(name, v[0])
	g.lastID, g.nextCID, g.entriesRead, g.cfg, g.lost = ID{Ms: v[1], Seq: v[2]}, v[3], er, cfg, lost
	return g, nil
}

func encodeConsumer(dst []byte, c *consumer) []byte {
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, c.id)
	dst = binary.AppendVarint(dst, c.seenMs)
	return binary.AppendVarint(dst, c.activeMs)
}

func decodeConsumer(name string, b []byte) (*consumer, error) {
	if len(b) == 0 || b[0] != 1 {
		return nil, fmt.Errorf("%w: consumer record version", ErrCorrupt)
	}
	b = b[1:]
	id, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return nil, fmt.Errorf("%w: consumer record", ErrCorrupt)
	}
	seen, n2 := binary.Varint(b[n1:])
	if n2 <= 0 {
		return nil, fmt.Errorf("%w: consumer record", ErrCorrupt)
	}
	active, n3 := binary.Varint(b[n1+n2:])
	if n3 <= 0 || n1+n2+n3 != len(b) {
		return nil, fmt.Errorf("%w: consumer record", ErrCorrupt)
	}
	return &consumer{name: name, id: id, seenMs: seen, activeMs: active}, nil
}

func encodePending(dst []byte, g *group, p *pendingEntry) []byte {
	var owner uint64
	if c := g.owner(p); c != nil {
		owner = c.id
	}
	dst = binary.AppendUvarint(dst, owner)
	dst = binary.AppendVarint(dst, p.deliveredMs)
	return binary.AppendVarint(dst, g.count(p))
}

// PendingRecord is one entry of a pending entries list as stored.
type PendingRecord struct {
	ID          ID
	ConsumerID  uint64
	DeliveredMs int64
	Count       int64
}

func decodePending(b []byte) (owner uint64, deliveredMs, count int64, err error) {
	owner, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return 0, 0, 0, fmt.Errorf("%w: pending entry", ErrCorrupt)
	}
	deliveredMs, n2 := binary.Varint(b[n1:])
	if n2 <= 0 {
		return 0, 0, 0, fmt.Errorf("%w: pending entry", ErrCorrupt)
	}
	count, n3 := binary.Varint(b[n1+n2:])
	if n3 <= 0 || n1+n2+n3 != len(b) {
		return 0, 0, 0, fmt.Errorf("%w: pending entry", ErrCorrupt)
	}
	return owner, deliveredMs, count, nil
}

// loadGroups reads every channel's groups, consumers and pending entries.
func (l *Log) loadGroups() error {
	byCID := make(map[uint64]*channel, len(l.channels))
	for _, ch := range l.channels {
		byCID[ch.cid] = ch
	}
	if err := l.scanPrefix(kindPrefix(nil, l.shard, prefixGroup), func(k, v []byte) error {
		cid, name, ok := decodeGroupKey(k)
		if !ok {
			return fmt.Errorf("%w: group key", ErrCorrupt)
		}
		ch := byCID[cid]
		if ch == nil {
			return nil // a dropped channel's leftovers
		}
		g, err := decodeGroup(string(name), v)
		if err != nil {
			return err
		}
		ch.addGroup(g)
		return nil
	}); err != nil {
		return err
	}
	if err := l.scanPrefix(kindPrefix(nil, l.shard, prefixConsumer), func(k, v []byte) error {
		g, name := groupOf(byCID, k)
		if g == nil {
			return nil
		}
		c, err := decodeConsumer(string(name), v)
		if err != nil {
			return err
		}
		g.addConsumer(c)
		return nil
	}); err != nil {
		return err
	}
	var ids []ID
	if err := l.scanPrefix(kindPrefix(nil, l.shard, prefixRun), func(k, v []byte) error {
		g, _ := groupOf(byCID, k)
		first, ok := decodeGroupIDKey(k)
		if g == nil || !ok {
			return nil
		}
		rec, err := decodeRun(first, v, ids[:0])
		if err != nil {
			return err
		}
		ids = rec.ids
		return g.loadRun(first, rec)
	}); err != nil {
		return err
	}
	if err := l.scanPrefix(kindPrefix(nil, l.shard, prefixPending), func(k, v []byte) error {
		g, _ := groupOf(byCID, k)
		id, ok := decodeGroupIDKey(k)
		if g == nil || !ok {
			return nil
		}
		owner, delivered, count, err := decodePending(v)
		if err != nil {
			return err
		}
		c := g.byID[owner]
		if c == nil {
			return fmt.Errorf("%w: pending entry of unknown consumer %d", ErrCorrupt, owner)
		}
		e, ok := g.getPending(id)
		if ok {
			// Also in a run: never written so (an entry leaves its run in
			// the batch that gives it a record), but the record is the
			// newer, and the run's is rewritten at the next change.
			g.leaveRun(e)
		} else {
			e = g.pel.Insert(pendingEntry{id: id, deliveredMs: delivered})
		}
		e.deliveredMs = delivered
		g.setOwner(e, c)
		g.setCount(e, count)
		return nil
	}); err != nil {
		return err
	}
	for _, ch := range l.channels {
		for _, g := range ch.groups {
			g.rescheduleAll()
		}
	}
	return nil
}

// groupOf returns the group of a consumer, pending entry or run key k, and
// what follows the group id in k.
func groupOf(byCID map[uint64]*channel, k []byte) (*group, []byte) {
	cid, gid, rest, ok := decodeGroupOf(k)
	if !ok {
		return nil, nil
	}
	ch := byCID[cid]
	if ch == nil {
		return nil, nil
	}
	return ch.groupByGID[gid], rest
}

func (l *Log) scanPrefix(prefix []byte, fn func(k, v []byte) error) error {
	lower, upper := prefixBounds(prefix)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := fn(it.Key(), v); err != nil {
			return err
		}
	}
	return it.Error()
}

// addGroup registers g with ch (writer state, or at load).
func (ch *channel) addGroup(g *group) {
	if ch.groups == nil {
		ch.groups = make(map[string]*group)
		ch.groupByGID = make(map[uint64]*group)
	}
	ch.groups[g.name], ch.groupByGID[g.gid] = g, g
}

// publishGroupsLoaded makes the loaded groups visible to readers.
func (ch *channel) publishGroupsLoaded() {
	if len(ch.groups) == 0 {
		return
	}
	m := make(map[string]*GroupInfo, len(ch.groups))
	for name, g := range ch.groups {
		m[name] = g.info()
	}
	ch.durableGroups = m
}

// HasTombstonesFrom reports whether an entry at or after start was deleted
// (Redis's streamRangeHasTombstones with an open end).
func (m *Meta) HasTombstonesFrom(start ID) bool {
	return m.Length > 0 && !m.MaxDeletedID.IsZero() && !m.MaxDeletedID.Less(start)
}

// EstimateEntriesRead is how many entries were added up to and including
// id, when that can be known without counting (Redis's
// streamEstimateDistanceFromFirstEverEntry), or EntriesReadUnknown.
func (m *Meta) EstimateEntriesRead(id ID) int64 {
	added := int64(m.EntriesAdded)
	if added == 0 {
		return 0
	}
	if m.Length == 0 && !m.LastID.Less(id) {
		return added
	}
	switch id.Compare(m.LastID) {
	case 0:
		return added
	case 1:
		return EntriesReadUnknown
	}
	if m.MaxDeletedID.IsZero() || m.MaxDeletedID.Less(m.FirstID) {
		switch id.Compare(m.FirstID) {
		case -1:
			return added - int64(m.Length)
		case 0:
			return added - int64(m.Length) + 1
		}
	}
	return EntriesReadUnknown
}
