package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rewind-mq/rewind/broker"
	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
	"github.com/rewind-mq/rewind/resp"
)

const replaySynopsis = `Usage: rewind replay CHANNEL [flags]

Prints a channel's history, oldest first, one entry per line: from a running
server (-h, -p), or with --dir straight from a stopped node's data directory.

Examples:
  rewind replay orders                          the whole history
  rewind replay orders --since 2h               the last two hours
  rewind replay orders --last 100 --follow      the last 100, then new ones as they come
  rewind replay orders --from 1700000000000-0 --to 1700000060000 --format json -o orders.jsonl
  rewind replay orders --dir /var/lib/rewind    from a stopped node's files
`

const replayMore = `
IDs are <ms>-<seq>. <ms> alone is <ms>-0 for --from and the last ID of that
millisecond for --to; a leading "(" makes a bound exclusive. --since 2h starts
at the ID <now-2h in ms>-0. --last N keeps the last N entries of the range
given by the other flags; --count N stops after N entries.

Formats:
  text  ID<TAB>payload per line. The payload is the message of an entry that
        has only a "message" field (what PUBLISH stores), otherwise the fields
        as name=value pairs separated by spaces. Bytes are written as stored:
        use json for payloads with newlines or binary data.
  json  one object per line:
          {"id":"1700000000000-0","channel":"orders","fields":{"message":"hi"}}
        A value that is not valid UTF-8 goes base64-encoded to
        "fields_b64":{"name":"<base64>"} instead of "fields"; a pair whose name
        is not valid UTF-8 goes to "pairs_b64":["<base64 name>","<base64 value>",...].
        Each field is in exactly one of the three, in entry order; a name may
        repeat. A channel name that is not UTF-8 is "channel_b64".

From a server, the range is read with one XSTREAM command (rewind's
streaming range read: see 'redis-cli -p 7379 XSTREAM HELP'), or with XRANGE
pages from a server that does not have it.

A progress bar (entries, rate) is drawn on stderr when writing to a file (-o),
or when stderr is a terminal and stdout is not. With -o, the file appears only
once the replay is complete (written to a temporary file, then renamed).

Exit status: 0 done (also after Ctrl-C with --follow), 1 failed, 2 bad usage,
130 interrupted.
`

const (
	replayWriteBytes = 256 << 10 // the output buffer
	firstPageEntries = 64        // the first XRANGE page, before entry sizes are known
	// Later pages aim at this many reply bytes. Small pages cost a round
	// trip each, but the server builds a whole reply in memory before
	// sending it and keeps a reply buffer of up to 256 KiB for reuse: a
	// larger reply is regrown from scratch (and garbage-collected) for every
	// page, which made 10000-entry pages 2.5× slower than 1000-entry ones.
	targetPageBytes    = 160 << 10
	followBlockMs      = "5000" // XREAD BLOCK of --follow, between liveness checks
	dirProgressEntries = 4096   // --dir reports progress every this many entries
)

type replayOptions struct {
	server      serverFlags
	dir         string
	from, to    string
	since       string
	last, count int64
	follow      bool
	format      string
	output      string
	noProgress  bool
	cpuProfile  string
	pageEntries int
	noXStream   bool
}

// replayPlan is what to print, resolved from the flags.
type replayPlan struct {
	channel    []byte
	start, end broker.ID // inclusive
	fromNew    bool      // --from $: only entries added after the replay starts
	last       int64     // 0: every entry of the range
	count      int64     // 0: no limit
	follow     bool
}

