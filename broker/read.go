package broker

import (
	"errors"

	"github.com/rewind-mq/rewind/wal"
)

// The read side of the typed API: broker's own types for what fronts read
// of a channel, a group and the node, converted from wal's here (interim
// until the Streams semantics leave wal). Entries are
// stream.Entry, shared with wal, so a read converts nothing per entry; the
// rest convert once per call. Types whose fields are wal's one for one
// (RangeQuery, PendingQuery, PendingRecord, CursorPos) convert directly.

// RangeQuery selects entries of one channel.
type RangeQuery struct {
	Start, End ID  // inclusive bounds
	Count      int // at most this many; 0 means no limit
	Reverse    bool
}

// Meta is a channel's durable metadata, as of its last fsync'd batch.
type Meta struct {
	Length       uint64
	FirstID      ID // 0-0 when empty
	LastID       ID // the last ID ever assigned (kept after deletes and trims)
	MaxDeletedID ID
	EntriesAdded uint64
	Bytes        uint64    // sum of key and value sizes of live entries
	Retention    Retention // the channel's own overrides (zero: the defaults)
	// Incarnation identifies this life of the channel: it changes when
	// the channel is deleted and created again, and is never reused.
	Incarnation uint64
}

// metaOf returns what fronts read of m.
func metaOf(m *wal.Meta) Meta {
	return Meta{Length: m.Length, FirstID: m.FirstID, LastID: m.LastID, MaxDeletedID: m.MaxDeletedID,
		EntriesAdded: m.EntriesAdded, Bytes: m.Bytes, Retention: Retention(m.Retention), Incarnation: m.Incarnation}
}

// wal returns m as wal's metadata, for the estimates wal computes.
func (m *Meta) wal() wal.Meta {
	return wal.Meta{Length: m.Length, FirstID: m.FirstID, LastID: m.LastID, MaxDeletedID: m.MaxDeletedID,
		EntriesAdded: m.EntriesAdded, Bytes: m.Bytes, Retention: wal.Retention(m.Retention), Incarnation: m.Incarnation}
}

// HasTombstonesFrom reports whether an entry at or after start was deleted
// (Redis's streamRangeHasTombstones with an open end).
func (m *Meta) HasTombstonesFrom(start ID) bool {
	w := m.wal()
	return w.HasTombstonesFrom(start)
}

// EstimateEntriesRead is how many entries were added up to and including
// id, when that can be known without counting (Redis's
// streamEstimateDistanceFromFirstEverEntry), or EntriesReadUnknown.
func (m *Meta) EstimateEntriesRead(id ID) int64 {
	w := m.wal()
	return w.EstimateEntriesRead(id)
}

// ChannelInfo is a channel's name and durable metadata.
type ChannelInfo struct {
	Name string
	Meta Meta
}

// Stats are the node's counters for INFO and metrics.
type Stats struct {
	Channels   int    // channels that exist
	Entries    uint64 // entries in all of them
	EntryBytes uint64 // their keys and values
	DiskBytes  uint64 // what the log takes on disk
	Published  uint64 // entries appended since Open
	Deliveries uint64 // messages handed to subscribers since Open
}

// CursorPos is a stored cursor's position: an ID of one incarnation of its
// channel (see Cursor.Incarnation).
type CursorPos struct {
	ID          ID
	Incarnation uint64
}

// cursorPositions returns ps as broker's positions, in new memory.
func cursorPositions(ps map[string]wal.CursorPos) map[string]CursorPos {
	if ps == nil {
		return nil
	}
	out := make(map[string]CursorPos, len(ps))
	for name, p := range ps {
		out[name] = CursorPos(p)
	}
	return out
}

// DirError is a data directory Open cannot use: in use by another process,
// not writable, or on a full disk. Kind is ErrDirInUse, ErrDirNotWritable
// or ErrDiskFull.
type DirError struct {
	Kind   error
	Dir    string
	Detail string // what was seen: the pid holding it, the failed call, the free space
}

func (e *DirError) Error() string {
	w := wal.DirError{Kind: e.Kind, Dir: e.Dir, Detail: e.Detail}
	return w.Error()
}

func (e *DirError) Unwrap() error { return e.Kind }

// dirErrorOf returns err with a wal.DirError it is replaced by broker's.
func dirErrorOf(err error) error {
	var d *wal.DirError
	if errors.As(err, &d) && error(d) == err {
		return &DirError{Kind: d.Kind, Dir: d.Dir, Detail: d.Detail}
	}
	return err
}
