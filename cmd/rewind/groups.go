package main

// rewind groups and rewind pending: what an operator asks of a channel's
// consumer groups (who is behind, what is unacknowledged, and for how long),
// from XINFO GROUPS / CONSUMERS, XPENDING and XGROUP GETCONFIG.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

const groupsSynopsis = `Usage: rewind groups CHANNEL [flags]

Shows the consumer groups of a channel, one line per group: its consumers,
pending (delivered, not yet acknowledged) entries, lag (entries not yet
delivered to the group), entries read, last delivered ID, its oldest pending
entry and how long ago that was delivered, entries lost to trimming before
the group read them (a LOST column appears when some were), and the
group's redelivery policy (XGROUP SETCONFIG).

Examples:
  rewind groups orders
  rewind groups orders --format json | jq 'select(.pending > 0)'
`

const groupsMore = `
Formats:
  text  an aligned table with a header. LAG and READ show "?" when the server
        cannot tell, as Redis 7 reports them (e.g. after deletions in the
        part the group has not read yet).
        POLICY is "-" for plain Redis behaviour (no ACKWAIT, BACKOFF,
        MAXDELIVER or DEADLETTER), "?" if the server does not report one.
  json  one object per group and line:
          {"channel":"orders","group":"billing","consumers":2,"pending":3,
           "lag":5,"entries_read":10,"last_delivered_id":"1700000000000-4",
           "oldest_pending":{"id":"…","consumer":"w1","idle_ms":1520,"deliveries":1},
           "lost_entries":0,
           "policy":{"ackwait_ms":5000,"backoff_ms":[1000,5000],"maxdeliver":5,"deadletter":"orders.dlq"}}
        lag, entries_read, oldest_pending and policy may be null; so may
        policy.deadletter.

Exit status: 0 done, 1 failed (no such channel, server unreachable), 2 bad usage.
`

const pendingSynopsis = `Usage: rewind pending CHANNEL GROUP [flags]

Lists a group's pending entries (delivered to a consumer, not yet
acknowledged), oldest first, with the consumer that holds each, how long ago
it was delivered (IDLE) and how many times it has been delivered; then one
summary line per consumer (entries pending, idle since its last read
attempt, inactive since its last successful read).

Examples:
  rewind pending orders billing
  rewind pending orders billing --idle 5m              stuck for 5 minutes or more
  rewind pending orders billing --consumer w1 --count 0
`

const pendingMore = `
Formats:
  text  two aligned tables: the entries, a blank line, the consumers.
  json  one object per line, entries first:
          {"type":"entry","id":"1700000000000-0","consumer":"w1","idle_ms":1520,"deliveries":2}
        then consumers:
          {"type":"consumer","consumer":"w1","pending":3,"idle_ms":80,"inactive_ms":1520}
        inactive_ms is null for a consumer that never read anything (text:
        "never"), or when the server does not report it (before Redis 7.2).

When --count cuts the list short, stderr says how many more there are.

Exit status: 0 done, 1 failed (no such channel, group or consumer; server
unreachable), 2 bad usage.
`

// pendingPageEntries is the XPENDING page size of rewind pending.
const pendingPageEntries = 1000

type groupsOptions struct {
	server serverFlags
	format string
}

func groupsMain(args []string, stdout, stderr io.Writer) int {
	const cmd = "rewind groups"
	var o groupsOptions
	fs := newFlagSet(cmd, groupsSynopsis, groupsMore, stdout, stderr)
	o.server.register(fs)
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	switch {
	case fs.NArg() == 0:
		return usageError(stderr, cmd, "missing CHANNEL")
	case fs.NArg() > 1:
		return usageError(stderr, cmd, "one CHANNEL only, got %d arguments", fs.NArg())
	case o.format != "text" && o.format != "json":
		return usageError(stderr, cmd, "--format must be text or json, not %q", o.format)
	}
	ctx, stop := signalContext()
	defer stop()
	if err := o.run(ctx, fs.Arg(0), stdout, stderr); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "%s: interrupted\n", cmd)
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK
}

