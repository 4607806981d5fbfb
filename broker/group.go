package broker

import "github.com/rewind-mq/rewind/wal"

// GroupInfo is a consumer group's durable state, as of the last fsync'd
// batch.
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

	w *wal.GroupInfo // the state read (Same, Pending)
}

// ConsumerInfo is one consumer of a group.
type ConsumerInfo struct {
	Name     string
	SeenMs   int64
	ActiveMs int64 // 0: never read an entry
	Pending  int64
}

// PendingRecord is one entry of a group's pending entries list.
type PendingRecord struct {
	ID          ID
	ConsumerID  uint64
	DeliveredMs int64
	Count       int64
}

// PendingQuery selects entries of a group's pending entries list.
type PendingQuery struct {
	Start, End ID     // inclusive
	Count      int    // at most this many; 0: no limit
	Consumer   string // only this consumer's entries when set
	MinIdleMs  int64  // only entries delivered at least this long ago
	NowMs      int64
}

// groupOf returns g as broker's, in new memory (nil for nil).
func groupOf(g *wal.GroupInfo) *GroupInfo {
	if g == nil {
		return nil
	}
	out := &GroupInfo{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead, Pending: g.Pending,
		FirstPending: g.FirstPending, LastPending: g.LastPending, Config: GroupConfig(g.Config), Lost: g.Lost, w: g}
	if g.Consumers != nil {
		out.Consumers = make([]ConsumerInfo, len(g.Consumers))
		for i, c := range g.Consumers {
			out.Consumers[i] = ConsumerInfo{Name: c.Name, SeenMs: c.SeenMs, ActiveMs: c.ActiveMs, Pending: c.Pending}
		}
	}
	return out
}

// Same reports whether g and o describe the same group: not one destroyed
// and then created again under the same name (within the process's life).
// Both must come from Group or Groups.
func (g *GroupInfo) Same(o *GroupInfo) bool { return g.w.Same(o.w) }

var (
	ErrNoGroup     = wal.ErrNoGroup
	ErrGroupExists = wal.ErrGroupExists
	ErrNoStream    = wal.ErrNoStream
)

// Groups returns a channel's consumer groups (durable state), sorted by
// name, and whether the channel exists.
func (b *Broker) Groups(channel []byte) ([]*GroupInfo, bool) {
	gs, ok := b.log.Groups(channel)
	if gs == nil {
		return nil, ok
	}
	out := make([]*GroupInfo, len(gs))
	for i, g := range gs {
		out[i] = groupOf(g)
	}
	return out, ok
}

// Group returns one consumer group's durable state.
func (b *Broker) Group(channel, group []byte) (*GroupInfo, bool) {
	g, ok := b.log.Group(channel, group)
	return groupOf(g), ok
}

// Pending reads a group's durable pending entries list: fn gets each entry
// q selects, in ID order, with its consumer's name. g comes from Group or
// Groups.
func (b *Broker) Pending(channel []byte, g *GroupInfo, q PendingQuery, fn func(PendingRecord, string) error) error {
	return b.log.Pending(channel, g.w, wal.PendingQuery(q), func(r wal.PendingRecord, consumer string) error {
		return fn(PendingRecord(r), consumer)
	})
}
