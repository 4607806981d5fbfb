package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

const (
	replayKey      = "replay"
	replayPage     = 1000 // XRANGE COUNT
	replayPageStr  = "1000"
	loadDepth      = 1000 // XADD commands in flight while loading
	testXrange     = "XRANGE pages of 1000"
	testCLIServer  = "rewind replay (server)"
	testCLIDir     = "rewind replay (--dir)"
	testEntryStore = "bytes/entry stored"
	testEntryDisk  = "bytes/entry on disk"
)

// runStored loads --entries entries into each persistent system, then times
// reading them back (replay) and measures what they cost to keep (memory).
func (h *harness) runStored(ctx context.Context) {
	for _, sys := range h.systemsFor(true) {
		if ctx.Err() != nil {
			return
		}
		h.storedOn(ctx, sys)
	}
}

// storedMeasurement collects what storedOn learns about one system.
type storedMeasurement struct {
	usedBefore, usedAfter int64 // redis used_memory around the load
	diskBytes             int64 // data dir after a clean stop
	diskErr               error
}

func (h *harness) storedOn(ctx context.Context, sys system) {
	srv, err := h.startServer(ctx, sys)
	if err != nil {
		h.recordStoredFailure(sys, err)
		return
	}
	defer h.stopServer(srv)
	var m storedMeasurement
	if err := h.loadAndRead(ctx, srv, &m); err != nil {
		h.recordStoredFailure(sys, err)
		return
	}
	if err := srv.stop(); err != nil {
		m.diskErr = fmt.Errorf("clean stop: %w", err)
	} else {
		m.diskBytes, m.diskErr = dirBytes(srv.dir)
	}
	if sys.isRewind() && h.opts.wantWorkload("replay") {
		h.record(h.timedReplayCLI(ctx, sys, testCLIDir, "--dir", srv.dir))
	}
	if h.opts.wantWorkload("memory") {
		h.recordEntryMemory(sys, m)
	}
}

// loadAndRead loads the entries and, if replay is wanted, times reading them back.
func (h *harness) loadAndRead(ctx context.Context, srv *server, m *storedMeasurement) error {
	c, err := dial(ctx, srv.addr, 256<<10, h.opts.RESP3)
	if err != nil {
		return err
	}
	defer c.Close()
	redis := !srv.sys.isRewind()
	if redis {
		if m.usedBefore, err = usedMemory(c); err != nil {
			return err
		}
	}
	h.progress("replay: loading %d entries into %s", h.opts.Entries, srv.sys.Name)
	if err := loadEntries(c, replayKey, h.opts.Entries, makePayload(h.opts.PayloadBytes)); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if redis {
		if m.usedAfter, err = usedMemory(c); err != nil {
			return err
		}
	}
	if !h.opts.wantWorkload("replay") {
		return nil
	}
	h.record(h.timedXrange(c, srv.sys))
	if !redis {
		h.record(h.timedReplayCLI(ctx, srv.sys, testCLIServer, "-h", "127.0.0.1", "-p", strconv.Itoa(srv.port)))
	}
	return nil
}

// loadEntries appends n entries to key with pipelined XADD.
func loadEntries(c *client, key string, n int, payload []byte) error {
	batch := bytes.Repeat(encodeWrite("XADD", key, payload), loadDepth)
	cmdLen := len(batch) / loadDepth
	for done := 0; done < n; {
		k := min(loadDepth, n-done)
		if err := c.Send(batch[:k*cmdLen]); err != nil {
			return err
		}
		for i := 0; i < k; i++ {
			if err := c.Discard(); err != nil {
				return err
			}
		}
		done += k
	}
	return nil
}

// timedXrange reads the whole stream back in pages and reports entries/s.
func (h *harness) timedXrange(c *client, sys system) Result {
	r := Result{Workload: "replay", Test: testXrange, System: sys.Name}
	start := time.Now()
	n, err := xrangeAll(c, replayKey)
	elapsed := time.Since(start)
	switch {
	case err != nil:
		r.Error = err.Error()
	case n != int64(h.opts.Entries):
		r.Error = fmt.Sprintf("read %d entries back, stored %d", n, h.opts.Entries)
	default:
		r.Count, r.ElapsedSec, r.MsgsPerSec = n, elapsed.Seconds(), perSecond(n, elapsed)
	}
	return r
}

// xrangeAll pages through key with XRANGE key (lastid + COUNT 1000 and
// returns the number of entries read.
func xrangeAll(c *client, key string) (int64, error) {
	var total int64
	lastID := make([]byte, 0, 48)
	start := append(make([]byte, 0, 48), '-')
	for {
		c.buf = respclient.AppendArrayHeader(c.buf[:0], 6)
		c.buf = respclient.AppendBulkString(c.buf, "XRANGE")
		c.buf = respclient.AppendBulkString(c.buf, key)
		c.buf = respclient.AppendBulk(c.buf, start)
		c.buf = respclient.AppendBulkString(c.buf, "+")
		c.buf = respclient.AppendBulkString(c.buf, "COUNT")
		c.buf = respclient.AppendBulkString(c.buf, replayPageStr)
		if err := c.Send(c.buf); err != nil {
			return total, err
		}
		n, id, err := readEntryPage(c)
		if err != nil {
			return total, err
		}
		total += n
		if n < replayPage {
			return total, nil
		}
		lastID = append(lastID[:0], id...)
		start = append(append(start[:0], '('), lastID...)
	}
}

