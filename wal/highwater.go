package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	iofs "io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// The high-water mark: an independent check, at Open, that Pebble still
// holds every batch that was durable before.
//
// Pebble cannot tell a damaged write-ahead log from a torn tail: at Open it
// replays the WAL up to the first record that fails its checksum and drops
// the rest, and a damaged MANIFEST can likewise be read as a shorter history
// of flushes. Either way the DB opens cleanly and rewind would serve a
// shorter log, silently dropping acknowledged entries (jepsen/README.md,
// bugs 2 and 3). So:
//
//  1. Every non-empty batch carries its commit counter, one more than the
//     batch before it (seal), merged into highWaterKey (see counterRange).
//     The counter is in the same batch as the data, so it is exactly as
//     durable as the data: if the DB lost a batch, it lost that batch's
//     counter too.
//  2. After a batch's fsync returned, the committer publishes its counter
//     (Log.durableCounter). highWaterLoop copies that value, at most once per
//     Options.HighWaterInterval, into the file HighWaterFile in the data
//     directory (written to a temporary file, synced, renamed, directory
//     synced), and Close writes the final value after its flush. The file
//     therefore never holds a counter that was not durable in the DB.
//  3. Open reads both: a DB counter below the file's means batches that
//     were durable are gone, and so does a hole in the DB's counter ranges;
//     Open then fails with ErrCorrupt instead of serving what is left.
//
// What it cannot see: a loss confined to batches committed after the file
// was last written (at most HighWaterInterval plus one file write before a
// crash; nothing after a clean Close), unless it leaves a hole. The publish
// path pays one 16-byte Merge per batch; the file costs two fsyncs per
// interval, off the commit path.

// HighWaterFile is the name of the high-water mark file in the data
// directory (see above).
const HighWaterFile = "REWIND-HIGHWATER"

const (
	prefixHighWater = 'h'
	// highWaterHeader is the first line of the file; a new format gets a
	// new version.
	highWaterHeader = "rewind high-water mark v1"
	maxHighWaterLen = 4 << 10
)

// highWaterKey is the DB key of the commit counter (node-local: keys.go).
var highWaterKey = localKey(prefixHighWater)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encodeHighWater renders the file's contents for counter.
func encodeHighWater(counter uint64) []byte {
	body := fmt.Sprintf("%s\ncommit %d\n", highWaterHeader, counter)
	return fmt.Appendf([]byte(body), "crc32c %08x\n", crc32.Checksum([]byte(body), crcTable))
}

// decodeHighWater parses the file's contents.
func decodeHighWater(data []byte) (uint64, error) {
	text := string(data)
	i := strings.LastIndex(strings.TrimSuffix(text, "\n"), "\n")
	if i < 0 || !strings.HasSuffix(text, "\n") {
		return 0, errors.New("truncated")
	}
	body, sumLine := text[:i+1], strings.TrimSuffix(text[i+1:], "\n")
	sum, ok := strings.CutPrefix(sumLine, "crc32c ")
	if !ok || len(sum) != 8 {
		return 0, errors.New("no checksum line")
	}
	if got := fmt.Sprintf("%08x", crc32.Checksum([]byte(body), crcTable)); sum != got {
		return 0, fmt.Errorf("checksum mismatch (stored %s, computed %s)", sum, got)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 2 || lines[0] != highWaterHeader {
		return 0, fmt.Errorf("unknown format %q", lines[0])
	}
	n, ok := strings.CutPrefix(lines[1], "commit ")
	if !ok {
		return 0, errors.New("no commit line")
	}
	counter, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad commit line: %w", err)
	}
	return counter, nil
}

// readHighWaterFile returns the counter in dir's high-water file; ok is
// false when there is none (a new directory, or one written before the file
// existed).
func readHighWaterFile(fs vfs.FS, dir string) (counter uint64, ok bool, err error) {
	path := fs.PathJoin(dir, HighWaterFile)
	f, err := fs.Open(path)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("wal: read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxHighWaterLen+1))
	if err != nil {
		return 0, false, fmt.Errorf("wal: read %s: %w", path, err)
	}
	if len(data) > maxHighWaterLen {
		return 0, false, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, path, maxHighWaterLen)
	}
	counter, err = decodeHighWater(data)
	if err != nil {
		return 0, false, fmt.Errorf("%w: high-water file %s is damaged (%v); it cannot vouch for the log, so the node refuses to start: check the disk, and remove the file only if the log is known to be complete", ErrCorrupt, path, err)
	}
	return counter, true, nil
}

