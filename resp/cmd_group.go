package resp

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

func init() {
	const w = flagWrite | flagDenyOOM
	register(
		&command{name: "xgroup", arity: -2, group: "stream", since: "5.0.0", summary: "A container for consumer groups commands.",
			subs: map[string]*command{
				"create": {name: "create", arity: -5, flags: w, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "5.0.0",
					summary: "Creates a consumer group.", run: cmdXGroupCreate},
				"setid": {name: "setid", arity: -5, flags: flagWrite, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "5.0.0",
					summary: "Sets the last-delivered ID of a consumer group.", run: cmdXGroupSetID},
				"destroy": {name: "destroy", arity: 4, flags: flagWrite, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "5.0.0",
					summary: "Destroys a consumer group.", run: cmdXGroupDestroy},
				"createconsumer": {name: "createconsumer", arity: 5, flags: w, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "6.2.0",
					summary: "Creates a consumer in a consumer group.", run: cmdXGroupCreateConsumer},
				"delconsumer": {name: "delconsumer", arity: 5, flags: flagWrite, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "5.0.0",
					summary: "Deletes a consumer from a consumer group.", run: cmdXGroupDelConsumer},
				"help": {name: "help", arity: 2, flags: flagLoading | flagStale, group: "stream", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdXGroupHelp},
			}},
		&command{name: "xreadgroup", arity: -7, flags: flagWrite | flagBlocking, firstKey: 0, lastKey: 0, keyStep: 0, group: "stream", since: "5.0.0",
			summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", run: cmdXReadGroup},
		&command{name: "xack", arity: -4, flags: flagWrite | flagFast, firstKey: 1, lastKey: 1, keyStep: 1, group: "stream", since: "5.0.0",
			summary: "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", run: cmdXAck},
		&command{name: "xpending", arity: -3, flags: flagReadonly, firstKey: 1, lastKey: 1, keyStep: 1, group: "stream", since: "5.0.0",
			summary: "Returns the information and entries from a stream consumer group's pending entries list.", run: cmdXPending},
	)
}

// groupResult is what a group command left once it was durable.
type groupResult struct {
	err         error
	n           int64
	first, last broker.ID
	ids         []broker.ID
	// XREADGROUP ... CLAIM (cmd_claim.go): the entries the claim phase
	// took, and when a blocked read should look again.
	claimed []broker.ClaimedEntry
	wakeMs  int64
	// entries: the new entries an XREADGROUP > delivered, as the writer
	// read them (Command.WantEntries), in buf's memory (entriesPool).
	entries broker.Delivered
	buf     *entriesBuf
}

// entriesBuf is a buffer for the entries one XREADGROUP > delivers, shared
// by all connections through entriesPool: steady consumers make no garbage,
// and an idle one holds no buffer.
type entriesBuf struct{ b broker.Delivered }

var entriesPool = sync.Pool{New: func() any { return new(entriesBuf) }}

// maxPooledEntriesBytes is the largest buffer given back to entriesPool
// (COUNT 1000 of 100-byte messages takes 130 KiB).
const maxPooledEntriesBytes = 1 << 20

// releaseEntries gives the results' entry buffers back to the pool; the
// replies that used them are written.
func releaseEntries(res []groupResult) {
	for i := range res {
		r := &res[i]
		if r.buf != nil && cap(r.entries) <= maxPooledEntriesBytes {
			r.buf.b = r.entries[:0]
			entriesPool.Put(r.buf)
		}
		r.buf, r.entries = nil, nil
	}
}

// doGroup submits n commands, the i-th added by add(i) (which returns its
// index), waits until they are durable, and returns their results. bufs,
// when not nil, are the pooled buffers the commands' entries were asked
// into (bufs[i] for the i-th, or nil), returned to the pool with the
// results. Writes queued before them that append nothing (XACKs of a
// pipelined consume loop) share their batch and fsync.
func (c *conn) doGroup(n int, bufs []*entriesBuf, add func(i int) int) []groupResult {
	if c.pendingAppends() {
		c.drain() // a group read must see the entries appended before it
	}
	from := c.req.Len()
	for i := range n {
		c.req.Notify(add(i)) // XGROUP, XREADGROUP: keyspace notifications
	}
	c.queued(replyNone, from)
	res := c.groupResults[:0]
	c.pending[len(c.pending)-1].custom = func(from, to int, err error) {
		for i := from; i < to; i++ {
			p := c.req.Result(i)
			r := groupResult{err: p.Err, n: p.N, first: p.ID, last: p.LastID}
			if err != nil {
				r.err = err
			}
			if len(p.IDs) > 0 {
				r.ids = append([]broker.ID(nil), p.IDs...)
			}
			r.claimed, r.wakeMs, r.entries = p.Claimed, p.WakeMs, p.Entries
			if bufs != nil {
				r.buf = bufs[i-from]
			}
			res = append(res, r)
		}
	}
	c.drain()
	c.groupResults = res
	return res
}

// xgroupErr answers an XGROUP error with Redis's wording.
func (c *conn) xgroupErr(err error, key, group []byte) {
	if errors.Is(err, broker.ErrNoGroup) {
		c.w.Error(broker.NoSuchGroupReply(key, group))
		return
	}
	c.writeError(err) // the catalog: BUSYGROUP, the key that must exist, ...
}

// parseGroupCursor parses "id|$ [MKSTREAM] [ENTRIESREAD n]" from args[i:].
// The options are checked before the ID, as Redis checks them.
func parseGroupCursor(start *broker.GroupStart, args [][]byte, i int, create bool) error {
	idArg := args[i]
	for i++; i < len(args); i++ {
		switch {
		case create && eq(args[i], "mkstream"):
			start.MkStream = true
		case i+1 < len(args) && isConfigOption(args[i]):
			if start.Config == nil {
				start.Config = &broker.GroupConfig{}
			}
			if err := parseConfigOption(start.Config, args[i], args[i+1]); err != nil {
				return err
			}
			i++
		case eq(args[i], "entriesread") && i+1 < len(args):
			n, ok := parseInt64(args[i+1])
			if !ok {
				return errNotInteger
			}
			if n < 0 && n != broker.EntriesReadUnknown {
				return errEntriesRead
			}
			start.EntriesRead, start.HasEntriesRead = n, true
			i++
		default: // Redis: addReplySubcommandSyntaxError
			return errors.New("unknown subcommand or wrong number of arguments for '" + clip(args[1]) + "'. Try XGROUP HELP.")
		}
	}
	if len(idArg) == 1 && idArg[0] == '$' {
		start.AtLastID = true
		return nil
	}
	id, err := ParseID(idArg, 0)
	start.ID = id
	return err
}

func cmdXGroupCreate(c *conn, args [][]byte) { c.xgroupCursor(args, true) }
func cmdXGroupSetID(c *conn, args [][]byte)  { c.xgroupCursor(args, false) }

func cmdXGroupDestroy(c *conn, args [][]byte) {
	c.xgroupCount(args, func() int { return c.req.DestroyGroup(args[2], args[3]) })
}

func cmdXGroupCreateConsumer(c *conn, args [][]byte) {
	c.xgroupCount(args, func() int { return c.req.CreateConsumer(args[2], args[3], args[4]) })
}

func cmdXGroupDelConsumer(c *conn, args [][]byte) {
	c.xgroupCount(args, func() int { return c.req.DeleteConsumer(args[2], args[3], args[4]) })
}

// xgroupCursor serves XGROUP CREATE (create) and XGROUP SETID.
func (c *conn) xgroupCursor(args [][]byte, create bool) {
	var start broker.GroupStart
	err := parseGroupCursor(&start, args, 4, create)
	if err == nil && start.MkStream {
		err = c.checkChannelName(args[2])
	}
	if err != nil {
		c.drain()
		c.writeError(err)
		return
	}
	res := c.doGroup(1, nil, func(int) int {
		if create {
			return c.req.CreateGroup(args[2], args[3], start)
		}
		return c.req.SetGroupID(args[2], args[3], start)
	})
	if res[0].err != nil {
		c.xgroupErr(res[0].err, args[2], args[3])
		return
	}
	c.w.OK()
}

// xgroupCount runs the one command add adds (XGROUP DESTROY,
// CREATECONSUMER, DELCONSUMER) and answers with its count.
func (c *conn) xgroupCount(args [][]byte, add func() int) {
	res := c.doGroup(1, nil, func(int) int { return add() })
	if res[0].err != nil {
		c.xgroupErr(res[0].err, args[2], args[3])
		return
	}
	c.w.Int(res[0].n)
}

func cmdXGroupHelp(c *conn, _ [][]byte) {
	c.helpReply("XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.")
}

func cmdXAck(c *conn, args [][]byte) {
	ids := make([]broker.ID, 0, len(args)-3)
	for _, a := range args[3:] {
		id, err := ParseID(a, 0)
		if err != nil {
			c.drain()
			if _, ok := c.s.b.Group(args[1], args[2]); !ok {
				c.w.Int(0) // Redis: no key or group, nothing to ack, before parsing IDs
				return
			}
			c.writeError(err)
			return
		}
		ids = append(ids, id)
	}
	c.queued(replyCount, c.req.Ack(args[1], args[2], ids))
}

// xreadGroupArgs is a parsed XREADGROUP.
type xreadGroupArgs struct {
	group, consumer []byte
	count           int
	block           time.Duration
	noAck           bool
	claim           bool  // CLAIM min-idle-time given
	claimMinIdleMs  int64 // its value
	keys, ids       [][]byte
}

func parseXReadGroup(args [][]byte) (xreadGroupArgs, error) {
	a := xreadGroupArgs{count: -1, block: -1}
	if !eq(args[1], "group") {
		return a, errMissingGroup
	}
	a.group, a.consumer = args[2], args[3]
	for i := 4; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case eq(args[i], "count") && more >= 1:
			n, ok := parseInt64(args[i+1])
			if !ok {
				return a, errNotInteger
			}
			a.count = int(max(n, 0))
			i++
		case eq(args[i], "block") && more >= 1:
			n, ok := parseInt64(args[i+1])
			if !ok {
				return a, errTimeoutNotInteger
			}
			if n < 0 {
				return a, errTimeoutNegative
			}
			a.block = time.Duration(n) * time.Millisecond
			i++
		case eq(args[i], "noack"):
			a.noAck = true
		case eq(args[i], "claim") && more >= 1:
			n, err := parseClaimMinIdle(args[i+1])
			if err != nil {
				return a, err
			}
			a.claim, a.claimMinIdleMs = true, n
			i++
		case eq(args[i], "streams") && more >= 1:
			rest := args[i+1:]
			if len(rest)%2 != 0 {
				return a, errXReadGroupUnbalanced
			}
			a.keys, a.ids = rest[:len(rest)/2], rest[len(rest)/2:]
			return a, nil
		default:
			return a, errSyntax
		}
	}
	return a, errSyntax
}

