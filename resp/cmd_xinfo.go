package resp

import (
	"errors"
	"strings"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// XINFO: a channel described as Redis describes a stream. rewind keeps no
// radix tree; radix-tree-keys and radix-tree-nodes are what a Redis stream
// of the same length would show with stream-node-max-entries 100 (one key
// per 100 entries, one node more than keys). Consumer groups are shown as
// Redis 7.2 shows them (XINFO CONSUMERS has inactive, XINFO STREAM FULL's
// consumers have active-time), with rewind's lost-entries when non-zero.

func init() {
	register(
		&command{name: "xinfo", arity: -2, group: "stream", since: "5.0.0",
			summary: "A container for stream introspection commands.", subs: map[string]*command{
				"stream": {name: "stream", arity: -3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "stream", since: "5.0.0", summary: "Returns information about a stream.", run: cmdXInfoStream},
				"groups": {name: "groups", arity: 3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "stream", since: "5.0.0", summary: "Returns a list of the consumer groups of a stream.", run: cmdXInfoGroups},
				"consumers": {name: "consumers", arity: 4, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "stream", since: "5.0.0", summary: "Returns a list of the consumers in a consumer group.", run: cmdXInfoConsumers},
				"help": {name: "help", arity: 2, flags: flagLoading | flagStale, group: "stream", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdXInfoHelp},
			}},
	)
}

// noSuchKeyError is Redis's reply when a command needs an existing key.
const noSuchKeyError = "ERR no such key"

// xinfoSyntaxError is Redis's addReplySubcommandSyntaxError for XINFO.
func (c *conn) xinfoSyntaxError(args [][]byte) {
	c.w.Error("ERR unknown subcommand or wrong number of arguments for '" + clip(args[1]) +
		"'. Try " + strings.ToUpper(string(args[0])) + " HELP.")
}

// cmdXInfoStream serves XINFO STREAM key [FULL [COUNT n]].
func cmdXInfoStream(c *conn, args [][]byte) {
	key := args[2]
	m, ok := c.s.b.Meta(key)
	if !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	opts := args[3:]
	full, count := len(opts) > 0, int64(10)
	if full {
		if (len(opts) != 1 && len(opts) != 3) || !eq(opts[0], "full") || (len(opts) == 3 && !eq(opts[1], "count")) {
			c.xinfoSyntaxError(args)
			return
		}
		if len(opts) == 3 {
			n, ok := parseInt64(opts[2])
			if !ok {
				c.writeError(errNotInteger)
				return
			}
			if n >= 0 {
				count = n
			}
		}
	}
	start := len(c.w.buf)
	if full {
		c.w.Map(9)
	} else {
		c.w.Map(10)
	}
	radixKeys := (m.Length + 99) / 100
	c.w.BulkString("length")
	c.w.Uint(m.Length)
	c.w.BulkString("radix-tree-keys")
	c.w.Uint(radixKeys)
	c.w.BulkString("radix-tree-nodes")
	c.w.Uint(radixKeys + 1)
	c.w.BulkString("last-generated-id")
	c.w.ID(m.LastID.Ms, m.LastID.Seq)
	c.w.BulkString("max-deleted-entry-id")
	c.w.ID(m.MaxDeletedID.Ms, m.MaxDeletedID.Seq)
	c.w.BulkString("entries-added")
	c.w.Uint(m.EntriesAdded)
	c.w.BulkString("recorded-first-entry-id")
	c.w.ID(m.FirstID.Ms, m.FirstID.Seq)
	var err error
	if full {
		c.w.BulkString("entries")
		pos := len(c.w.buf)
		var n int
		n, err = c.s.b.Range(key, broker.RangeQuery{End: broker.MaxID, Count: int(min(count, 1<<31-1))}, c.writeEntry)
		c.w.insertArrayHeader(pos, n)
		if err == nil {
			c.w.BulkString("groups")
			err = c.writeFullGroups(key, &m, count)
		}
	} else {
		c.w.BulkString("groups")
		groups, _ := c.s.b.Groups(key)
		c.w.Int(int64(len(groups)))
		c.w.BulkString("first-entry")
		err = c.writeEdgeEntry(key, false)
		if err == nil {
			c.w.BulkString("last-entry")
			err = c.writeEdgeEntry(key, true)
		}
	}
	if err != nil {
		c.w.buf = c.w.buf[:start]
		c.writeError(err)
	}
}

// pendingRow is one pending entry of XINFO STREAM FULL.
type pendingRow struct {
	rec      broker.PendingRecord
	consumer string
}

// fullPending is what XINFO STREAM FULL shows of a group's pending
// entries list: its first count entries (0: all), and each consumer's.
type fullPending struct {
	group      []pendingRow
	byConsumer map[string][]pendingRow
}

// errPendingEnough stops the scan of a pending entries list.
var errPendingEnough = errors.New("enough pending entries")

// scanFullPending reads a group's pending entries list once, in ID order,
// until the group and every consumer have count entries (or all theirs).
// A consumer whose entries come late makes it read the whole list.
func (c *conn) scanFullPending(key []byte, g *broker.GroupInfo, count int64) (fullPending, error) {
	fp := fullPending{byConsumer: make(map[string][]pendingRow, len(g.Consumers))}
	want := func(have int, of int64) bool { return count == 0 || int64(have) < min(count, of) }
	short := 0 // consumers still wanting entries
	for _, cons := range g.Consumers {
		if want(0, cons.Pending) {
			short++
		}
	}
	pending := make(map[string]int64, len(g.Consumers))
	for _, cons := range g.Consumers {
		pending[cons.Name] = cons.Pending
	}
	q := broker.PendingQuery{End: broker.MaxID}
	err := c.s.b.Pending(key, g, q, func(r broker.PendingRecord, consumer string) error {
		row := pendingRow{r, consumer}
		if want(len(fp.group), g.Pending) {
			fp.group = append(fp.group, row)
		}
		if rows := fp.byConsumer[consumer]; want(len(rows), pending[consumer]) {
			fp.byConsumer[consumer] = append(rows, row)
			if !want(len(rows)+1, pending[consumer]) {
				short--
			}
		}
		if count > 0 && short <= 0 && !want(len(fp.group), g.Pending) {
			return errPendingEnough
		}
		return nil
	})
	if errors.Is(err, errPendingEnough) {
		err = nil
	}
	return fp, err
}

// writeFullGroups writes XINFO STREAM FULL's groups as Redis 7.2 does:
// each with its pending entries ([id, consumer, delivery-time,
// delivery-count], at most count; 0: all) and its consumers, each with its
// own pending entries ([id, delivery-time, delivery-count], at most count).
func (c *conn) writeFullGroups(key []byte, m *broker.Meta, count int64) error {
	groups, _ := c.s.b.Groups(key)
	c.w.Array(len(groups))
	for _, g := range groups {
		fp, err := c.scanFullPending(key, g, count)
		if err != nil {
			return err
		}
		c.writeFullGroupHead(m, g)
		c.w.BulkString("pending")
		c.w.Array(len(fp.group))
		for _, row := range fp.group {
			c.w.Array(4)
			c.w.ID(row.rec.ID.Ms, row.rec.ID.Seq)
			c.w.BulkString(row.consumer)
			c.w.Int(row.rec.DeliveredMs)
			c.w.Int(row.rec.Count)
		}
		c.w.BulkString("consumers")
		c.w.Array(len(g.Consumers))
		for _, cons := range g.Consumers {
			c.writeFullConsumer(cons, fp.byConsumer[cons.Name])
		}
		if g.Lost > 0 { // rewind's, last, as in XINFO GROUPS
			c.w.BulkString("lost-entries")
			c.w.Int(g.Lost)
		}
	}
	return nil
}

// writeFullGroupHead writes a FULL group's map header (lost-entries
// counted) and its fields up to pel-count.
func (c *conn) writeFullGroupHead(m *broker.Meta, g *broker.GroupInfo) {
	if g.Lost > 0 {
		c.w.Map(8)
	} else {
		c.w.Map(7)
	}
	c.w.BulkString("name")
	c.w.BulkString(g.Name)
	c.writeGroupProgress(m, g)
	c.w.BulkString("pel-count")
	c.w.Int(g.Pending)
}

// writeFullConsumer writes one consumer of XINFO STREAM FULL; active-time
// is -1 for a consumer that never read an entry, as in Redis 7.2.
func (c *conn) writeFullConsumer(cons broker.ConsumerInfo, rows []pendingRow) {
	c.w.Map(5)
	c.w.BulkString("name")
	c.w.BulkString(cons.Name)
	c.w.BulkString("seen-time")
	c.w.Int(cons.SeenMs)
	c.w.BulkString("active-time")
	if cons.ActiveMs == 0 {
		c.w.Int(-1)
	} else {
		c.w.Int(cons.ActiveMs)
	}
	c.w.BulkString("pel-count")
	c.w.Int(cons.Pending)
	c.w.BulkString("pending")
	c.w.Array(len(rows))
	for _, row := range rows {
		c.w.Array(3)
		c.w.ID(row.rec.ID.Ms, row.rec.ID.Seq)
		c.w.Int(row.rec.DeliveredMs)
		c.w.Int(row.rec.Count)
	}
}

// writeEdgeEntry writes the first (or last) entry as [id, [fields]], or a
// null when the stream is empty.
func (c *conn) writeEdgeEntry(key []byte, last bool) error {
	n, err := c.s.b.Range(key, broker.RangeQuery{End: broker.MaxID, Count: 1, Reverse: last}, c.writeEntry)
	if err == nil && n == 0 {
		c.w.Null()
	}
	return err
}

// cmdXInfoGroups serves XINFO GROUPS key.
func cmdXInfoGroups(c *conn, args [][]byte) {
	m, ok := c.s.b.Meta(args[2])
	if !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	groups, _ := c.s.b.Groups(args[2])
	c.w.Array(len(groups))
	for _, g := range groups {
		// rewind adds lost-entries (entries trimmed before the group read
		// them) only when there are some, so Redis's shape is unchanged
		// otherwise.
		if g.Lost > 0 {
			c.w.Map(7)
		} else {
			c.w.Map(6)
		}
		c.w.BulkString("name")
		c.w.BulkString(g.Name)
		c.w.BulkString("consumers")
		c.w.Int(int64(len(g.Consumers)))
		c.w.BulkString("pending")
		c.w.Int(g.Pending)
		c.writeGroupProgress(&m, g)
		if g.Lost > 0 {
			c.w.BulkString("lost-entries")
			c.w.Int(g.Lost)
		}
	}
}

// writeGroupProgress writes a group's last-delivered-id, entries-read and
// lag fields (XINFO GROUPS, XINFO STREAM FULL).
func (c *conn) writeGroupProgress(m *broker.Meta, g *broker.GroupInfo) {
	c.w.BulkString("last-delivered-id")
	c.w.ID(g.LastID.Ms, g.LastID.Seq)
	c.w.BulkString("entries-read")
	if g.EntriesRead == broker.EntriesReadUnknown {
		c.w.Null()
	} else {
		c.w.Int(g.EntriesRead)
	}
	c.w.BulkString("lag")
	if lag, ok := groupLag(m, g); ok {
		c.w.Int(lag)
	} else {
		c.w.Null()
	}
}

// groupLag is how many entries the group has yet to read, as Redis 7
// reports it: exact while the entries-read counter is valid and no entry
// after the group's cursor was deleted, otherwise estimated at the ends of
// the stream, or unknown.
func groupLag(m *broker.Meta, g *broker.GroupInfo) (int64, bool) {
	added := int64(m.EntriesAdded)
	if added == 0 {
		return 0, true
	}
	if g.EntriesRead != broker.EntriesReadUnknown && !m.HasTombstonesFrom(g.LastID) {
		return max(added-g.EntriesRead, 0), true
	}
	if read := m.EstimateEntriesRead(g.LastID); read != broker.EntriesReadUnknown {
		return max(added-read, 0), true
	}
	return 0, false
}

// cmdXInfoConsumers serves XINFO CONSUMERS key group.
func cmdXInfoConsumers(c *conn, args [][]byte) {
	if _, ok := c.s.b.Meta(args[2]); !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	g, ok := c.s.b.Group(args[2], args[3])
	if !ok {
		c.w.Error(broker.NoSuchGroupReply(args[2], args[3]))
		return
	}
	now := time.Now().UnixMilli()
	c.w.Array(len(g.Consumers))
	for _, cons := range g.Consumers {
		c.w.Map(4)
		c.w.BulkString("name")
		c.w.BulkString(cons.Name)
		c.w.BulkString("pending")
		c.w.Int(cons.Pending)
		c.w.BulkString("idle")
		c.w.Int(max(now-cons.SeenMs, 0))
		c.w.BulkString("inactive")
		if cons.ActiveMs == 0 {
			c.w.Int(-1)
		} else {
			c.w.Int(max(now-cons.ActiveMs, 0))
		}
	}
}

func cmdXInfoHelp(c *conn, args [][]byte) {
	c.helpReply(strings.ToUpper(string(args[0])),
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.")
}
