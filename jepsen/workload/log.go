package workload

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// LinChannel is the channel the log workload keeps small and slow enough
// for porcupine's linearizability check.
const LinChannel = "lin"

const (
	tailPage        = 500             // entries per tail read
	fullPage        = 2000            // entries per XRANGE page of a full read
	fullReadEvery   = 4 * time.Second // a reader replays each channel from 0 this often
	linReadInterval = 100 * time.Millisecond
	linWriteRate    = 25 // appends a second to the lin channel
	retryChance     = 0.5
)

// Log is the log workload: several channels written with PUBLISH and XADD
// (unique values), tail readers that follow each channel with XRANGE,
// full replays from 0 with XRANGE pages and with `rewind replay`, and a
// small channel checked for linearizability.
type Log struct {
	opts     Options
	channels []string
}

// NewLog returns the log workload.
func NewLog(opts Options) *Log {
	l := &Log{opts: opts}
	for i := 0; i < opts.Channels; i++ {
		l.channels = append(l.channels, fmt.Sprintf("log-%d", i))
	}
	return l
}

func (l *Log) Name() string { return "log" }

func (l *Log) Channels() []string { return append(append([]string(nil), l.channels...), LinChannel) }

// Run drives writers, readers and the linearizability clients.
func (l *Log) Run(ctx context.Context, env *Env) error {
	var fns []func()
	for i := 0; i < l.opts.Writers; i++ {
		rng := env.Rand(fmt.Sprintf("log-writer-%d", i))
		pick := func() (string, string) {
			f := history.FPublish
			if rng.IntN(2) == 0 {
				f = history.FXAdd
			}
			return f, l.channels[rng.IntN(len(l.channels))]
		}
		stream := fmt.Sprintf("log-retry-%d", i)
		fns = append(fns, func() { newWriter(env, l.Name()).writeLoop(ctx, pick, retryChance, stream) })
	}
	for i := 0; i < l.opts.Readers; i++ {
		fns = append(fns, func() { l.reader(ctx, env, i) })
	}
	fns = append(fns, func() { l.linWriters(ctx, env) }, func() { l.linReader(ctx, env) })
	runAll(fns...)
	return nil
}

// reader follows every channel with tail reads and replays each from 0
// every fullReadEvery, alternating XRANGE pages and rewind replay.
func (l *Log) reader(ctx context.Context, env *Env, n int) {
	r := &reader{env: env, workload: l.Name(), cursors: map[string]*history.Entry{}}
	r.reset()
	defer r.close()
	nextFull := time.Now()
	for round := 0; ctx.Err() == nil; round++ {
		full := time.Now().After(nextFull)
		if full {
			nextFull = time.Now().Add(fullReadEvery)
		}
		for i, ch := range l.channels {
			if env.Limiter.Wait(ctx) != nil {
				return
			}
			switch {
			case full && (round+i+n)%2 == 0:
				r.replay(ctx, ch, false)
			case full || r.cursors[ch] == nil:
				r.fullRead(ctx, ch, false)
			default:
				r.tailRead(ctx, ch)
			}
		}
	}
}

// reader is one reading client process.
type reader struct {
	env      *Env
	workload string
	node     string // set for probe reads
	addr     string // "": env.Addr()
	process  int
	client   *redis.Client
	cursors  map[string]*history.Entry // the last entry read per channel
}

func (r *reader) reset() {
	if r.client != nil {
		_ = r.client.Close()
	}
	r.process = r.env.NewProcess()
	addr := r.addr
	if addr == "" {
		addr = r.env.Addr()
	}
	r.client = newClient(addr, r.env.Timeout)
}

func (r *reader) close() { _ = r.client.Close() }