func cmdXReadGroup(c *conn, args [][]byte) {
	a, err := parseXReadGroup(args)
	if err != nil {
		c.drain()
		c.writeError(err)
		return
	}
	history := make([]broker.ID, len(a.ids))
	for i, id := range a.ids {
		if len(id) == 1 && id[0] == '>' {
			continue
		}
		if history[i], err = ParseID(id, 0); err != nil {
			c.drain()
			c.xreadGroupIDError(a, i, err)
			return
		}
	}
	if c.inExec {
		a.block = -1
	}
	c.xreadGroupLoop(a, history)
}

// xreadGroupIDError answers a bad ID of stream i as Redis does: it checks
// each stream's group, then its ID, in order, so a missing group of a stream
// up to i is reported first; "$" has its own error.
func (c *conn) xreadGroupIDError(a xreadGroupArgs, i int, err error) {
	for j := 0; j <= i; j++ {
		if _, ok := c.s.b.Group(a.keys[j], a.group); !ok {
			c.w.Error(broker.NoGroupReadReply(a.keys[j], a.group))
			return
		}
	}
	if id := a.ids[i]; len(id) == 1 && id[0] == '$' {
		c.w.Error(replyXReadGroupDollar)
		return
	}
	c.writeError(err)
}

// xreadGroupLoop delivers, waiting up to a.block for new entries when none
// of the ">" streams had any.
func (c *conn) xreadGroupLoop(a xreadGroupArgs, history []broker.ID) {
	var deadline <-chan time.Time
	if a.block > 0 {
		t := time.NewTimer(a.block)
		defer t.Stop()
		deadline = t.C
	}
	var blockedOn []blockedGroup // what the last wait was for
	for {
		if blockedOn != nil && c.unblockedByDeletion(a, blockedOn) {
			return
		}
		var watches []<-chan struct{}
		blockedOn = blockedOn[:0]
		if a.block >= 0 {
			for i, key := range a.keys {
				if string(a.ids[i]) == ">" {
					m, _, ch := c.s.b.Watch(key)
					watches = append(watches, ch)
					g, _ := c.s.b.Group(key, a.group)
					blockedOn = append(blockedOn, blockedGroup{key: key, incarnation: m.Incarnation, group: g})
				}
			}
		}
		res := c.readGroup(a, history)
		for i, r := range res {
			if r.err != nil {
				if errors.Is(r.err, broker.ErrNoGroup) {
					c.w.Error(broker.NoGroupReadReply(a.keys[i], a.group))
				} else {
					c.writeError(r.err)
				}
				return
			}
		}
		if c.writeGroupReply(a, res) {
			return
		}
		stopWake := func() {}
		if a.claim && a.block >= 0 {
			var wake <-chan struct{}
			wake, stopWake = c.claimWake(res, a.claimMinIdleMs)
			watches = append(watches, wake)
		}
		woken := len(watches) > 0 && c.waitWatched(watches, deadline)
		stopWake()
		if !woken {
			c.w.NullArray()
			return
		}
	}
}

