package wal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// isNodeLocal reports whether key is one of the node's own records
// (LocalSpan), which are not part of the replicated state.
func isNodeLocal(key []byte) bool {
	lower, upper := LocalSpan()
	return bytes.Compare(key, lower) >= 0 && bytes.Compare(key, upper) < 0
}

// Digest returns the applied index and a SHA-256 of the replicated state as
// of the last durable batch: every record of the node's shard, in key order,
// each as <uvarint key length><key><uvarint value length><value>. Replicas
// that applied the same requests have the same digest at the same index;
// that is what the determinism tests compare, and what a cluster can
// compare across replicas.
func (l *Log) Digest() (applied uint64, sum [sha256.Size]byte, err error) {
	v := l.views.acquire()
	if v == nil {
		return 0, sum, ErrClosed
	}
	defer l.views.release(v)
	applied, err = appliedIn(v.snap, l.shard)
	if err != nil {
		return 0, sum, err
	}
	lower, upper := ShardSpan(l.shard)
	it, err := v.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, sum, err
	}
	defer it.Close()
	d := newDigester()
	for ok := it.First(); ok; ok = it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return 0, sum, err
		}
		d.record(it.Key(), val)
	}
	if err := it.Error(); err != nil {
		return 0, sum, err
	}
	sum = d.sum()
	return applied, sum, nil
}

// appliedIn reads shard's applied index stored in a snapshot (0 if none).
func appliedIn(snap *pebble.Snapshot, shard uint32) (uint64, error) {
	v, closer, err := snap.Get(appliedKey(nil, shard))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 16 {
		return 0, fmt.Errorf("%w: applied index", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}