// record records a read's invocation, runs it, and records its result.
func (r *reader) record(f, channel string, after *history.Entry, final bool, run func(context.Context) ([]history.Entry, error)) ([]history.Entry, error) {
	rec := r.env.Rec
	rec.Record(history.Op{Process: r.process, Type: history.Invoke, F: f, Channel: channel, After: after, Final: final, Node: r.node, Workload: r.workload})
	timeout := r.env.Timeout * 10
	if final {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	entries, err := run(ctx)
	done := history.Op{Process: r.process, Type: outcome(err), F: f, Channel: channel, After: after, Final: final, Node: r.node, Workload: r.workload}
	if err != nil {
		done.Error = err.Error()
	} else {
		done.Entries = entries
	}
	rec.Record(done)
	if err != nil {
		r.reset() // a new process: this one's connection state is unknown
	}
	return entries, err
}

func (r *reader) fullRead(ctx context.Context, channel string, final bool) error {
	entries, err := r.record(history.FRead, channel, nil, final, func(ctx context.Context) ([]history.Entry, error) {
		return readPages(ctx, r.client, channel, nil, fullPage, false)
	})
	r.advance(channel, entries, err)
	return err
}

func (r *reader) replay(ctx context.Context, channel string, final bool) error {
	addr := r.client.Options().Addr
	entries, err := r.record(history.FReplay, channel, nil, final, func(ctx context.Context) ([]history.Entry, error) {
		return replay(ctx, r.env.Binary, addr, channel)
	})
	r.advance(channel, entries, err)
	return err
}

func (r *reader) tailRead(ctx context.Context, channel string) {
	after := r.cursors[channel]
	entries, err := r.record(history.FRead, channel, after, false, func(ctx context.Context) ([]history.Entry, error) {
		return readPages(ctx, r.client, channel, after, tailPage, true)
	})
	r.advance(channel, entries, err)
}

func (r *reader) advance(channel string, entries []history.Entry, err error) {
	if err == nil && len(entries) > 0 {
		last := entries[len(entries)-1]
		r.cursors[channel] = &last
	}
}

// linWriters append to the lin channel with XADD at a low rate.
func (l *Log) linWriters(ctx context.Context, env *Env) {
	slow := NewLimiter(linWriteRate)
	pick := func() (string, string) { return history.FXAdd, LinChannel }
	runAll(
		func() { newWriter(env, "lin").writeLoop(ctx, slowPick(ctx, slow, pick), 0, "lin-0") },
		func() { newWriter(env, "lin").writeLoop(ctx, slowPick(ctx, slow, pick), 0, "lin-1") },
	)
}

// slowPick makes a pick function also wait for a second limiter.
func slowPick(ctx context.Context, slow *Limiter, pick func() (string, string)) func() (string, string) {
	return func() (string, string) {
		_ = slow.Wait(ctx)
		return pick()
	}
}

// linReader reads the whole lin channel in one XRANGE, repeatedly.
func (l *Log) linReader(ctx context.Context, env *Env) {
	r := &reader{env: env, workload: "lin", cursors: map[string]*history.Entry{}}
	r.reset()
	defer r.close()
	for ctx.Err() == nil {
		r.record(history.FRead, LinChannel, nil, false, func(ctx context.Context) ([]history.Entry, error) {
			return readPages(ctx, r.client, LinChannel, nil, 1<<30, true)
		})
		select {
		case <-ctx.Done():
		case <-time.After(linReadInterval):
		}
	}
}

// Final replays every channel from 0 with XRANGE and with rewind replay.
func (l *Log) Final(ctx context.Context, env *Env) error {
	return finalReads(ctx, env, l.Name(), l.Channels())
}

// finalReads reads each channel fully, both ways, retrying until done.
func finalReads(ctx context.Context, env *Env, workload string, channels []string) error {
	r := &reader{env: env, workload: workload, cursors: map[string]*history.Entry{}}
	r.reset()
	defer r.close()
	for _, ch := range channels {
		if err := finalRetry(ctx, func() error { return r.fullRead(ctx, ch, true) }); err != nil {
			return fmt.Errorf("final read of %s: %w", ch, err)
		}
		if err := finalRetry(ctx, func() error { return r.replay(ctx, ch, true) }); err != nil {
			return fmt.Errorf("final replay of %s: %w", ch, err)
		}
	}
	return nil
}

// ProbeReads reads every channel fully from the node at addr, once each
// (reads of a node serving corrupted files).
func ProbeReads(env *Env, nodeName, addr string, channels []string) []error {
	r := &reader{env: env, workload: "probe", node: nodeName, addr: addr, cursors: map[string]*history.Entry{}}
	r.reset()
	defer r.close()
	var errs []error
	for _, ch := range channels {
		if err := r.fullRead(context.Background(), ch, false); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ch, err))
		}
	}
	return errs
}
