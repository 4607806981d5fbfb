// Package workload drives real clients (go-redis, and the rewind replay
// command) against the nodes and records every operation in the history.
//
// A Workload runs its clients until its context ends, then, once every
// fault has healed, makes the final reads the checker compares against.
// Each client is a "process" in the history: it has at most one operation
// in flight, and after an operation with an unknown outcome it never acts
// again (a fresh process with a fresh connection takes over).
package workload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rewind-mq/rewind/jepsen/history"
	"github.com/rewind-mq/rewind/jepsen/node"
)

// Env is what workloads share.
type Env struct {
	Nodes    []node.Node
	Rec      *history.Recorder
	Limiter  *Limiter
	Binary   string        // the rewind binary (for rewind replay)
	Timeout  time.Duration // one client operation
	Seed     uint64
	nextProc atomic.Int64
}

// NewProcess returns a process number never used before.
func (e *Env) NewProcess() int { return int(e.nextProc.Add(1)) }

// Rand returns a generator derived from the run's seed and a stream name.
func (e *Env) Rand(stream string) *rand.Rand {
	var h uint64 = 14695981039346656037
	for _, b := range []byte(stream) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return rand.New(rand.NewPCG(e.Seed, h))
}

// Addr returns the address a client should use (one node for now).
func (e *Env) Addr() string { return e.Nodes[0].Addr() }

// Workload is one kind of client traffic and its final reads.
type Workload interface {
	Name() string
	// Channels lists the channels it writes (for final and probe reads).
	Channels() []string
	// Run drives clients until ctx ends.
	Run(ctx context.Context, env *Env) error
	// Final reads every channel after every fault healed (Final events).
	Final(ctx context.Context, env *Env) error
}

// Options size the workloads.
type Options struct {
	Channels    int // log channels
	Writers     int // writer processes per workload
	Readers     int
	Subscribers int
	Named       int // named (resumable) subscribers
}

// Names lists the workloads that exist.
func Names() []string { return []string{"queue", "log", "subscribe"} }

// Lookup returns the workloads named.
func Lookup(names []string, opts Options) ([]Workload, error) {
	var out []Workload
	for _, name := range names {
		switch name {
		case "log":
			out = append(out, NewLog(opts))
		case "subscribe":
			out = append(out, NewSubscribe(opts))
		case "queue":
			out = append(out, NewQueue(opts))
		default:
			return nil, fmt.Errorf("unknown workload %q (have: %s)", name, strings.Join(Names(), ", "))
		}
	}
	return out, nil
}

// Limiter paces operations to a rate shared by every client.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// NewLimiter allows perSecond operations a second (0: unlimited).
func NewLimiter(perSecond int) *Limiter {
	l := &Limiter{}
	if perSecond > 0 {
		l.interval = time.Second / time.Duration(perSecond)
	}
	return l
}

// Wait blocks until the caller may start an operation.
func (l *Limiter) Wait(ctx context.Context) error {
	if l.interval == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now.Add(-100 * time.Millisecond)) {
		l.next = now.Add(-100 * time.Millisecond) // a little burst, no backlog
	}
	l.next = l.next.Add(l.interval)
	at := l.next
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

// runAll runs fns concurrently and waits for all of them.
func runAll(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	wg.Wait()
}

// finalRetry repeats fn until it succeeds or ctx ends.
func finalRetry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// AllChannels lists every workload's channels, sorted.
func AllChannels(ws []Workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Channels()...)
	}
	sort.Strings(out)
	return out
}
