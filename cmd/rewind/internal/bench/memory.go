package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

const testConnRSS = "RSS per idle subscribed conn"

// runMemoryConns measures the server's RSS growth per idle subscribed connection.
func (h *harness) runMemoryConns(ctx context.Context) {
	for _, sys := range h.systemsFor(false) {
		if ctx.Err() != nil {
			return
		}
		r := Result{Workload: "memory", Test: testConnRSS, System: sys.Name, Clients: h.opts.Conns}
		h.record(h.measureConnMemory(ctx, sys, r))
	}
}

func (h *harness) measureConnMemory(ctx context.Context, sys system, r Result) Result {
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer h.stopServer(srv)
	before, err := vmRSSBytes(srv.pid())
	if err != nil {
		r.Error = err.Error()
		return r
	}
	conns, err := h.idleSubscribers(ctx, srv.addr, h.opts.Conns)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer closeAll(conns)
	after, err := vmRSSBytes(srv.pid())
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Count = int64(len(conns))
	r.MemBytes, r.MemUnit = float64(after-before)/float64(len(conns)), "B/conn"
	r.Extra = map[string]any{"rss_before_bytes": before, "rss_after_bytes": after}
	return r
}

// idleSubscribers opens n connections, each subscribed to its own channel,
// and returns once every subscription is confirmed.
func (h *harness) idleSubscribers(ctx context.Context, addr string, n int) ([]*client, error) {
	h.progress("memory: opening %d subscribed connections", n)
	conns := make([]*client, 0, n)
	fail := func(err error) ([]*client, error) {
		closeAll(conns)
		return nil, fmt.Errorf("after %d connections: %w", len(conns), err)
	}
	for i := 0; i < n; i++ {
		c, err := dial(ctx, addr, 128, h.opts.RESP3)
		if err != nil {
			return fail(err)
		}
		conns = append(conns, c)
		if err := c.send("SUBSCRIBE", "idle:"+strconv.Itoa(i)); err != nil {
			return fail(err)
		}
	}
	for _, c := range conns {
		if err := readSubscribed(c); err != nil {
			return fail(err)
		}
	}
	return conns, nil
}

// vmRSSBytes reads VmRSS of pid from /proc.
func vmRSSBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // "1234 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		return kb * 1024, err
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