// writeHighWaterFile replaces dir's high-water file with counter, durably:
// temporary file, fsync, rename, fsync of the directory. A crash at any
// point leaves the old file or the new one, both valid.
func writeHighWaterFile(fs vfs.FS, dir string, counter uint64) error {
	path := fs.PathJoin(dir, HighWaterFile)
	tmp := path + ".tmp"
	f, err := fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write(encodeHighWater(counter))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := fs.Rename(tmp, path); err != nil {
		return err
	}
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// The commit counter's value is a list of ranges of commit counters, each
// 16 bytes (first, last; BE), oldest first. Each batch merges the one-commit
// range [c, c] into it (Pebble's merge operator, counterMerger), and merging
// joins adjacent ranges: a complete history is one range [1, last]. A
// history with a hole has two or more ranges, or one that starts later. That
// catches what a single
// overwritten counter cannot: a MANIFEST that lost its newest edits forgets
// the tables they added, but an obsolete (recycled, or not yet deleted) WAL
// still on disk can then be replayed on top of the older tables, bringing
// back the newest counter with a hole below it.
type counterRange struct{ first, last uint64 }

const (
	counterRangeLen = 16
	// maxCounterRanges bounds the value: a history with holes is refused
	// at Open anyway; the first and last ranges are the useful ones.
	maxCounterRanges = 8
)

// decodeCounterRanges appends the ranges in v to dst. A malformed value
// becomes the range [0, 0], which no commit has.
func decodeCounterRanges(dst []counterRange, v []byte) []counterRange {
	if len(v)%counterRangeLen != 0 {
		return appendCounterRange(dst, counterRange{})
	}
	for ; len(v) > 0; v = v[counterRangeLen:] {
		r := counterRange{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])}
		if r.first == 0 || r.last < r.first {
			r = counterRange{}
		}
		dst = appendCounterRange(dst, r)
	}
	return dst
}

// appendCounterRange adds r after the ranges in dst, joining it to the last
// one if it continues it.
func appendCounterRange(dst []counterRange, r counterRange) []counterRange {
	if n := len(dst); n > 0 && dst[n-1].first != 0 && r.first != 0 && r.first == dst[n-1].last+1 {
		dst[n-1].last = r.last
		return dst
	}
	return append(dst, r)
}

func encodeCounterRanges(dst []byte, rs []counterRange) []byte {
	for i, r := range rs {
		if len(rs) > maxCounterRanges && i >= maxCounterRanges/2 && i < len(rs)-maxCounterRanges/2 {
			continue
		}
		dst = encodeCounterRange(dst, r)
	}
	return dst
}

func encodeCounterRange(dst []byte, r counterRange) []byte {
	dst = binary.BigEndian.AppendUint64(dst, r.first)
	return binary.BigEndian.AppendUint64(dst, r.last)
}

// counterMerger merges the commit counter's operands (see counterRange).
// Joining ranges is associative, so Pebble may merge any run of operands
// (a flush, a compaction without the base) and get the same result.
type counterMerger struct{ ranges []counterRange }

func (m *counterMerger) MergeNewer(v []byte) error {
	m.ranges = decodeCounterRanges(m.ranges, v)
	return nil
}

func (m *counterMerger) MergeOlder(v []byte) error {
	if len(v) == counterRangeLen && len(m.ranges) > 0 {
		// The common case (a flush merges one operand per batch, newest
		// first): extend the oldest range downwards, without allocating.
		r := counterRange{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])}
		if first := &m.ranges[0]; r.first != 0 && r.first <= r.last && first.first != 0 && first.first == r.last+1 {
			first.first = r.first
			return nil
		}
	}
	older := decodeCounterRanges(nil, v)
	for _, r := range m.ranges {
		older = appendCounterRange(older, r)
	}
	m.ranges = older
	return nil
}

func (m *counterMerger) Finish(bool) ([]byte, io.Closer, error) {
	return encodeCounterRanges(nil, m.ranges), nil, nil
}

// merger is the DB's merge operator: counterMerger for the commit counter
// (also at its layout 1 key, which the migration reads: layout.go); any
// other key (rewind merges no other) is concatenated as by Pebble's
// default merger, whose name it keeps so that directories written before
// the counter existed (and older binaries) open unchanged.
var merger = &pebble.Merger{
	Name: pebble.DefaultMerger.Name,
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		if !bytes.Equal(key, highWaterKey) && !bytes.Equal(key, legacyHighWaterKey) {
			return pebble.DefaultMerger.Merge(key, value)
		}
		m := &counterMerger{}
		return m, m.MergeNewer(value)
	},
}

// readCommitCounter returns the ranges of commits the DB holds (none for a
// directory written before the counter existed).
func readCommitCounter(db *pebble.DB) ([]counterRange, error) {
	v, closer, err := db.Get(highWaterKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wal: read the commit counter: %w", err)
	}
	defer closer.Close()
	return decodeCounterRanges(nil, v), nil
}

