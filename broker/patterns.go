package broker

import (
	"sync"
	"sync/atomic"

	"github.com/rewind-mq/rewind/wal"
)

// Pattern subscriptions and fan-out. Which patterns match a channel is
// cached in the index (delivery/patterns.go) and brought up to date by
// each publisher in Submit, on its own goroutine, so that fan-out, which
// every publish waits for, matches nothing. For that, fan-out must never
// meet a publish prepared before a pattern it delivers to was added:
//
//  1. A new pattern is installed hidden: Prepare matches it, fan-out
//     skips it.
//  2. Every Submit runs Prepare and hands the request to the wal inside a
//     prepare epoch. The installer starts a new epoch and waits until no
//     Submit of the old one is left, so every request prepared without the
//     pattern is then in the wal's queue.
//  3. It then submits an empty request and waits for it. The wal commits
//     and fans out requests in queue order, so once the empty one is done,
//     every request prepared without the pattern has been fanned out.
//  4. Only then is the pattern revealed, and Subscribe returns. A later
//     fan-out finds the pattern in its channel's cached matches, unless the
//     entry was evicted meanwhile or the append was not submitted through
//     Submit (dead letters): then fan-out matches itself, and counts it.
//
// Installs are serialized (installMu), so at most two epochs are live.

// prepareFence counts the Submits in progress per epoch (two slots).
type prepareFence struct {
	installMu sync.Mutex
	epoch     atomic.Uint64
	active    [2]atomic.Int64
	drained   chan struct{} // signalled when a past epoch's count reaches 0
}

// enter registers a Submit in the current epoch and returns it.
func (f *prepareFence) enter() uint64 {
	for {
		e := f.epoch.Load()
		f.active[e&1].Add(1)
		if f.epoch.Load() == e {
			return e
		}
		f.leave(e) // an install began meanwhile: join the new epoch
	}
}

// leave ends a Submit of epoch e, waking an installer waiting for it.
func (f *prepareFence) leave(e uint64) {
	if f.active[e&1].Add(-1) == 0 && f.epoch.Load() != e {
		select {
		case f.drained <- struct{}{}:
		default:
		}
	}
}

// advance starts a new epoch and waits until the Submits of the old one
// are over. Called with installMu held.
func (f *prepareFence) advance() {
	old := f.epoch.Add(1) - 1
	for f.active[old&1].Load() != 0 {
		<-f.drained
	}
}

// subscribePattern subscribes s to a pattern, revealing a new pattern only
// once fan-out can no longer meet a publish prepared without it. confirm
// runs before s can receive a message: before s is added to a visible
// pattern, or before a new (hidden) one is revealed.
func (b *Broker) subscribePattern(pattern string, s Subscriber, confirm func()) bool {
	b.prep.installMu.Lock()
	defer b.prep.installMu.Unlock()
	visible := b.index.PatternVisible(pattern)
	if visible {
		confirm()
	}
	added, hidden := b.index.AddPattern(pattern, s)
	if hidden {
		b.prep.advance()
		b.waitFannedOut()
	}
	if !visible {
		confirm()
	}
	if hidden {
		b.index.Reveal(pattern)
	}
	return added
}

// waitFannedOut returns once every request submitted before it was
// committed and fanned out (or the log refuses writes).
func (b *Broker) waitFannedOut() {
	r := wal.NewRequest()
	if err := b.log.Submit(r); err == nil {
		r.Wait()
	}
}

// preparePatterns brings the pattern matches of the channels r publishes
// to up to date (see delivery.Index.Prepare), and those of the keyspace
// notices its commands may cause.
func (b *Broker) preparePatterns(r *wal.Request) {
	if !b.index.HasPatterns() {
		return
	}
	var prefixes []string
	if p := b.notifyKeyPrefixes.Load(); p != nil {
		prefixes = *p
	}
	for i := range r.Commands {
		p := &r.Commands[i]
		if p.Kind == OpAppend && p.Tag != TagSPublish {
			b.index.Prepare(p.Channel)
		}
		if p.Tag == TagNotify {
			for _, prefix := range prefixes {
				b.index.Prepare(append([]byte(prefix), p.Channel...))
			}
		}
	}
}