// readEntryPage parses an XRANGE reply and returns its entry count and last ID.
func readEntryPage(c *client) (int64, []byte, error) {
	reply, err := c.Read()
	if err != nil {
		return 0, nil, err
	}
	if err := reply.Err(0); err != nil {
		return 0, nil, err
	}
	if reply.Kind(0) != '*' {
		return 0, nil, fmt.Errorf("%w: XRANGE reply of type %q", errProtocol, reply.Kind(0))
	}
	n := reply.Int(0)
	if n == 0 {
		return 0, nil, nil
	}
	last := reply.Child(0, int(n-1))
	idIdx := reply.Child(last, 0)
	if idIdx < 0 {
		return 0, nil, fmt.Errorf("%w: XRANGE entry without an ID", errProtocol)
	}
	return n, reply.Bytes(idIdx), nil
}

// timedReplayCLI times `<rewind> replay replay --from 0 <args>` with stdout
// to /dev/null, <rewind> being the binary of sys. A failure is recorded in
// the result.
func (h *harness) timedReplayCLI(ctx context.Context, sys system, test string, args ...string) Result {
	r := Result{Workload: "replay", Test: test, System: sys.Name}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer devNull.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	argv := append([]string{"replay", replayKey, "--from", "0"}, args...)
	cmd := exec.CommandContext(ctx, h.rewindBinary(sys), argv...)
	out := &tailBuffer{max: 2048}
	cmd.Stdout, cmd.Stderr = devNull, out
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	r.Extra = map[string]any{"command": cmd.String()}
	if err != nil {
		r.Error = fmt.Sprintf("%s: %v: %s", cmd.String(), err, out.String())
		return r
	}
	n := int64(h.opts.Entries)
	r.Count, r.ElapsedSec, r.MsgsPerSec = n, elapsed.Seconds(), perSecond(n, elapsed)
	return r
}

// recordEntryMemory records bytes per stored entry: rewind's data dir on
// disk; redis's used_memory growth (RAM) and AOF size.
func (h *harness) recordEntryMemory(sys system, m storedMeasurement) {
	n := float64(h.opts.Entries)
	stored := Result{Workload: "memory", Test: testEntryStore, System: sys.Name, Count: int64(n)}
	disk := Result{Workload: "memory", Test: testEntryDisk, System: sys.Name, Count: int64(n)}
	if m.diskErr != nil {
		disk.Error = m.diskErr.Error()
	} else {
		disk.MemBytes, disk.MemUnit = float64(m.diskBytes)/n, "B/entry disk"
		disk.Extra = map[string]any{"dir_bytes": m.diskBytes}
	}
	if sys.isRewind() {
		stored.MemBytes, stored.MemUnit, stored.Extra, stored.Error = disk.MemBytes, disk.MemUnit, disk.Extra, disk.Error
	} else {
		stored.MemBytes, stored.MemUnit = float64(m.usedAfter-m.usedBefore)/n, "B/entry RAM"
		stored.Extra = map[string]any{"used_memory_before": m.usedBefore, "used_memory_after": m.usedAfter}
		disk.MemUnit = "B/entry AOF"
	}
	h.record(stored)
	h.record(disk)
}

// recordStoredFailure records err for every test the stored step would have reported.
func (h *harness) recordStoredFailure(sys system, err error) {
	var tests [][2]string
	if h.opts.wantWorkload("replay") {
		tests = append(tests, [2]string{"replay", testXrange})
		if sys.isRewind() {
			tests = append(tests, [2]string{"replay", testCLIServer}, [2]string{"replay", testCLIDir})
		}
	}
	if h.opts.wantWorkload("memory") {
		tests = append(tests, [2]string{"memory", testEntryStore}, [2]string{"memory", testEntryDisk})
	}
	for _, t := range tests {
		h.record(Result{Workload: t[0], Test: t[1], System: sys.Name, Error: err.Error()})
	}
}

// usedMemory returns used_memory from INFO memory.
func usedMemory(c *client) (int64, error) {
	info, err := c.doString("INFO", "memory")
	if err != nil {
		return 0, fmt.Errorf("INFO memory: %w", err)
	}
	v, ok := infoField(info, "used_memory")
	if !ok {
		return 0, fmt.Errorf("INFO memory has no used_memory")
	}
	return strconv.ParseInt(v, 10, 64)
}
