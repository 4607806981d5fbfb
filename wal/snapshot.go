package wal

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
)

// Snapshots of a shard's replicated state: what a Raft group sends a
// replica that is too far behind its log, and what the replica restores.
//
//	snapshot = "RWSNAP" version(1) <uvarint shard> <uvarint applied index>
//	           { <uvarint key length> key <uvarint value length> value }*
//	           <uvarint 0> <SHA-256 of the records>
//
// The records are every key of the shard's span (ShardSpan) in key order,
// as of one durable batch; the hash is the one Digest computes over the
// same records, so a restored replica's digest equals the sender's.

const snapshotMagic = "RWSNAP"

// ErrBadSnapshot: a snapshot stream that is malformed, for another shard,
// or whose hash does not match its records.
var ErrBadSnapshot = errors.New("rewind: malformed snapshot")

// digester hashes records the way Digest and snapshots do.
type digester struct {
	h   hash.Hash
	buf []byte
}

func newDigester() *digester { return &digester{h: sha256.New()} }

// record appends one record's encoding to the hash and returns it.
func (d *digester) record(key, val []byte) []byte {
	d.buf = binary.AppendUvarint(d.buf[:0], uint64(len(key)))
	d.buf = append(d.buf, key...)
	d.buf = binary.AppendUvarint(d.buf, uint64(len(val)))
	d.buf = append(d.buf, val...)
	d.h.Write(d.buf)
	return d.buf
}

func (d *digester) sum() (s [sha256.Size]byte) {
	d.h.Sum(s[:0])
	return s
}

// Snapshot writes the replicated state of shard as of the last durable
// batch to w and returns the applied index it is at.
func (l *Log) Snapshot(shard uint32, w io.Writer) (uint64, error) {
	v := l.views.acquire()
	if v == nil {
		return 0, ErrClosed
	}
	defer l.views.release(v)
	applied, err := appliedIn(v.snap, shard)
	if err != nil {
		return 0, err
	}
	lower, upper := ShardSpan(shard)
	it, err := v.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	bw := bufio.NewWriterSize(w, 256<<10)
	head := append([]byte(snapshotMagic), 1)
	head = binary.AppendUvarint(head, uint64(shard))
	head = binary.AppendUvarint(head, applied)
	if _, err := bw.Write(head); err != nil {
		return 0, err
	}
	d := newDigester()
	for ok := it.First(); ok; ok = it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return 0, err
		}
		if _, err := bw.Write(d.record(it.Key(), val)); err != nil {
			return 0, err
		}
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	sum := d.sum()
	bw.WriteByte(0)
	bw.Write(sum[:])
	return applied, bw.Flush()
}

// restoreSeq numbers the table files restores write.
var restoreSeq atomic.Uint64

// Restore replaces shard's replicated state with a snapshot's, atomically
// (Pebble's ingest with excise: readers see the old state or the new, and
// so does a crash), and reloads the node's view of it. It returns the
// applied index the snapshot is at. Writes queued behind it apply to the
// restored state.
func (l *Log) Restore(shard uint32, r io.Reader) (uint64, error) {
	if shard != l.shard {
		return 0, fmt.Errorf("wal: restore of shard %d into a log of shard %d", shard, l.shard)
	}
	path := l.opts.FS.PathJoin(l.opts.Dir, fmt.Sprintf("restore-%d.sst", restoreSeq.Add(1)))
	applied, n, err := l.snapshotTable(shard, r, path)
	defer l.opts.FS.Remove(path) // ingest links it; what is left is ours
	if err != nil {
		return 0, err
	}
	lower, upper := ShardSpan(shard)
	err = l.exclusive(func() error {
		if n == 0 {
			b := l.db.NewBatch()
			defer b.Close()
			_ = b.DeleteRange(lower, upper, nil)
			if err := commitBatch(b, pebble.Sync); err != nil {
				return err
			}
		} else if _, err := l.db.IngestAndExcise(context.Background(), []string{path}, nil, nil, pebble.KeyRange{Start: lower, End: upper}); err != nil {
			return err
		}
		return l.reloadState()
	})
	return applied, err
}

// snapshotTable checks a snapshot stream and writes its records into a
// table file at path; it returns the applied index and the record count.
func (l *Log) snapshotTable(shard uint32, r io.Reader, path string) (applied uint64, n int, err error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head := make([]byte, len(snapshotMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(snapshotMagic)]) != snapshotMagic || head[len(snapshotMagic)] != 1 {
		return 0, 0, fmt.Errorf("%w: header", ErrBadSnapshot)
	}
	s, err := binary.ReadUvarint(br)
	if err != nil || s != uint64(shard) {
		return 0, 0, fmt.Errorf("%w: shard %d, want %d (%v)", ErrBadSnapshot, s, shard, err)
	}
	if applied, err = binary.ReadUvarint(br); err != nil {
		return 0, 0, fmt.Errorf("%w: applied index", ErrBadSnapshot)
	}
	f, err := l.opts.FS.Create(path, "")
	if err != nil {
		return 0, 0, err
	}
	tw := sstable.NewWriter(objstorageprovider.NewFileWritable(f), l.popts.MakeWriterOptions(6, l.db.TableFormat()))
	defer func() {
		if cerr := tw.Close(); err == nil {
			err = cerr
		}
	}()
	lower, upper := ShardSpan(shard)
	d := newDigester()
	var prev, key, val []byte
	for {
		if key, err = readField(br, key); err != nil {
			return 0, 0, err
		}
		if len(key) == 0 {
			break
		}
		if val, err = readField(br, val); err != nil {
			return 0, 0, err
		}
		if bytes.Compare(key, lower) < 0 || bytes.Compare(key, upper) >= 0 || (prev != nil && bytes.Compare(key, prev) <= 0) {
			return 0, 0, fmt.Errorf("%w: key %x out of order or outside the shard", ErrBadSnapshot, key)
		}
		d.record(key, val)
		if err := tw.Set(key, val); err != nil {
			return 0, 0, err
		}
		prev = append(prev[:0], key...)
		n++
	}
	var sum [sha256.Size]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil || sum != d.sum() {
		return 0, 0, fmt.Errorf("%w: its hash does not match its records", ErrBadSnapshot)
	}
	return applied, n, nil
}

// readField reads a length-prefixed field into buf; an empty one is the
// end of the records.
func readField(br *bufio.Reader, buf []byte) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 1<<32 {
		return nil, fmt.Errorf("%w: record length (%v)", ErrBadSnapshot, err)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("%w: truncated record", ErrBadSnapshot)
	}
	return buf, nil
}