// readGroup runs one XREADGROUP round: per stream, a read of new entries
// (">", into a pooled buffer), a claim read (">" with CLAIM) or a read of
// the consumer's history (an ID).
func (c *conn) readGroup(a xreadGroupArgs, history []broker.ID) []groupResult {
	var bufs []*entriesBuf
	if !a.claim && slices.ContainsFunc(a.ids, isNewEntriesID) {
		bufs = make([]*entriesBuf, len(a.keys))
	}
	return c.doGroup(len(a.keys), bufs, func(i int) int {
		key, o := a.keys[i], broker.ReadGroupOptions{Count: a.count, NoAck: a.noAck}
		switch {
		case string(a.ids[i]) != ">":
			return c.req.ReadHistory(key, a.group, a.consumer, history[i], a.count)
		case a.claim:
			return c.req.ClaimIdle(key, a.group, a.consumer, a.claimMinIdleMs, o)
		}
		bufs[i] = entriesPool.Get().(*entriesBuf)
		o.WantEntries, o.Entries = true, bufs[i].b[:0]
		return c.req.ReadGroup(key, a.group, a.consumer, o)
	})
}

// isNewEntriesID reports whether an XREADGROUP ID is ">", new entries.
func isNewEntriesID(id []byte) bool { return string(id) == ">" }

