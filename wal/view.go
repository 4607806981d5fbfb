package wal

import (
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Readers read through a Pebble snapshot taken right after the last
// successful fsync'd commit. Batches reach Pebble only inside a commit, and
// commits run one at a time, so that snapshot holds exactly the durable
// state: no entry, deletion or trim that is still waiting for its fsync is
// visible to any reader (Pebble itself publishes a batch before its WAL sync
// returns).
type durableViews struct {
	mu      sync.Mutex
	current *view // guarded by mu
}

type view struct {
	snap *pebble.Snapshot
	refs int // guarded by durableViews.mu; the current view holds one
}

func (d *durableViews) init(db *pebble.DB) {
	d.current = &view{snap: db.NewSnapshot(), refs: 1}
}

// acquire returns the current durable view; release it when done.
func (d *durableViews) acquire() *view {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.current
	if v != nil {
		v.refs++
	}
	return v
}

func (d *durableViews) release(v *view) {
	d.mu.Lock()
	v.refs--
	closeIt := v.refs == 0
	d.mu.Unlock()
	if closeIt {
		_ = v.snap.Close()
	}
}

// advance makes a snapshot of db the current view. The caller must be the
// only goroutine committing.
func (d *durableViews) advance(db *pebble.DB) {
	next := &view{snap: db.NewSnapshot(), refs: 1}
	d.mu.Lock()
	old := d.current
	d.current = next
	d.mu.Unlock()
	if old != nil {
		d.release(old)
	}
}

// close drops the current view (at Close, after the last commit).
func (d *durableViews) close() {
	d.mu.Lock()
	old := d.current
	d.current = nil
	d.mu.Unlock()
	if old != nil {
		d.release(old)
	}
}
