package workload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// newClient opens one connection's worth of client: no retries (a retry
// would hide an unknown outcome), short timeouts.
func newClient(addr string, timeout time.Duration) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:         addr,
		MaxRetries:   -1,
		PoolSize:     1,
		DialTimeout:  timeout,
		ReadTimeout:  timeout,
		WriteTimeout: timeout,
		Protocol:     2,
	})
}

// outcome classifies a client error: nil is OK; an error reply that
// certainly means "not done" is Fail; everything else (timeouts, dropped
// connections, MISCONF after a failed fsync whose batch may yet be on disk)
// is Info.
func outcome(err error) history.Type {
	if err == nil {
		return history.OK
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		switch {
		case strings.HasPrefix(msg, "MISCONF"):
			return history.Info
		case strings.Contains(msg, "shutting down"), strings.HasPrefix(msg, "LOADING"):
			return history.Fail
		}
		return history.Fail
	}
	if errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused") {
		return history.Fail // never reached the server
	}
	return history.Info // timeouts, resets, EOF: the command may have run
}

func init() { redis.SetLogger(quietLogger{}) }

// quietLogger drops go-redis's own log lines (every failed dial while a
// node is down); the history has what matters.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}

// readPages reads a channel with XRANGE pages of page entries, from after
// (nil: the start) to the end, or only one page when onePage.
func readPages(ctx context.Context, c *redis.Client, channel string, after *history.Entry, page int64, onePage bool) ([]history.Entry, error) {
	var out []history.Entry
	start := "-"
	if after != nil {
		start = "(" + after.ID
	}
	for {
		msgs, err := c.XRangeN(ctx, channel, start, "+", page).Result()
		if err != nil {
			return out, err
		}
		for _, m := range msgs {
			out = append(out, history.Entry{ID: m.ID, Value: messageOf(m.Values)})
		}
		if onePage || int64(len(msgs)) < page {
			return out, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// messageOf returns the payload of an entry: its "message" field, or a
// description of unexpected fields (which the checker will call phantom).
func messageOf(fields map[string]interface{}) string {
	if v, ok := fields["message"].(string); ok && len(fields) == 1 {
		return v
	}
	return fmt.Sprintf("<fields %v>", fields)
}

// replayLine is one line of rewind replay --format json.
type replayLine struct {
	ID     string            `json:"id"`
	Fields map[string]string `json:"fields"`
}

// replay runs `rewind replay CHANNEL --format json` against addr.
func replay(ctx context.Context, binary, addr, channel string) ([]history.Entry, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "replay", channel, "-h", host, "-p", port, "--format", "json", "--no-progress")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	entries, perr := parseReplay(bufio.NewScanner(out))
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("rewind replay: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return entries, perr
}

func parseReplay(sc *bufio.Scanner) ([]history.Entry, error) {
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []history.Entry
	for sc.Scan() {
		var l replayLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return out, fmt.Errorf("rewind replay output: %w", err)
		}
		v, ok := l.Fields["message"]
		if !ok || len(l.Fields) != 1 {
			v = fmt.Sprintf("<fields %v>", l.Fields)
		}
		out = append(out, history.Entry{ID: l.ID, Value: v})
	}
	return out, sc.Err()
}

// writer is one writing client process; it replaces itself after an
// unknown outcome.
type writer struct {
	env     *Env
	name    string // workload name
	process int
	client  *redis.Client
}

func newWriter(env *Env, name string) *writer {
	return &writer{env: env, name: name, process: env.NewProcess(), client: newClient(env.Addr(), env.Timeout)}
}

func (w *writer) close() { _ = w.client.Close() }

// write publishes (PUBLISH or XADD) value to channel and records it. It
// returns the completion.
func (w *writer) write(ctx context.Context, f, channel, value string, attempt int) history.Op {
	rec := w.env.Rec
	rec.Record(history.Op{Process: w.process, Type: history.Invoke, F: f, Channel: channel, Value: value, Attempt: attempt, Workload: w.name})
	opCtx, cancel := context.WithTimeout(context.Background(), w.env.Timeout)
	defer cancel()
	var id string
	var err error
	if f == history.FXAdd {
		id, err = w.client.XAdd(opCtx, &redis.XAddArgs{Stream: channel, Values: []string{"message", value}}).Result()
	} else {
		err = w.client.Publish(opCtx, channel, value).Err()
	}
	done := history.Op{Process: w.process, Type: outcome(err), F: f, Channel: channel, Value: value, ID: id, Attempt: attempt, Workload: w.name}
	if err != nil {
		done.Error = err.Error()
	}
	done = rec.Record(done)
	if done.Type == history.Info {
		w.close()
		*w = *newWriter(w.env, w.name)
	}
	return done
}

// writeLoop writes unique values until ctx ends: channel and command
// picked by pick; after an unknown outcome the value is retried once by
// the new process with probability retry.
func (w *writer) writeLoop(ctx context.Context, pick func() (f, channel string), retry float64, stream string) {
	defer w.close()
	rng := w.env.Rand(stream)
	for seq := 0; ; seq++ {
		if w.env.Limiter.Wait(ctx) != nil {
			return
		}
		f, channel := pick()
		value := fmt.Sprintf("%d-%d", w.process, seq)
		done := w.write(ctx, f, channel, value, 1)
		if done.Type == history.Info && rng.Float64() < retry && ctx.Err() == nil {
			w.write(ctx, f, channel, value, 2)
		}
	}
}