// groupRow is one line of rewind groups (its JSON form as is).
type groupRow struct {
	Channel         string        `json:"channel"`
	Group           string        `json:"group"`
	Consumers       int64         `json:"consumers"`
	Pending         int64         `json:"pending"`
	Lag             *int64        `json:"lag"`
	EntriesRead     *int64        `json:"entries_read"`
	LastDeliveredID string        `json:"last_delivered_id"`
	OldestPending   *pendingEntry `json:"oldest_pending"`
	LostEntries     int64         `json:"lost_entries"`
	Policy          *groupPolicy  `json:"policy"`
	gone            bool          // destroyed between XINFO GROUPS and the rest
}

// pendingEntry is one XPENDING record.
type pendingEntry struct {
	Type       string `json:"type,omitempty"`
	ID         string `json:"id"`
	Consumer   string `json:"consumer"`
	IdleMs     int64  `json:"idle_ms"`
	Deliveries int64  `json:"deliveries"`
}

// groupPolicy is XGROUP GETCONFIG's reply.
type groupPolicy struct {
	AckWaitMs  int64   `json:"ackwait_ms"`
	BackoffMs  []int64 `json:"backoff_ms"`
	MaxDeliver int64   `json:"maxdeliver"`
	DeadLetter *string `json:"deadletter"`
}

// consumerRow is one XINFO CONSUMERS record.
type consumerRow struct {
	Type       string `json:"type"`
	Consumer   string `json:"consumer"`
	Pending    int64  `json:"pending"`
	IdleMs     int64  `json:"idle_ms"`
	InactiveMs *int64 `json:"inactive_ms"`
	never      bool   // inactive -1: never read anything (absent before Redis 7.2)
}

