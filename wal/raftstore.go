package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
)

// Raft's log and stable store for one replication group, in the node's
// Pebble DB. Both are the node's own records (a replica's copy of the Raft
// log is not the replicated state machine's state):
//
//	zr/<group BE4><index BE8>  -> log entry (encodeRaftLog)
//	zs/<group BE4><key>        -> stable store value (term, vote, ...)
//
// Every write is synced (pebble.Sync): Raft counts an entry as stored on
// this node once StoreLogs returns.
//
// A follower that finds a conflicting entry calls DeleteRange for the
// suffix from it, then StoreLogs for the leader's entries. Done as two
// commits, a crash between them could leave either outcome on disk, and
// the two must not be separated: the store keeps such a suffix deletion
// pending (reads no longer see the deleted entries) and commits it in the
// same synced batch as the next StoreLogs. A crash before that leaves the
// old suffix, as if the deletion had not happened; Raft truncates it again
// when the leader resends. Other deletions (a prefix, after a snapshot)
// are committed at once.
const raftKeyHeadLen = 3 + 4

// errRaftRecord: a log entry record that fails to decode.
var errRaftRecord = fmt.Errorf("%w: raft log entry", ErrCorrupt)

// RaftStore is a raft.LogStore and raft.StableStore for one replication
// group. It is safe for concurrent use.
type RaftStore struct {
	l     *Log
	group uint32

	mu sync.Mutex
	// first and last are the indices of the first and last entries
	// (0, 0 when empty), as reads see them: with a pending suffix
	// deletion, last is below it.
	first, last uint64
	// truncFrom, when not 0, is a pending deletion of every entry from
	// it on, committed with the next StoreLogs or DeleteRange.
	truncFrom uint64
}

var (
	_ raft.LogStore          = (*RaftStore)(nil)
	_ raft.StableStore       = (*RaftStore)(nil)
	_ raft.MonotonicLogStore = (*RaftStore)(nil)
)

// RaftStore opens the Raft log and stable store of a replication group.
func (l *Log) RaftStore(group uint32) (*RaftStore, error) {
	s := &RaftStore{l: l, group: group}
	lower, upper := s.logBounds()
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if it.First() {
		s.first = s.indexOf(it.Key())
		it.Last()
		s.last = s.indexOf(it.Key())
	}
	return s, it.Error()
}

func (s *RaftStore) keyHead(kind byte) []byte {
	return binary.BigEndian.AppendUint32(localKey(kind), s.group)
}

func (s *RaftStore) logKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64(s.keyHead(localRaftLog), index)
}

func (s *RaftStore) indexOf(key []byte) uint64 { return binary.BigEndian.Uint64(key[raftKeyHeadLen:]) }

// logBounds returns [lower, upper) covering every log entry of the group.
func (s *RaftStore) logBounds() (lower, upper []byte) {
	return s.logKey(0), binary.BigEndian.AppendUint32(localKey(localRaftLog), s.group+1)
}

// FirstIndex returns the first index stored, 0 if none.
func (s *RaftStore) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, nil
}

// LastIndex returns the last index stored, 0 if none.
func (s *RaftStore) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, nil
}

// GetLog reads the entry at index into log; raft.ErrLogNotFound if there is
// none (or it is deleted, pending).
func (s *RaftStore) GetLog(index uint64, log *raft.Log) error {
	s.mu.Lock()
	gone := index < s.first || index > s.last || s.first == 0
	s.mu.Unlock()
	if gone {
		return raft.ErrLogNotFound
	}
	v, closer, err := s.l.db.Get(s.logKey(index))
	if errors.Is(err, pebble.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	return decodeRaftLog(v, index, log)
}

// StoreLog stores one entry.
func (s *RaftStore) StoreLog(log *raft.Log) error { return s.StoreLogs([]*raft.Log{log}) }

// StoreLogs stores entries, with a pending suffix deletion, in one synced
// batch.
func (s *RaftStore) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.l.db.NewBatch()
	defer b.Close()
	s.addTruncation(b)
	var val []byte
	for _, lg := range logs {
		val = encodeRaftLog(val[:0], lg)
		if err := b.Set(s.logKey(lg.Index), val, nil); err != nil {
			return err
		}
	}
	if err := s.commit(b); err != nil {
		return err
	}
	s.truncFrom = 0
	first, last := logs[0].Index, logs[len(logs)-1].Index
	if s.first == 0 || first < s.first {
		s.first = first
	}
	s.last = max(s.last, last)
	return nil
}