// blockedGroup is a stream an XREADGROUP waits on: its incarnation and its
// group (nil if missing) as of the wait.
type blockedGroup struct {
	key         []byte
	incarnation uint64
	group       *broker.GroupInfo
}

// unblockedByDeletion answers a woken XREADGROUP as Redis 7 does when a
// stream it waited on was deleted (DEL, FLUSHALL; here also deleted and
// created again before the reader woke) or its group destroyed, and reports
// whether it did.
func (c *conn) unblockedByDeletion(a xreadGroupArgs, on []blockedGroup) bool {
	for _, b := range on {
		if m, ok := c.s.b.Meta(b.key); !ok || m.Incarnation != b.incarnation {
			c.writeError(broker.ErrUnblockedNoKey)
			return true
		}
		if g, ok := c.s.b.Group(b.key, a.group); b.group != nil && (!ok || !g.Same(b.group)) {
			c.writeError(broker.ErrUnblockedNoGroup)
			return true
		}
	}
	return false
}

// writeGroupReply writes the XREADGROUP reply and reports true, or writes
// nothing and reports false when no ">" stream got an entry and there is no
// history stream.
func (c *conn) writeGroupReply(a xreadGroupArgs, res []groupResult) bool {
	defer releaseEntries(res)
	n := 0
	for i, r := range res {
		if string(a.ids[i]) != ">" || !claimReadEmpty(r) {
			n++
		}
	}
	if n == 0 {
		return false
	}
	if c.w.proto >= 3 {
		c.w.Map(n)
	} else {
		c.w.Array(n)
	}
	for i, r := range res {
		if string(a.ids[i]) == ">" && claimReadEmpty(r) {
			continue
		}
		if c.w.proto < 3 {
			c.w.Array(2)
		}
		c.w.Bulk(a.keys[i])
		if string(a.ids[i]) == ">" && a.claim {
			c.writeClaimDelivered(a.keys[i], a.group, r)
		} else if string(a.ids[i]) == ">" {
			c.writeDelivered(a.keys[i], r)
		} else {
			c.writeHistory(a.keys[i], r.ids)
		}
	}
	return true
}

