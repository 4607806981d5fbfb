package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// The key layout's version, and the migration of older directories.
//
// Layout 1 (rewind up to f96d1ca) had the keys of keys.go without the
// shard prefix: <kind>/<body> at the top level, the commit counter at h/,
// and no version record. Layout 2 is keys.go; its version is the record at
// layoutVersionKey, in the node-local span.
//
// Open migrates a layout 1 directory before it reads anything: every key
// of layout 1 is written again under the log's shard (the commit counter
// under the node-local prefix, as zh/) and deleted, in batches of about
// Options.migrationBatchBytes, each committed with pebble.Sync, and the
// version record is written last, in a batch of its own. A batch holds
// whole moves (a key's new copy and the deletion of the old one), and the
// new keys are disjoint from the old ones, so a crash at any point leaves
// a directory in which some keys moved and the rest did not: the next
// Open moves the rest, and the result is that of one uninterrupted
// migration. A read-only Open cannot write, so it refuses such a directory
// (ErrOldLayout) and leaves it untouched.
//
// The old keys are deleted one by one, not by a range deletion per kind: a
// range tombstone in a table that a channel read overlaps costs every
// Range call allocations (0 became 1 with the tombstones in the memtable,
// 3 once flushed), while point tombstones outside a read's bounds cost it
// nothing. Their cost is one scan over them, in a migration restarted
// after a crash; once the version is recorded, Open does not look at the
// old spans again.

// layoutVersion is the version of keys.go.
const layoutVersion = 2

// defaultMigrationBatchBytes bounds a migration batch (keys and values).
const defaultMigrationBatchBytes = 4 << 20

// layoutVersionKey holds the layout version (uvarint).
var layoutVersionKey = localKey('v')

// legacyHighWaterKey is layout 1's key of the commit counter.
var legacyHighWaterKey = []byte{prefixHighWater, '/'}

// legacySpans are the key ranges outside the shard and node-local
// prefixes: where layout 1 kept every key.
var legacySpans = [...][2][]byte{
	{nil, {prefixShard}},
	{{prefixShard + 1}, {prefixLocal}},
	{{prefixLocal + 1}, nil},
}

// checkLayout brings the directory of db to layoutVersion (see above).
func checkLayout(db *pebble.DB, opts *Options, shard uint32) error {
	version, ok, err := readLayoutVersion(db)
	if err != nil {
		return err
	}
	if ok && version > layoutVersion {
		return fmt.Errorf("wal: data directory %s has key layout %d, written by a newer rewind; this one reads layout %d", opts.Dir, version, layoutVersion)
	}
	if ok && version < layoutVersion {
		return fmt.Errorf("%w: key layout version %d is stored, but layout 1 had no version record", ErrCorrupt, version)
	}
	if ok {
		return nil
	}
	legacy, err := hasLegacyKeys(db)
	switch {
	case err != nil:
		return err
	case opts.ReadOnly && legacy:
		return fmt.Errorf("%w: %s was written with key layout 1; run \"rewind serve\" on it once to migrate it", ErrOldLayout, opts.Dir)
	case opts.ReadOnly:
		return nil // empty: nothing to read either way
	}
	if legacy {
		if err := migrateLayout(db, opts, shard); err != nil {
			return fmt.Errorf("wal: migrating %s to key layout %d: %w", opts.Dir, layoutVersion, err)
		}
	}
	if opts.beforeMigrationBatch != nil {
		opts.beforeMigrationBatch()
	}
	return db.Set(layoutVersionKey, binary.AppendUvarint(nil, layoutVersion), pebble.Sync)
}

// readLayoutVersion returns the stored layout version, if any.
func readLayoutVersion(db *pebble.DB) (uint64, bool, error) {
	v, closer, err := db.Get(layoutVersionKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("wal: read the key layout version: %w", err)
	}
	defer closer.Close()
	version, n := binary.Uvarint(v)
	if n <= 0 || n != len(v) {
		return 0, false, fmt.Errorf("%w: key layout version %x", ErrCorrupt, v)
	}
	return version, true, nil
}

// hasLegacyKeys reports whether db holds any key of layout 1.
func hasLegacyKeys(db *pebble.DB) (bool, error) {
	for _, span := range legacySpans {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: span[0], UpperBound: span[1]})
		if err != nil {
			return false, err
		}
		found := it.First()
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return false, err
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// migrateLayout moves every layout 1 key to its layout 2 key.
func migrateLayout(db *pebble.DB, opts *Options, shard uint32) error {
	start := time.Now()
	m := &migration{db: db, opts: opts, shard: shard, batch: db.NewBatch()}
	defer func() { _ = m.batch.Close() }()
	for _, span := range legacySpans {
		if err := m.moveSpan(span[0], span[1]); err != nil {
			return err
		}
	}
	if err := m.commit(); err != nil {
		return err
	}
	opts.Logger.Info("wal: migrated the data directory to the replication-group key layout",
		"dir", opts.Dir, "layout", layoutVersion, "keys", m.moved, "batches", m.batches, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// migration is the state of one migrateLayout.
type migration struct {
	db      *pebble.DB
	opts    *Options
	shard   uint32
	batch   *pebble.Batch
	key     []byte
	moved   int
	batches int
}

// moveSpan moves the keys in [lower, upper).
func (m *migration) moveSpan(lower, upper []byte) error {
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err = m.move(it); err != nil {
			break
		}
	}
	return errors.Join(err, it.Error(), it.Close())
}

// move adds the move of it's key to the batch, committing the batch when
// it is full.
func (m *migration) move(it *pebble.Iterator) error {
	v, err := it.ValueAndErr()
	if err != nil {
		return err
	}
	if m.key, err = migratedKey(m.key, m.shard, it.Key()); err != nil {
		return err
	}
	if err := m.batch.Set(m.key, v, nil); err != nil {
		return err
	}
	if err := m.batch.Delete(it.Key(), nil); err != nil {
		return err
	}
	m.moved++
	if m.batch.Len() < m.batchBytes() {
		return nil
	}
	return m.commit()
}

func (m *migration) batchBytes() int {
	if m.opts.migrationBatchBytes > 0 {
		return m.opts.migrationBatchBytes
	}
	return defaultMigrationBatchBytes
}

// commit commits the batch (if it holds anything) durably and starts the
// next one.
func (m *migration) commit() error {
	if m.batch.Empty() {
		return nil
	}
	if m.opts.beforeMigrationBatch != nil {
		m.opts.beforeMigrationBatch()
	}
	err := errors.Join(m.batch.Commit(pebble.Sync), m.batch.Close())
	m.batches++
	m.batch = m.db.NewBatch()
	return err
}

// migratedKey builds in dst the layout 2 key of the layout 1 key k.
func migratedKey(dst []byte, shard uint32, k []byte) ([]byte, error) {
	if len(k) < 2 || k[1] != '/' {
		return nil, fmt.Errorf("%w: key %q of no known kind", ErrCorrupt, k)
	}
	switch k[0] {
	case prefixHighWater:
		return append(append(dst[:0], prefixLocal), k...), nil
	case prefixName, prefixMeta, prefixEntry, prefixSettings, prefixNode, prefixGroup,
		prefixConsumer, prefixPending, prefixRun, prefixCursor, prefixPatternCursor:
		return append(shardPrefix(dst, shard), k...), nil
	}
	return nil, fmt.Errorf("%w: key %q of no known kind", ErrCorrupt, k)
}
