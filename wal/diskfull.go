package wal

import (
	"log/slog"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Backing off on a full disk.
//
// Pebble retries a failed flush at once, with no pause (compaction.go: "count
// consecutive flush errors and backoff" is a TODO), so a full disk turned
// into thousands of failed flushes and log lines a second, and a core spent
// on them. Pebble's vfs.OnDiskFull calls a function when a write fails with
// ENOSPC, holds new writes while it runs, then retries the write once; that
// function here waits, longer each time the disk is still full (up to
// diskFullMaxWait), so each retry comes after a pause. Writes that fail
// anyway fail the log as any write error does (Log.fail).

const (
	diskFullFirstWait = 100 * time.Millisecond
	diskFullMaxWait   = 5 * time.Second
	// A disk-full report this long after the previous one starts again
	// from diskFullFirstWait.
	diskFullReset = time.Minute
)

// diskFullBackoff is the function vfs.OnDiskFull calls (see above).
type diskFullBackoff struct {
	logger   *slog.Logger
	stop     chan struct{} // closed by close: waits end at once
	stopOnce sync.Once

	mu       sync.Mutex
	wait     time.Duration // guarded by mu: the next wait
	lastSeen time.Time     // guarded by mu
	lastLog  time.Time     // guarded by mu: when a report was last logged
	reports  int           // guarded by mu: since the last line logged
	reported chan struct{} // guarded by mu: closed (and replaced) by each report
}

func newDiskFullBackoff(logger *slog.Logger) *diskFullBackoff {
	return &diskFullBackoff{logger: logger, stop: make(chan struct{}), reported: make(chan struct{})}
}

// nextReport returns a channel closed by the next disk-full report.
func (b *diskFullBackoff) nextReport() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reported
}

// recentlyFull reports whether the disk was found full within
// diskFullReset of now.
func (b *diskFullBackoff) recentlyFull(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.lastSeen.IsZero() && now.Sub(b.lastSeen) <= diskFullReset
}

// wrap returns fs with ENOSPC handled by b.
func (b *diskFullBackoff) wrap(fs vfs.FS) vfs.FS {
	return vfs.OnDiskFull(fs, b.onDiskFull)
}

// onDiskFull waits before the write that met ENOSPC is retried.
func (b *diskFullBackoff) onDiskFull() {
	wait, logNow, reports := b.next(time.Now())
	if logNow {
		b.logger.Error("wal: disk full (no space left on device): writes wait and retry; free space on the data directory's disk",
			"retry_in", wait, "reports", reports)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-b.stop:
	}
}

// next returns how long to wait for a report at now, and whether to log it
// (the first of an episode, then about once a diskFullMaxWait), with the
// number of reports that line covers.
func (b *diskFullBackoff) next(now time.Time) (wait time.Duration, logNow bool, reports int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	newEpisode := b.lastSeen.IsZero() || now.Sub(b.lastSeen) > diskFullReset
	if newEpisode {
		b.wait = diskFullFirstWait
	}
	b.lastSeen = now
	close(b.reported)
	b.reported = make(chan struct{})
	wait = b.wait
	b.wait = min(2*b.wait, diskFullMaxWait)
	b.reports++
	// Once the waits end at once (close), reports can come in a burst:
	// a line at most every diskFullMaxWait whatever the waits are.
	if newEpisode || now.Sub(b.lastLog) >= diskFullMaxWait {
		b.lastLog = now
		reports, b.reports = b.reports, 0
		return wait, true, reports
	}
	return wait, false, 0
}

// close ends current and future waits; Close calls it before closing
// Pebble, whose flushes may be waiting (Pebble stops retrying them once it
// is closing).
func (b *diskFullBackoff) close() {
	b.stopOnce.Do(func() { close(b.stop) })
}
