// Package loglimit bounds how often one kind of log line is written, so
// that a fault that repeats (a full disk, a client sending garbage) cannot
// flood the log. It is a leaf: it imports nothing of rewind's, and every
// package may use it.
package loglimit

import (
	"sync"
	"time"
)

// Limiter lets at most Burst lines through per Window; the first line let
// through after some were held back learns how many. The zero value is not
// usable: set Burst and Window. Safe for concurrent use.
type Limiter struct {
	Burst  int
	Window time.Duration

	mu          sync.Mutex
	windowStart time.Time // guarded by mu
	written     int       // guarded by mu: lines let through in this window
	suppressed  int       // guarded by mu: lines held back since the last one written
}

// Allow reports whether a line may be written at now, and if so how many
// were held back since the previous line written (to be logged with it).
func (l *Limiter) Allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.windowStart) >= l.Window || now.Before(l.windowStart) {
		l.windowStart, l.written = now, 0
	}
	if l.written >= l.Burst {
		l.suppressed++
		return false, 0
	}
	l.written++
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// Keyed is a Limiter per key (a call site, a message format), created on
// first use. Keys must come from a small fixed set, not from input.
type Keyed struct {
	Burst  int
	Window time.Duration

	mu       sync.Mutex
	limiters map[string]*Limiter // guarded by mu
}

// Allow is Limiter.Allow for key's limiter.
func (k *Keyed) Allow(key string, now time.Time) (ok bool, suppressed int) {
	k.mu.Lock()
	l := k.limiters[key]
	if l == nil {
		if k.limiters == nil {
			k.limiters = make(map[string]*Limiter)
		}
		l = &Limiter{Burst: k.Burst, Window: k.Window}
		k.limiters[key] = l
	}
	k.mu.Unlock()
	return l.Allow(now)
}