// checkHighWater checks the DB's commit counter, and compares it with the
// high-water file (see the top of this file); it sets the log's counters.
func (l *Log) checkHighWater() error {
	fileCounter, haveFile, err := readHighWaterFile(l.opts.FS, l.opts.Dir)
	if err != nil {
		return err
	}
	ranges, err := readCommitCounter(l.db)
	if err != nil {
		return err
	}
	path := l.opts.FS.PathJoin(l.opts.Dir, HighWaterFile)
	var dbCounter uint64
	if n := len(ranges); n > 0 {
		dbCounter = ranges[n-1].last
	}
	const damaged = "Pebble's write-ahead log (*.log) or MANIFEST was damaged, truncated or rolled back, and opening it would serve a shorter log. "
	if bad := counterHole(ranges); bad != "" {
		if bad == "malformed" {
			return fmt.Errorf("%w: the commit counter (key %q) is malformed", ErrCorrupt, highWaterKey)
		}
		if haveFile {
			return fmt.Errorf("%w: acknowledged writes are missing: %s; "+damaged+"Restore %s from a backup or replica; to accept the loss, remove %s",
				ErrCorrupt, bad, l.opts.Dir, path)
		}
		l.opts.Logger.Error("wal: acknowledged writes are missing, and there is no high-water file: accepting the loss", "missing", bad)
		l.w.resetCounter = true
	}
	if haveFile && dbCounter < fileCounter {
		stored := strconv.FormatUint(dbCounter, 10)
		if len(ranges) == 0 {
			stored = "none"
		}
		return fmt.Errorf("%w: acknowledged writes are missing: the log's last commit is %s but %s records that commit %d was durable; "+
			damaged+"Restore %s from a backup or replica; to accept the loss, remove %s",
			ErrCorrupt, stored, HighWaterFile, fileCounter, l.opts.Dir, path)
	}
	l.w.commitCounter = dbCounter
	l.durableCounter.Store(dbCounter)
	l.highWaterWritten = fileCounter
	l.opts.Logger.Debug("wal: high-water mark checked", "commit", dbCounter, "file", fileCounter, "file_present", haveFile)
	return nil
}

// counterHole describes the commits missing from a history with holes
// (see counterRange), or returns "" for a complete one: no ranges (a
// directory written before the counter existed), or one from commit 1.
func counterHole(rs []counterRange) string {
	switch {
	case len(rs) == 0 || len(rs) == 1 && rs[0].first == 1:
		return ""
	case slices.ContainsFunc(rs, func(r counterRange) bool { return r.first == 0 }):
		return "malformed"
	case rs[0].first > 1:
		return fmt.Sprintf("the log holds commits %d to %d but not 1 to %d", rs[0].first, rs[0].last, rs[0].first-1)
	}
	return fmt.Sprintf("the log holds commits %d to %d and %d to %d but not those between", rs[0].first, rs[0].last, rs[1].first, rs[1].last)
}

// setCommitCounter adds the next commit counter to b (in seal, after
// everything else): b.counter is then what the DB holds once b is durable.
// An empty batch gets none: it is never written.
func (l *Log) setCommitCounter(b *pendingBatch) {
	if b.err != nil || b.pb.Empty() {
		return
	}
	l.w.commitCounter++
	b.counter = l.w.commitCounter
	if l.w.resetCounter {
		// A loss was accepted (no high-water file): the history is
		// complete again from here on.
		l.w.valBuf = encodeCounterRange(l.w.valBuf[:0], counterRange{1, b.counter})
		b.setErr(b.pb.Set(highWaterKey, l.w.valBuf, nil))
		l.w.resetCounter = false
		return
	}
	l.w.valBuf = encodeCounterRange(l.w.valBuf[:0], counterRange{b.counter, b.counter})
	b.setErr(b.pb.Merge(highWaterKey, l.w.valBuf, nil))
}

// highWaterLoop writes the durable commit counter to the high-water file
// when it changed, at most once per HighWaterInterval, until Close (which
// writes the last value itself).
func (l *Log) highWaterLoop() { l.every(l.opts.HighWaterInterval, l.updateHighWater) }

// updateHighWater writes the durable counter to the file if it is newer.
// Only highWaterLoop calls it, and Close once that loop has stopped.
func (l *Log) updateHighWater() {
	counter := l.durableCounter.Load()
	if counter <= l.highWaterWritten || l.opts.UnsafeNoSync {
		return
	}
	if err := writeHighWaterFile(l.opts.FS, l.opts.Dir, counter); err != nil {
		// The file lags: the check at Open is weaker, never wrong.
		if !l.highWaterFailing {
			l.opts.Logger.Warn("wal: could not write the high-water file; will retry", "err", err)
		}
		l.highWaterFailing = true
		return
	}
	if l.highWaterFailing {
		l.opts.Logger.Info("wal: high-water file written again", "commit", counter)
	}
	l.highWaterFailing = false
	l.highWaterWritten = counter
}

// every runs fn once per interval until the log closes; it is one of the
// log's goroutines (l.wg).
func (l *Log) every(interval time.Duration, fn func()) {
	defer l.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.closing:
			return
		case <-t.C:
			fn()
		}
	}
}