// writeDelivered writes what an XREADGROUP > got: entries redelivered by
// the broker (past their ack wait) first, then new ones.
func (c *conn) writeDelivered(key []byte, r groupResult) {
	pos := len(c.w.buf)
	for _, id := range r.ids {
		c.writeEntryByID(key, id)
	}
	n := 0
	if r.n > 0 {
		var err error
		if r.entries != nil {
			var fields [8][]byte
			n, err = broker.EachDelivered(r.entries, fields[:0], c.writeEntry)
		} else {
			n, err = c.s.b.Range(key, broker.RangeQuery{Start: r.first, End: r.last, Count: int(r.n)}, c.writeEntry)
		}
		if err != nil {
			c.s.log.Warn("resp: reading delivered entries", "err", err)
		}
	}
	c.w.insertArrayHeader(pos, len(r.ids)+n)
}

// writeEntryByID writes one entry, or [id, nil] if it was deleted.
func (c *conn) writeEntryByID(key []byte, id broker.ID) {
	n, err := c.s.b.Range(key, broker.RangeQuery{Start: id, End: id, Count: 1}, c.writeEntry)
	if err != nil || n == 0 {
		c.w.Array(2)
		c.w.ID(id.Ms, id.Seq)
		c.w.NullArray()
	}
}

// writeHistory writes pending entries by ID; a deleted one is [id, nil].
func (c *conn) writeHistory(key []byte, ids []broker.ID) {
	c.w.Array(len(ids))
	for _, id := range ids {
		c.writeEntryByID(key, id)
	}
}

func cmdXPending(c *conn, args [][]byte) {
	g, ok := c.s.b.Group(args[1], args[2])
	if !ok {
		c.w.Error(broker.NoGroupReply(args[1], args[2]))
		return
	}
	if len(args) == 3 {
		c.xpendingSummary(g)
		return
	}
	q, err := parseXPending(args[3:])
	if err != nil {
		c.writeError(err)
		return
	}
	if q.Count == 0 {
		c.w.Array(0)
		return
	}
	q.NowMs = time.Now().UnixMilli()
	pos := len(c.w.buf)
	n := 0
	err = c.s.b.Pending(args[1], g, q, func(r broker.PendingRecord, consumer string) error {
		c.w.Array(4)
		c.w.ID(r.ID.Ms, r.ID.Seq)
		c.w.BulkString(consumer)
		c.w.Int(max(q.NowMs-r.DeliveredMs, 0))
		c.w.Int(r.Count)
		n++
		return nil
	})
	if err != nil {
		c.w.buf = c.w.buf[:pos]
		c.writeError(err)
		return
	}
	c.w.insertArrayHeader(pos, n)
}

func (c *conn) xpendingSummary(g *broker.GroupInfo) {
	c.w.Array(4)
	c.w.Int(g.Pending)
	if g.Pending == 0 {
		c.w.Null()
		c.w.Null()
		c.w.NullArray()
		return
	}
	c.w.ID(g.FirstPending.Ms, g.FirstPending.Seq)
	c.w.ID(g.LastPending.Ms, g.LastPending.Seq)
	pos := len(c.w.buf)
	n := 0
	for _, cons := range g.Consumers {
		if cons.Pending == 0 {
			continue
		}
		c.w.Array(2)
		c.w.BulkString(cons.Name)
		c.w.BulkString(strconv.FormatInt(cons.Pending, 10))
		n++
	}
	c.w.insertArrayHeader(pos, n)
}

// parseXPending parses "[IDLE ms] start end count [consumer]".
func parseXPending(args [][]byte) (broker.PendingQuery, error) {
	var q broker.PendingQuery
	if eq(args[0], "idle") {
		if len(args) < 2 {
			return q, errSyntax
		}
		n, ok := parseInt64(args[1])
		if !ok {
			return q, errNotInteger
		}
		q.MinIdleMs = max(n, 0)
		args = args[2:]
	}
	if len(args) < 3 || len(args) > 4 {
		return q, errSyntax
	}
	var err error
	if q.Start, err = ParseRangeID(args[0], false); err != nil {
		return q, err
	}
	if q.End, err = ParseRangeID(args[1], true); err != nil {
		return q, err
	}
	count, ok := parseInt64(args[2])
	if !ok {
		return q, errNotInteger
	}
	q.Count = int(max(count, 0))
	if len(args) == 4 {
		q.Consumer = string(args[3])
	}
	return q, nil
}

// pendingAppends reports whether a queued write appends entries.
func (c *conn) pendingAppends() bool {
	return c.req.HasAppend()
}