func (o *groupsOptions) run(ctx context.Context, channel string, stdout, stderr io.Writer) error {
	c, err := dial(ctx, o.server.addr())
	if err != nil {
		return err
	}
	defer c.Close()
	defer c.CloseOnDone(ctx)()
	rows, err := fetchGroups(c, channel)
	if err != nil {
		return err
	}
	// The details of every group in one round trip.
	for _, r := range rows {
		c.WriteCommand("XPENDING", channel, r.Group, "-", "+", "1")
		c.WriteCommand("XGROUP", "GETCONFIG", channel, r.Group)
	}
	if err := c.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		rp, err := c.Read()
		if err != nil {
			return err
		}
		switch {
		case isNoGroup(rp):
			r.gone = true
		case rp.Kind(0) == '-':
			return fmt.Errorf("XPENDING %s %s: %s", channel, r.Group, rp.Bytes(0))
		default:
			if entries := parsePendingEntries(rp); len(entries) > 0 {
				r.OldestPending = &entries[0]
			}
		}
		if rp, err = c.Read(); err != nil {
			return err
		}
		if isNoGroup(rp) {
			r.gone = true
		}
		r.Policy = parsePolicy(rp) // nil when the server has none to report
	}
	out := bufio.NewWriter(stdout)
	n := 0
	for _, r := range rows {
		if !r.gone {
			rows[n] = r
			n++
		}
	}
	rows = rows[:n]
	if len(rows) == 0 {
		fmt.Fprintf(stderr, "channel %q has no consumer groups\n", channel)
		return nil
	}
	if o.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return out.Flush()
	}
	lost := false
	for _, r := range rows {
		lost = lost || r.LostEntries > 0
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "GROUP\tCONSUMERS\tPENDING\tLAG\tREAD\tLAST-DELIVERED\tOLDEST-PENDING\tOLDEST-IDLE\t"
	if lost {
		header += "LOST\t"
	}
	fmt.Fprintln(tw, header+"POLICY")
	for _, r := range rows {
		oldest, idle := "-", "-"
		if p := r.OldestPending; p != nil {
			oldest, idle = p.ID, fmtAge(p.IdleMs)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t", r.Group, r.Consumers, r.Pending,
			optInt(r.Lag), optInt(r.EntriesRead), r.LastDeliveredID, oldest, idle)
		if lost {
			fmt.Fprintf(tw, "%d\t", r.LostEntries)
		}
		fmt.Fprintln(tw, r.Policy.text())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return out.Flush()
}

// fetchGroups reads XINFO GROUPS, with an error that names a missing
// channel.
func fetchGroups(c *respclient.Conn, channel string) ([]*groupRow, error) {
	rp, err := c.Do("XINFO", "GROUPS", channel)
	if err != nil {
		if isNoSuchKey(err) {
			return nil, fmt.Errorf("no channel %q on %s", channel, c.Addr())
		}
		return nil, fmt.Errorf("XINFO GROUPS %s: %w", channel, err)
	}
	if rp.Kind(0) != '*' {
		return nil, fmt.Errorf("%w: XINFO GROUPS replied %q", errProtocol, rp.Kind(0))
	}
	elems := rp.Children(0, nil)
	rows := make([]*groupRow, 0, len(elems))
	for _, i := range elems {
		r := &groupRow{Channel: channel}
		eachField(rp, i, func(name string, v int) {
			switch name {
			case "name":
				r.Group = rp.Text(v)
			case "consumers":
				r.Consumers = rp.Int(v)
			case "pending":
				r.Pending = rp.Int(v)
			case "last-delivered-id":
				r.LastDeliveredID = rp.Text(v)
			case "entries-read":
				r.EntriesRead = replyOptInt(rp, v)
			case "lag":
				r.Lag = replyOptInt(rp, v)
			case "lost-entries":
				r.LostEntries = rp.Int(v)
			}
		})
		rows = append(rows, r)
	}
	return rows, nil
}

// text is the POLICY column: "-" for none, "?" unknown.
func (p *groupPolicy) text() string {
	if p == nil {
		return "?"
	}
	var parts []string
	if p.AckWaitMs > 0 {
		parts = append(parts, "ackwait="+fmtMs(p.AckWaitMs))
	}
	if len(p.BackoffMs) > 0 {
		s := make([]string, len(p.BackoffMs))
		for i, ms := range p.BackoffMs {
			s[i] = fmtMs(ms)
		}
		parts = append(parts, "backoff="+strings.Join(s, ","))
	}
	if p.MaxDeliver > 0 {
		parts = append(parts, "maxdeliver="+strconv.FormatInt(p.MaxDeliver, 10))
	}
	if p.DeadLetter != nil {
		parts = append(parts, "deadletter="+*p.DeadLetter)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// parsePolicy reads XGROUP GETCONFIG's reply (a map, flat in RESP2); nil
// for an error reply.
func parsePolicy(rp *respclient.Reply) *groupPolicy {
	if rp.Kind(0) != '*' || rp.IsNull(0) {
		return nil
	}
	p := &groupPolicy{BackoffMs: []int64{}}
	eachField(rp, 0, func(name string, v int) {
		switch name {
		case "ackwait":
			p.AckWaitMs = rp.Int(v)
		case "maxdeliver":
			p.MaxDeliver = rp.Int(v)
		case "deadletter":
			if s := rp.Text(v); s != "" {
				p.DeadLetter = &s
			}
		case "backoff":
			for _, e := range rp.Children(v, nil) {
				p.BackoffMs = append(p.BackoffMs, rp.Int(e))
			}
		}
	})
	return p
}

// parsePendingEntries reads an extended XPENDING reply.
func parsePendingEntries(rp *respclient.Reply) []pendingEntry {
	var out []pendingEntry
	var fields []int
	for _, e := range rp.Children(0, nil) {
		if fields = rp.Children(e, fields[:0]); len(fields) != 4 {
			continue
		}
		out = append(out, pendingEntry{
			ID:         rp.Text(fields[0]),
			Consumer:   rp.Text(fields[1]),
			IdleMs:     rp.Int(fields[2]),
			Deliveries: rp.Int(fields[3]),
		})
	}
	return out
}

// eachField calls fn for each name/value pair of the map reply at i (a flat
// array in RESP2), with the value's index.
func eachField(rp *respclient.Reply, i int, fn func(name string, v int)) {
	if !rp.IsAggregate(i) {
		return
	}
	for name := i + 1; name < rp.End(i); {
		v := rp.End(name)
		if v >= rp.End(i) {
			return
		}
		fn(rp.Text(name), v)
		name = rp.End(v)
	}
}

// replyOptInt is an integer reply, or nil for a null.
func replyOptInt(rp *respclient.Reply, v int) *int64 {
	if rp.Kind(v) != ':' {
		return nil
	}
	n := rp.Int(v)
	return &n
}

func optInt(n *int64) string {
	if n == nil {
		return "?"
	}
	return strconv.FormatInt(*n, 10)
}

// isNoGroup reports a NOGROUP error reply (rp is nil after an I/O error).
func isNoGroup(rp *respclient.Reply) bool {
	return rp != nil && rp.Kind(0) == '-' && strings.HasPrefix(string(rp.Bytes(0)), "NOGROUP")
}

func isNoSuchKey(err error) bool {
	var re *respclient.ReplyError
	return errors.As(err, &re) && strings.Contains(re.Message, "no such key")
}

// fmtAge formats an idle time in milliseconds compactly: 850ms, 12.3s,
// 5m03s, 2h05m, 3d04h.
func fmtAge(ms int64) string {
	ms = max(ms, 0)
	s := ms / 1000
	switch {
	case ms < 1000:
		return strconv.FormatInt(ms, 10) + "ms"
	case ms < 60_000:
		return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// fmtMs formats a configured duration: 500ms, 5s, 1m30s, 1h.
func fmtMs(ms int64) string {
	s := (time.Duration(ms) * time.Millisecond).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

type pendingOptions struct {
	server   serverFlags
	consumer string
	idle     time.Duration
	count    int
	format   string
}

func pendingMain(args []string, stdout, stderr io.Writer) int {
	const cmd = "rewind pending"
	var o pendingOptions
	fs := newFlagSet(cmd, pendingSynopsis, pendingMore, stdout, stderr)
	o.server.register(fs)
	fs.StringVar(&o.consumer, "consumer", "", "only the entries (and summary) of consumer `NAME`")
	fs.DurationVar(&o.idle, "idle", 0, "only entries delivered at least `DURATION` ago (30s, 5m, 1h)")
	fs.IntVar(&o.count, "count", 100, "show at most `N` entries, oldest first (0: all)")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	switch {
	case fs.NArg() == 0:
		return usageError(stderr, cmd, "missing CHANNEL and GROUP")
	case fs.NArg() == 1:
		return usageError(stderr, cmd, "missing GROUP")
	case fs.NArg() > 2:
		return usageError(stderr, cmd, "one CHANNEL and one GROUP only, got %d arguments", fs.NArg())
	case o.format != "text" && o.format != "json":
		return usageError(stderr, cmd, "--format must be text or json, not %q", o.format)
	case o.count < 0:
		return usageError(stderr, cmd, "--count must be positive")
	case o.idle < 0:
		return usageError(stderr, cmd, "--idle must be positive")
	}
	ctx, stop := signalContext()
	defer stop()
	if err := o.run(ctx, fs.Arg(0), fs.Arg(1), stdout, stderr); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "%s: interrupted\n", cmd)
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK
}

func (o *pendingOptions) run(ctx context.Context, channel, group string, stdout, stderr io.Writer) error {
	c, err := dial(ctx, o.server.addr())
	if err != nil {
		return err
	}
	defer c.Close()
	defer c.CloseOnDone(ctx)()
	consumers, err := fetchConsumers(c, channel, group)
	if err != nil {
		return err
	}
	total := int64(0) // pending entries of the group, or of --consumer
	if o.consumer != "" {
		var names []string
		var found []consumerRow
		for _, cr := range consumers {
			names = append(names, cr.Consumer)
			if cr.Consumer == o.consumer {
				found = append(found, cr)
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("group %q of channel %q has no consumer %q (%s)", group, channel, o.consumer, listNames("consumers", names))
		}
		consumers = found
	}
	for _, cr := range consumers {
		total += cr.Pending
	}

	entries, err := o.fetchPending(c, channel, group)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	if o.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for i := range entries {
			entries[i].Type = "entry"
			if err := enc.Encode(&entries[i]); err != nil {
				return err
			}
		}
		for _, cr := range consumers {
			if err := enc.Encode(&cr); err != nil {
				return err
			}
		}
	} else {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		if len(entries) > 0 {
			fmt.Fprintln(tw, "ID\tCONSUMER\tIDLE\tDELIVERIES")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", e.ID, e.Consumer, fmtAge(e.IdleMs), e.Deliveries)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(consumers) > 0 {
				fmt.Fprintln(out)
			}
		}
		if len(consumers) > 0 {
			fmt.Fprintln(tw, "CONSUMER\tPENDING\tIDLE\tINACTIVE")
			for _, cr := range consumers {
				inactive := "-"
				switch {
				case cr.InactiveMs != nil:
					inactive = fmtAge(*cr.InactiveMs)
				case cr.never:
					inactive = "never"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", cr.Consumer, cr.Pending, fmtAge(cr.IdleMs), inactive)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	switch {
	case len(entries) == 0 && o.idle > 0:
		fmt.Fprintf(stderr, "no entries pending for %s or more (%d pending in all)\n", o.idle, total)
	case len(entries) == 0:
		fmt.Fprintln(stderr, "no pending entries")
	case o.count > 0 && len(entries) == o.count && o.idle == 0 && total > int64(len(entries)):
		fmt.Fprintf(stderr, "showing the oldest %d of %d pending entries (--count 0 shows all)\n", len(entries), total)
	case o.count > 0 && len(entries) == o.count && o.idle > 0:
		fmt.Fprintf(stderr, "showing the oldest %d entries idle for %s or more; there may be more (--count 0 shows all)\n", len(entries), o.idle)
	}
	return nil
}

// fetchConsumers reads XINFO CONSUMERS, with errors that name a missing
// channel or group (and the groups there are).
func fetchConsumers(c *respclient.Conn, channel, group string) ([]consumerRow, error) {
	rp, err := c.Do("XINFO", "CONSUMERS", channel, group)
	if err != nil {
		if isNoSuchKey(err) {
			return nil, fmt.Errorf("no channel %q on %s", channel, c.Addr())
		}
		if isNoGroup(rp) {
			rows, gerr := fetchGroups(c, channel)
			if gerr != nil {
				return nil, gerr
			}
			names := make([]string, len(rows))
			for i, r := range rows {
				names[i] = r.Group
			}
			return nil, fmt.Errorf("channel %q has no group %q (%s)", channel, group, listNames("groups", names))
		}
		return nil, fmt.Errorf("XINFO CONSUMERS %s %s: %w", channel, group, err)
	}
	var out []consumerRow
	for _, i := range rp.Children(0, nil) {
		cr := consumerRow{Type: "consumer"}
		eachField(rp, i, func(name string, v int) {
			switch name {
			case "name":
				cr.Consumer = rp.Text(v)
			case "pending":
				cr.Pending = rp.Int(v)
			case "idle":
				cr.IdleMs = rp.Int(v)
			case "inactive":
				if rp.Kind(v) == ':' && rp.Int(v) >= 0 {
					n := rp.Int(v)
					cr.InactiveMs = &n
				}
				cr.never = rp.Kind(v) == ':' && rp.Int(v) < 0
			}
		})
		out = append(out, cr)
	}
	return out, nil
}

// listNames is "its groups: a, b" or "it has no groups".
func listNames(what string, names []string) string {
	if len(names) == 0 {
		return "it has no " + what
	}
	return "its " + what + ": " + strings.Join(names, ", ")
}

// fetchPending pages through XPENDING, oldest first, up to --count entries.
func (o *pendingOptions) fetchPending(c *respclient.Conn, channel, group string) ([]pendingEntry, error) {
	var entries []pendingEntry
	start := "-"
	for {
		n := pendingPageEntries
		if o.count > 0 {
			n = min(n, o.count-len(entries))
		}
		args := []string{"XPENDING", channel, group}
		if o.idle > 0 {
			args = append(args, "IDLE", strconv.FormatInt(o.idle.Milliseconds(), 10))
		}
		args = append(args, start, "+", strconv.Itoa(n))
		if o.consumer != "" {
			args = append(args, o.consumer)
		}
		rp, err := c.Do(args...)
		if err != nil {
			return nil, fmt.Errorf("XPENDING: %w", err)
		}
		page := parsePendingEntries(rp)
		entries = append(entries, page...)
		if len(page) < n || (o.count > 0 && len(entries) >= o.count) {
			return entries, nil
		}
		start = "(" + page[len(page)-1].ID
	}
}