func replayMain(args []string, stdout, stderr io.Writer) int {
	const cmd = "rewind replay"
	var o replayOptions
	fs := newFlagSet(cmd, replaySynopsis, replayMore, stdout, stderr)
	o.server.register(fs)
	fs.StringVar(&o.dir, "dir", "", "read a stopped node's data directory `DIR` instead of a server")
	fs.StringVar(&o.from, "from", "0", "first `ID`, inclusive: 0 is the beginning, $ only entries added from now on")
	fs.StringVar(&o.since, "since", "", "start at a time `WHEN`: a duration ago (90s, 2h, 7d) or an RFC 3339 time")
	fs.StringVar(&o.to, "to", "+", "last `ID`, inclusive: + is the end")
	fs.Int64Var(&o.last, "last", 0, "only the last `N` entries of the range")
	fs.Int64Var(&o.count, "count", 0, "stop after `N` entries (0: no limit)")
	fs.BoolVarP(&o.follow, "follow", "f", false, "at the end, keep waiting for new entries (server only; Ctrl-C stops)")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	fs.StringVarP(&o.output, "output", "o", "", "write to `FILE` (complete or not at all) instead of stdout")
	fs.BoolVar(&o.noProgress, "no-progress", false, "never draw the progress bar")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE`")
	fs.IntVar(&o.pageEntries, "page-entries", 10000, "most entries per XRANGE page")
	fs.BoolVar(&o.noXStream, "no-xstream", false, "read with XRANGE pages even if the server has XSTREAM")
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("page-entries")
	_ = fs.MarkHidden("no-xstream")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	plan, err := o.plan(fs.Args(), fs.Changed("from"), fs.Changed("host") || fs.Changed("port"), time.Now())
	if err != nil {
		return usageError(stderr, cmd, "%v", err)
	}
	if err := o.run(plan, stdout, stderr); err != nil {
		if errors.Is(err, errInterrupted) {
			fmt.Fprintf(stderr, "%s: interrupted\n", cmd)
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK
}

var errInterrupted = errors.New("interrupted")

// plan checks the flags and resolves them into a replayPlan.
func (o *replayOptions) plan(args []string, fromSet, serverSet bool, now time.Time) (replayPlan, error) {
	p := replayPlan{last: o.last, count: o.count, follow: o.follow, end: broker.MaxID}
	switch {
	case len(args) == 0:
		return p, errors.New("missing CHANNEL")
	case len(args) > 1:
		return p, fmt.Errorf("one CHANNEL only, got %d arguments", len(args))
	case o.format != "text" && o.format != "json":
		return p, fmt.Errorf("--format must be text or json, not %q", o.format)
	case o.last < 0:
		return p, errors.New("--last must be positive")
	case o.count < 0:
		return p, errors.New("--count must be positive")
	case o.pageEntries < 1:
		return p, errors.New("--page-entries must be positive")
	case fromSet && o.since != "":
		return p, errors.New("use --from or --since, not both")
	case o.dir != "" && serverSet:
		return p, errors.New("use --dir or -h/-p, not both")
	case o.dir != "" && o.follow:
		return p, errors.New("--follow needs a server: --dir reads a stopped node's files, which get no new entries")
	}
	p.channel = []byte(args[0])
	var err error
	switch {
	case o.since != "":
		if p.start, err = parseSince(o.since, now); err != nil {
			return p, fmt.Errorf("--since: %w", err)
		}
	case o.from == "$":
		p.fromNew = true
	default:
		if p.start, err = resp.ParseRangeID([]byte(o.from), false); err != nil {
			return p, fmt.Errorf("--from: invalid ID %q (want <ms>-<seq>, <ms>, 0 or $)", o.from)
		}
	}
	if p.end, err = resp.ParseRangeID([]byte(o.to), true); err != nil {
		return p, fmt.Errorf("--to: invalid ID %q (want <ms>-<seq>, <ms> or +)", o.to)
	}
	return p, nil
}

// parseSince turns "2h", "90s", "7d" (ago) or an RFC 3339 time (or a date,
// local midnight) into the first ID of that millisecond.
func parseSince(s string, now time.Time) (broker.ID, error) {
	var at time.Time
	if d, err := parseAgo(s); err == nil {
		at = now.Add(-d)
	} else if t, terr := time.Parse(time.RFC3339Nano, s); terr == nil {
		at = t
	} else if t, derr := time.ParseInLocation(time.DateOnly, s, time.Local); derr == nil {
		at = t
	} else {
		return broker.ID{}, fmt.Errorf("%q is neither a duration (90s, 2h, 7d) nor an RFC 3339 time (2024-05-01T12:00:00Z)", s)
	}
	return broker.ID{Ms: uint64(max(at.UnixMilli(), 0))}, nil
}

// parseAgo parses a non-negative Go duration, or whole days ("7d").
func parseAgo(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = errors.New("negative duration")
	}
	return d, err
}

// run replays plan to the output and reports what went wrong.
func (o *replayOptions) run(plan replayPlan, stdout, stderr io.Writer) (err error) {
	ctx, stop := signalContext()
	defer stop()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	out, err := openReplayOutput(o.output, stdout)
	if err != nil {
		return err
	}
	fm := newFormatter(out.w, o.format == "json", plan.channel)
	showBar := wantProgress(stdout, stderr, o.output != "", o.noProgress)
	var bar *progress
	newBar := func(total int64) *progress {
		bar = newProgress(stderr, showBar, total, "replay "+string(plan.channel))
		return bar
	}
	if o.dir != "" {
		err = replayFromDir(ctx, o.dir, plan, fm, newBar)
	} else {
		err = replayFromServer(ctx, o.server.addr(), serverReadOptions{pageMax: o.pageEntries, noXStream: o.noXStream}, plan, fm, newBar)
	}
	if ctx.Err() != nil {
		// Ctrl-C (or SIGTERM) ends a --follow normally; otherwise the
		// replay is incomplete.
		err = nil
		if !plan.follow {
			err = errInterrupted
		}
	}
	bar.finish()
	if err != nil {
		out.abort()
		return err
	}
	return out.commit()
}

// replayOutput is stdout, or with -o a temporary file renamed over the
// target once complete.
type replayOutput struct {
	w    *bufio.Writer
	file *os.File // -o: the temporary file
	path string   // -o: the target
}

func openReplayOutput(path string, stdout io.Writer) (*replayOutput, error) {
	if path == "" {
		return &replayOutput{w: bufio.NewWriterSize(stdout, replayWriteBytes)}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("-o: %w", err)
	}
	return &replayOutput{w: bufio.NewWriterSize(f, replayWriteBytes), file: f, path: path}, nil
}

// commit flushes, and for a file syncs it and renames it into place.
func (o *replayOutput) commit() error {
	err := o.w.Flush()
	if o.file == nil {
		return err
	}
	if err == nil {
		err = o.file.Chmod(0o644)
	}
	if err == nil {
		err = o.file.Sync()
	}
	if cerr := o.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.file.Name(), o.path)
	}
	if err != nil {
		_ = os.Remove(o.file.Name())
		return fmt.Errorf("-o %s: %w", o.path, err)
	}
	return nil
}

// abort keeps what stdout got; a file is removed, never left half-written.
func (o *replayOutput) abort() {
	if o.file == nil {
		_ = o.w.Flush()
		return
	}
	_ = o.file.Close()
	_ = os.Remove(o.file.Name())
}

// serverReplay replays one channel from a server: one XSTREAM (rewind's
// streaming range read: the server sends the whole range as a sequence of
// XRANGE-shaped arrays, ended by an empty one, as fast as the client reads),
// or XRANGE pages from a server without it; then (with --follow) XREAD
// BLOCK.
//
// XRANGE pages are pipelined: as soon as page k is in the read buffer and
// indexed, the request for page k+1 (which starts after k's last ID) is
// sent, and only then is page k written out — so the server reads and
// encodes k+1 while the client formats k. Page sizes adapt to aim at
// targetPageBytes, which bounds memory (the read buffer holds about two
// pages) whatever the channel's size. Nothing is allocated per entry.
type serverReplay struct {
	c       *respclient.Conn
	plan    replayPlan
	fm      *formatter
	bar     *progress
	pg      page
	pageMax int
	stream  bool // try XSTREAM first

	done     int64       // entries written
	after    broker.ID   // the last ID written (or before the first)
	finished bool        // --count reached or --to passed
	idArg    [2][48]byte // scratch for ID arguments
	countArg [24]byte
}

// serverReadOptions are the hidden knobs of the server path.
type serverReadOptions struct {
	pageMax   int  // most entries per XRANGE page
	noXStream bool // XRANGE pages even if the server has XSTREAM
}

func replayFromServer(ctx context.Context, addr string, ro serverReadOptions, plan replayPlan, fm *formatter, newBar func(int64) *progress) error {
	c, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	defer c.CloseOnDone(ctx)()
	r := &serverReplay{c: c, plan: plan, fm: fm, pageMax: ro.pageMax, stream: !ro.noXStream}
	start, total, err := r.resolveStart()
	if err != nil {
		return err
	}
	if plan.follow {
		total = -1
	} else if plan.count > 0 && (total < 0 || total > plan.count) {
		total = plan.count
	}
	r.bar = newBar(total)
	r.after, _ = start.Prev() // 0-0 stays 0-0: XREAD after it reads everything
	if !plan.fromNew {
		if err := r.pages(start); err != nil {
			return err
		}
	}
	if plan.follow {
		if err := r.follow(); err != nil {
			return err
		}
	}
	return fm.w.Flush()
}

// resolveStart applies --from $ and --last, and returns the first ID to
// read and how many entries that is, when it is known (else -1).
func (r *serverReplay) resolveStart() (start broker.ID, total int64, err error) {
	p := r.plan
	switch {
	case p.fromNew:
		last, ok, err := r.lastEntryID()
		if err != nil || !ok {
			return broker.ID{}, -1, err
		}
		next, _ := last.Next()
		return next, -1, nil
	case p.last > 0:
		return r.lastStart()
	case p.start.IsZero() && p.end == broker.MaxID:
		rp, err := r.c.Do("XLEN", string(p.channel))
		if err != nil {
			return p.start, -1, fmt.Errorf("XLEN: %w", err)
		}
		return p.start, rp.Int(0), nil
	}
	return p.start, -1, nil
}

// lastEntryID returns the ID of the channel's last entry, if any.
func (r *serverReplay) lastEntryID() (broker.ID, bool, error) {
	if err := r.sendRange("XREVRANGE", broker.MaxID, broker.ID{}, 1); err != nil {
		return broker.ID{}, false, err
	}
	return r.readOldest()
}

// lastStart finds where the last --last entries of [start, end] begin by
// paging backwards with XREVRANGE (reading only IDs out of the pages), and
// returns it with the number of entries found.
func (r *serverReplay) lastStart() (broker.ID, int64, error) {
	p := r.plan
	hi, found, size := p.end, int64(0), min(firstPageEntries, r.pageMax)
	for found < p.last {
		count := int(min(p.last-found, int64(size)))
		if err := r.sendRange("XREVRANGE", hi, p.start, count); err != nil {
			return p.start, found, err
		}
		oldest, ok, err := r.readOldest()
		if err != nil || !ok {
			return p.start, found, err
		}
		found += int64(r.pg.n)
		if found == p.last {
			return oldest, found, nil
		}
		if r.pg.n < count {
			break
		}
		if hi, ok = oldest.Prev(); !ok || hi.Less(p.start) {
			break
		}
		size = r.nextPageEntries(r.pg.size, r.pg.n)
	}
	return p.start, found, nil
}

// readOldest reads an XREVRANGE page and returns its last (oldest) ID.
func (r *serverReplay) readOldest() (broker.ID, bool, error) {
	if err := readPage(r.c.Reader, &r.pg, false); err != nil {
		return broker.ID{}, false, err
	}
	defer r.c.Release()
	if r.pg.n == 0 {
		return broker.ID{}, false, nil
	}
	id, err := r.pageID(r.pg.n - 1)
	return id, true, err
}

// pageID parses the ID of entry i of the current page.
func (r *serverReplay) pageID(i int) (broker.ID, error) {
	b := r.pg.id(i)
	id, err := resp.ParseID(b, 0)
	if err != nil {
		return id, fmt.Errorf("%w: entry ID %q", errProtocol, b)
	}
	return id, nil
}

// sendRange sends XRANGE (or XREVRANGE) CHANNEL from to COUNT n, where from
// and to are in the command's order.
func (r *serverReplay) sendRange(cmd string, from, to broker.ID, n int) error {
	c := r.c
	c.WriteArrayHeader(6)
	c.WriteBulkString(cmd)
	c.WriteBulk(r.plan.channel)
	c.WriteBulk(appendRangeID(r.idArg[0][:0], from))
	c.WriteBulk(appendRangeID(r.idArg[1][:0], to))
	c.WriteBulkString("COUNT")
	c.WriteBulk(strconv.AppendInt(r.countArg[:0], int64(n), 10))
	return c.Flush()
}

// appendRangeID writes id as a range bound: MaxID is "+".
func appendRangeID(dst []byte, id broker.ID) []byte {
	if id == broker.MaxID {
		return append(dst, '+')
	}
	return id.Append(dst)
}

// remaining is how many more entries --count allows (-1: no limit).
func (r *serverReplay) remaining() int64 {
	if r.plan.count == 0 {
		return -1
	}
	return r.plan.count - r.done
}

// pageCount caps a page size by --count.
func (r *serverReplay) pageCount(n int) int {
	if rem := r.remaining(); rem >= 0 && int64(n) > rem {
		return int(rem)
	}
	return n
}

// pages writes every entry of [start, end] (or --count of them): with
// XSTREAM, or XRANGE pages from a server that does not know it.
func (r *serverReplay) pages(start broker.ID) error {
	if r.stream {
		streamed, err := r.xstream(start)
		if streamed || err != nil {
			return err
		}
	}
	return r.xrangePages(start)
}

// xstream writes the entries of [start, end] (or --count of them) from one
// XSTREAM. It reports false, and no error, when the server does not know
// the command (Redis, an older rewind): nothing was read then.
func (r *serverReplay) xstream(start broker.ID) (streamed bool, err error) {
	n := 4
	rem := r.remaining()
	if rem == 0 {
		r.finished = true
		return true, nil
	}
	if rem > 0 {
		n = 6
	}
	c := r.c
	c.WriteArrayHeader(n)
	c.WriteBulkString("XSTREAM")
	c.WriteBulk(r.plan.channel)
	c.WriteBulk(appendRangeID(r.idArg[0][:0], start))
	c.WriteBulk(appendRangeID(r.idArg[1][:0], r.plan.end))
	if rem > 0 {
		c.WriteBulkString("COUNT")
		c.WriteBulk(strconv.AppendInt(r.countArg[:0], rem, 10))
	}
	if err := c.Flush(); err != nil {
		return false, err
	}
	for first := true; ; first = false {
		if err := readPage(c.Reader, &r.pg, false); err != nil {
			var re *respclient.ReplyError
			if first && errors.As(err, &re) && strings.HasPrefix(re.Message, "ERR unknown command") {
				return false, nil
			}
			if !first && errors.As(err, &re) {
				err = fmt.Errorf("XSTREAM ended early: %w", err)
			}
			return true, err
		}
		if r.pg.n == 0 {
			c.Release() // the end marker
			c.Shrink()
			if rem := r.remaining(); rem == 0 || !r.after.Less(r.plan.end) {
				r.finished = true
			}
			return true, nil
		}
		last, err := r.pageID(r.pg.n - 1)
		if err != nil {
			return true, err
		}
		r.after = last
		err = r.writePage(false)
		c.Release()
		if err != nil {
			return true, err
		}
	}
}

// xrangePages writes every entry of [start, end] (or --count of them) with
// pipelined XRANGE pages.
func (r *serverReplay) xrangePages(start broker.ID) error {
	count := r.pageCount(min(firstPageEntries, r.pageMax))
	if count == 0 {
		r.finished = true
		return nil
	}
	if err := r.sendRange("XRANGE", start, r.plan.end, count); err != nil {
		return err
	}
	c := r.c
	for {
		if err := readPage(c.Reader, &r.pg, false); err != nil {
			return err
		}
		n := r.pg.n
		more := false
		if n > 0 {
			last, err := r.pageID(n - 1)
			if err != nil {
				return err
			}
			r.after = last
			next, ok := last.Next()
			more = n == count && ok && !r.plan.end.Less(next)
			r.finished = !ok || !last.Less(r.plan.end)
		}
		if rem := r.remaining(); rem >= 0 && rem-int64(n) <= 0 {
			more, r.finished = false, true
		}
		if more {
			// Ask for the next page before writing this one out.
			count = r.pageCount(r.nextPageEntries(r.pg.size, n))
			next, _ := r.after.Next()
			if err := r.sendRange("XRANGE", next, r.plan.end, count); err != nil {
				return err
			}
		}
		if err := r.writePage(false); err != nil {
			return err
		}
		c.Release()
		if !more {
			c.Shrink()
			return nil
		}
	}
}

// nextPageEntries sizes the next page from the last one's bytes per entry:
// about targetPageBytes, within [1, pageMax].
func (r *serverReplay) nextPageEntries(size, n int) int {
	want := r.pageMax
	if n > 0 && size > 0 {
		want = int(int64(targetPageBytes) * int64(n) / int64(size))
	}
	return max(1, min(want, r.pageMax))
}

// writePage formats the current page's entries. With checkEnd (XREAD pages)
// an entry past --to ends the replay, and --count is enforced here.
func (r *serverReplay) writePage(checkEnd bool) error {
	n := r.pg.n
	if rem := r.remaining(); rem >= 0 && int64(n) > rem {
		n = int(rem)
	}
	for i := 0; i < n; i++ {
		if checkEnd {
			id, err := r.pageID(i)
			if err != nil {
				return err
			}
			if r.plan.end.Less(id) {
				r.finished = true
				n = i
				break
			}
			r.after = id
		}
		id, fields := r.pg.entry(i)
		if err := r.fm.entry(id, fields); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	r.done += int64(n)
	r.bar.add(n)
	if rem := r.remaining(); rem == 0 {
		r.finished = true
	}
	return nil
}

// follow waits for entries after r.after with XREAD BLOCK and writes each
// batch as it comes, until --count or --to is reached, or the context ends.
func (r *serverReplay) follow() error {
	c := r.c
	for !r.finished {
		if err := r.fm.w.Flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		c.WriteArrayHeader(8)
		c.WriteBulkString("XREAD")
		c.WriteBulkString("COUNT")
		c.WriteBulk(strconv.AppendInt(r.countArg[:0], int64(r.pageCount(r.pageMax)), 10))
		c.WriteBulkString("BLOCK")
		c.WriteBulkString(followBlockMs)
		c.WriteBulkString("STREAMS")
		c.WriteBulk(r.plan.channel)
		c.WriteBulk(r.after.Append(r.idArg[0][:0]))
		if err := c.Flush(); err != nil {
			return err
		}
		if err := readPage(c.Reader, &r.pg, true); err != nil {
			return err
		}
		err := r.writePage(true)
		c.Release()
		if err != nil {
			return err
		}
		c.Shrink()
	}
	return nil
}

// replayFromDir replays straight from a stopped node's Pebble data.
func replayFromDir(ctx context.Context, dir string, plan replayPlan, fm *formatter, newBar func(int64) *progress) error {
	b, err := openDataDir(dir)
	if err != nil {
		return err
	}
	defer b.Close()
	m, ok := b.Meta(plan.channel)
	if !ok {
		return fmt.Errorf("no channel %q in %s", plan.channel, dir)
	}
	if plan.fromNew {
		return nil // a stopped node gets no new entries
	}
	start, total := plan.start, int64(-1)
	if start.IsZero() && plan.end == broker.MaxID {
		total = int64(m.Length)
	}
	if plan.last > 0 {
		var oldest broker.ID
		q := broker.RangeQuery{Start: plan.start, End: plan.end, Count: int(plan.last), Reverse: true}
		found, err := b.Range(plan.channel, q, func(e *broker.Entry) error { oldest = e.ID; return nil })
		if err != nil {
			return err
		}
		if int64(found) == plan.last {
			start = oldest
		}
		total = int64(found)
	}
	if plan.count > 0 && (total < 0 || total > plan.count) {
		total = plan.count
	}
	bar := newBar(total)
	var ids idText
	n := 0
	q := broker.RangeQuery{Start: start, End: plan.end, Count: int(plan.count)}
	_, err = b.Range(plan.channel, q, func(e *broker.Entry) error {
		if err := fm.entry(ids.format(e.ID), e.Fields); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if n++; n%dirProgressEntries == 0 {
			bar.add(dirProgressEntries)
			if ctx.Err() != nil {
				return errInterrupted
			}
		}
		return nil
	})
	bar.add(n % dirProgressEntries)
	if err != nil {
		return err
	}
	return fm.w.Flush()
}

// idText formats entry IDs for --dir, reusing the "<ms>-" of the previous
// ID: the entries appended in one millisecond (thousands, under load) share
// it, and formatting 13 digits per entry was a tenth of the replay's time.
type idText struct {
	ms     uint64
	prefix []byte // "<ms>-"; empty before the first ID
	buf    []byte
}

// format returns id as text, valid until the next call.
func (t *idText) format(id broker.ID) []byte {
	if len(t.prefix) == 0 || id.Ms != t.ms {
		t.prefix = strconv.AppendUint(t.prefix[:0], id.Ms, 10)
		t.prefix = append(t.prefix, '-')
		t.ms = id.Ms
	}
	t.buf = append(t.buf[:0], t.prefix...)
	t.buf = strconv.AppendUint(t.buf, id.Seq, 10)
	return t.buf
}

// openDataDir opens a node's data directory read-only, with errors that say
// what to do.
func openDataDir(dir string) (*broker.Broker, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--dir: %s is not a directory", dir)
	}
	b, err := broker.Open(broker.Config{Dir: dir, ReadOnly: true})
	if err != nil {
		var dirErr *broker.DirError
		if errors.As(err, &dirErr) && dirErr.Kind == broker.ErrDirInUse {
			return nil, fmt.Errorf("--dir: %s is in use by a running server (%s): stop the server, or replay from it with -h/-p", dir, dirErr.Detail)
		}
		return nil, fmt.Errorf("--dir: %w", err)
	}
	return b, nil
}

// formatter writes entries in the text or json format into a bufio.Writer,
// appending straight into the writer's free space (no copy, no allocation)
// when the entry fits.
type formatter struct {
	w       *bufio.Writer
	json    bool
	channel []byte // json: `,"channel":"…"`, encoded once
	scratch []byte // for an entry larger than the writer's buffer
}

func newFormatter(w *bufio.Writer, json bool, channel []byte) *formatter {
	return &formatter{w: w, json: json, channel: appendJSONKeyValue(nil, ",", "channel", channel)}
}

// entry writes one entry.
func (f *formatter) entry(id []byte, fields [][]byte) error {
	need := len(id) + len(f.channel) + 64
	for _, x := range fields {
		need += len(x) + 2
	}
	if f.json {
		need *= 6 // the worst case: every byte escaped as \u00XX
	}
	if need > f.w.Available() && need <= f.w.Size() {
		if err := f.w.Flush(); err != nil {
			return err
		}
	}
	b := f.w.AvailableBuffer()
	if need > cap(b) {
		b = f.scratch[:0]
	}
	if f.json {
		b = appendEntryJSON(b, id, f.channel, fields)
	} else {
		b = appendEntryText(b, id, fields)
	}
	_, err := f.w.Write(b)
	if need > f.w.Size() && cap(b) <= 1<<20 {
		f.scratch = b[:0] // keep a moderate scratch buffer, drop a huge one
	}
	return err
}

// isMessage reports whether fields is a PUBLISH payload: one field named
// "message".
func isMessage(fields [][]byte) bool {
	return len(fields) == 2 && string(fields[0]) == "message"
}

// appendEntryText appends "ID<TAB>payload\n".
func appendEntryText(dst, id []byte, fields [][]byte) []byte {
	dst = append(dst, id...)
	dst = append(dst, '\t')
	if isMessage(fields) {
		dst = append(dst, fields[1]...)
	} else {
		for i := 0; i+1 < len(fields); i += 2 {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, fields[i]...)
			dst = append(dst, '=')
			dst = append(dst, fields[i+1]...)
		}
	}
	return append(dst, '\n')
}

// appendEntryJSON appends one JSON line; see replayMore for the shape.
func appendEntryJSON(dst, id, channelKV []byte, fields [][]byte) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, id...)
	dst = append(dst, '"')
	dst = append(dst, channelKV...)
	dst = append(dst, `,"fields":{`...)
	var b64Values, b64Pairs bool
	sep := false
	for i := 0; i+1 < len(fields); i += 2 {
		name, value := fields[i], fields[i+1]
		if !utf8.Valid(name) {
			b64Pairs = true
			continue
		}
		if !utf8.Valid(value) {
			b64Values = true
			continue
		}
		if sep {
			dst = append(dst, ',')
		}
		sep = true
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, value)
	}
	dst = append(dst, '}')
	if b64Values {
		dst = append(dst, `,"fields_b64":{`...)
		sep = false
		for i := 0; i+1 < len(fields); i += 2 {
			name, value := fields[i], fields[i+1]
			if !utf8.Valid(name) || utf8.Valid(value) {
				continue
			}
			if sep {
				dst = append(dst, ',')
			}
			sep = true
			dst = appendJSONString(dst, name)
			dst = append(dst, `:"`...)
			dst = base64.StdEncoding.AppendEncode(dst, value)
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	if b64Pairs {
		dst = append(dst, `,"pairs_b64":[`...)
		sep = false
		for i := 0; i+1 < len(fields); i += 2 {
			if utf8.Valid(fields[i]) {
				continue
			}
			if sep {
				dst = append(dst, ',')
			}
			sep = true
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, fields[i])
			dst = append(dst, `","`...)
			dst = base64.StdEncoding.AppendEncode(dst, fields[i+1])
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	}
	return append(dst, "}\n"...)
}

// appendJSONKeyValue appends sep, then "key":"value" when value is valid
// UTF-8, else "key_b64":"<base64 of value>".
func appendJSONKeyValue(dst []byte, sep, key string, value []byte) []byte {
	dst = append(dst, sep...)
	dst = append(dst, '"')
	dst = append(dst, key...)
	if utf8.Valid(value) {
		dst = append(dst, `":`...)
		return appendJSONString(dst, value)
	}
	dst = append(dst, `_b64":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, value)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes a JSON string holds as they are.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for len(s) > 0 {
		i := 0
		for i < len(s) && jsonPlain[s[i]] {
			i++
		}
		dst = append(dst, s[:i]...)
		if i == len(s) {
			break
		}
		switch c := s[i]; c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		s = s[i+1:]
	}
	return append(dst, '"')
}