// DeleteRange deletes the entries from min to max, inclusive.
func (s *RaftStore) DeleteRange(min, max uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == 0 || max < s.first || min > s.last || min > max {
		return nil
	}
	if min > s.first && max >= s.last {
		// A follower's conflicting suffix: pending until StoreLogs.
		if s.truncFrom == 0 || min < s.truncFrom {
			s.truncFrom = min
		}
		s.last = min - 1
		return nil
	}
	b := s.l.db.NewBatch()
	defer b.Close()
	s.addTruncation(b)
	if err := b.DeleteRange(s.logKey(min), s.logKey(max+1), nil); err != nil {
		return err
	}
	if err := s.commit(b); err != nil {
		return err
	}
	s.truncFrom = 0
	switch {
	case min <= s.first && max >= s.last:
		s.first, s.last = 0, 0
	case min <= s.first:
		s.first = max + 1
	default: // a range in the middle, which Raft never asks for
		return fmt.Errorf("wal: raft log: deleting %d..%d leaves a hole in %d..%d", min, max, s.first, s.last)
	}
	return nil
}

// IsMonotonic reports that the log has no gaps: after a snapshot is
// restored, Raft deletes every entry instead of leaving a gap.
func (s *RaftStore) IsMonotonic() bool { return true }

// addTruncation adds the pending suffix deletion to b. s.mu is held.
func (s *RaftStore) addTruncation(b *pebble.Batch) {
	if s.truncFrom == 0 {
		return
	}
	_, upper := s.logBounds()
	_ = b.DeleteRange(s.logKey(s.truncFrom), upper, nil) // an in-memory batch: cannot fail
}

func (s *RaftStore) commit(b *pebble.Batch) error {
	if err := s.l.Failed(); err != nil {
		return err
	}
	if err := commitBatch(b, pebble.Sync); err != nil {
		s.l.fail(err)
		return s.l.Failed()
	}
	return nil
}

func (s *RaftStore) stableKey(key []byte) []byte { return append(s.keyHead(localRaftStable), key...) }

// Set stores a stable value, synced.
func (s *RaftStore) Set(key, val []byte) error {
	b := s.l.db.NewBatch()
	defer b.Close()
	if err := b.Set(s.stableKey(key), val, nil); err != nil {
		return err
	}
	return s.commit(b)
}

// Get returns a stable value, or an empty slice if key was never set.
func (s *RaftStore) Get(key []byte) ([]byte, error) {
	v, closer, err := s.l.db.Get(s.stableKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return []byte{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return append([]byte{}, v...), nil
}

// SetUint64 stores a stable integer, synced.
func (s *RaftStore) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 returns a stable integer, 0 if key was never set.
func (s *RaftStore) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: raft stable value %q", ErrCorrupt, key)
	}
	return binary.BigEndian.Uint64(v), nil
}

// encodeRaftLog appends a log entry's record: <version 1><uvarint term>
// <type><uvarint len><data><uvarint len><extensions><varint appended-at ns>.
func encodeRaftLog(dst []byte, lg *raft.Log) []byte {
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, lg.Term)
	dst = append(dst, byte(lg.Type))
	dst = binary.AppendUvarint(dst, uint64(len(lg.Data)))
	dst = append(dst, lg.Data...)
	dst = binary.AppendUvarint(dst, uint64(len(lg.Extensions)))
	dst = append(dst, lg.Extensions...)
	var at int64
	if !lg.AppendedAt.IsZero() {
		at = lg.AppendedAt.UnixNano()
	}
	return binary.AppendVarint(dst, at)
}

// decodeRaftLog decodes a record into lg (its slices are copies).
func decodeRaftLog(b []byte, index uint64, lg *raft.Log) error {
	if len(b) == 0 || b[0] != 1 {
		return errRaftRecord
	}
	b = b[1:]
	term, n := minimalUvarint(b)
	if n <= 0 || len(b) < n+1 {
		return errRaftRecord
	}
	typ := raft.LogType(b[n])
	b = b[n+1:]
	data, b, ok := cutLengthPrefixed(b)
	if !ok {
		return errRaftRecord
	}
	ext, b, ok := cutLengthPrefixed(b)
	if !ok {
		return errRaftRecord
	}
	at, n := binary.Varint(b)
	var buf [binary.MaxVarintLen64]byte
	if n <= 0 || n != len(b) || n != binary.PutVarint(buf[:], at) {
		return errRaftRecord
	}
	*lg = raft.Log{Index: index, Term: term, Type: typ, Data: append([]byte(nil), data...)}
	if len(ext) > 0 {
		lg.Extensions = append([]byte(nil), ext...)
	}
	if at != 0 {
		lg.AppendedAt = time.Unix(0, at)
	}
	return nil
}

func cutLengthPrefixed(b []byte) (field, rest []byte, ok bool) {
	l, n := minimalUvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, false
	}
	return b[n : n+int(l)], b[n+int(l):], true
}

// minimalUvarint is binary.Uvarint refusing (n = 0) an encoding longer
// than needed, so that a record has one encoding.
func minimalUvarint(b []byte) (uint64, int) {
	v, n := binary.Uvarint(b)
	var buf [binary.MaxVarintLen64]byte
	if n > 0 && n != binary.PutUvarint(buf[:], v) {
		return 0, 0
	}
	return v, n
}
