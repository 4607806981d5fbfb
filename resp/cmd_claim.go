package resp

import (
	"errors"
	"math"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// Claims and reference-aware deletes: XCLAIM and XAUTOCLAIM (Redis 7),
// XACKDEL and XDELEX (Redis 8.2), and the pieces XREADGROUP's CLAIM option
// (Redis 8.4) is built from. The storage side is wal/group_claim.go.
func init() {
	const w = flagWrite | flagFast
	register(
		&command{name: "xclaim", arity: -6, flags: w, firstKey: 1, lastKey: 1, keyStep: 1, group: "stream", since: "5.0.0",
			summary: "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
			run:     cmdXClaim},
		&command{name: "xautoclaim", arity: -6, flags: w, firstKey: 1, lastKey: 1, keyStep: 1, group: "stream", since: "6.2.0",
			summary: "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
			run:     cmdXAutoClaim},
		&command{name: "xackdel", arity: -6, flags: w, firstKey: 1, lastKey: 1, keyStep: 1, group: "stream", since: "8.2.0",
			summary: "Acknowledges and conditionally deletes one or multiple entries for a stream consumer group.",
			run:     cmdXAckDel},
		&command{name: "xdelex", arity: -5, flags: w, firstKey: 1, lastKey: 1, keyStep: 1, group: "stream", since: "8.2.0",
			summary: "Deletes one or multiple entries from the stream.",
			run:     cmdXDelEx},
	)
}

// doOne submits the one command add adds (returning its index) as a
// request of its own, after everything queued before it, waits until it is
// durable, and returns a copy of its result (its slices copied: the
// request is reused).
func (c *conn) doOne(add func() int) broker.Result {
	c.drain()
	c.queued(replyNone, c.req.Notify(add())) // XCLAIM, XAUTOCLAIM, XDELEX, XACKDEL: keyspace notifications
	var out broker.Result
	c.pending[len(c.pending)-1].custom = func(from, _ int, err error) {
		out = *c.req.Result(from)
		if err != nil {
			out.Err = err
		}
		out.IDs = append([]broker.ID(nil), out.IDs...)
		out.Codes = append([]int8(nil), out.Codes...)
	}
	c.drain()
	return out
}

// groupExists reports whether the group exists, as of the last durable
// write (used to order errors as Redis does; the write itself checks
// again).
func (c *conn) groupExists(key, group []byte) bool {
	_, ok := c.s.b.Group(key, group)
	return ok
}

// cmdXClaim: XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
// [TIME ms-unix-time] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id].
func cmdXClaim(c *conn, args [][]byte) {
	key, group := args[1], args[2]
	c.drain()
	if !c.groupExists(key, group) {
		c.w.Error(broker.NoGroupReply(key, group))
		return
	}
	a, ids, err := parseXClaim(args)
	if err != nil {
		c.writeError(err)
		return
	}
	p := c.doOne(func() int { return c.req.Claim(key, group, args[3], ids, a) })
	if p.Err != nil {
		c.claimErr(p.Err, key, group)
		return
	}
	if a.JustID {
		c.writeIDs(p.IDs)
		return
	}
	c.writeHistory(key, p.IDs)
}

// parseXClaim parses XCLAIM's min-idle-time, IDs and options, checking
// them in Redis's order: the IDs run up to the first argument that is not
// an ID, and everything after must be an option.
func parseXClaim(args [][]byte) (*broker.ClaimInput, []broker.ID, error) {
	a := &broker.ClaimInput{RetryCount: -1}
	minIdle, ok := parseInt64(args[4])
	if !ok {
		return nil, nil, errXClaimMinIdle
	}
	a.MinIdleMs = max(minIdle, 0)
	j := 5
	ids := make([]broker.ID, 0, len(args)-j)
	for ; j < len(args); j++ {
		id, err := ParseID(args[j], 0)
		if err != nil {
			break
		}
		ids = append(ids, id)
	}
	for ; j < len(args); j++ {
		opt, more := args[j], len(args)-1-j
		switch {
		case eq(opt, "force"):
			a.Force = true
		case eq(opt, "justid"):
			a.JustID = true
		case eq(opt, "idle") && more > 0, eq(opt, "time") && more > 0, eq(opt, "retrycount") && more > 0:
			j++
			n, ok := parseInt64(args[j])
			switch {
			case eq(opt, "idle") && ok:
				a.Delivery, a.DeliveryMs = broker.DeliveryIdle, n
			case eq(opt, "time") && ok:
				a.Delivery, a.DeliveryMs = broker.DeliveryTime, n
			case ok:
				a.RetryCount = n // a negative count is as if not given, as in Redis
			default:
				return nil, nil, errors.New("Invalid " + upperASCII(opt) + " option argument for XCLAIM")
			}
		case eq(opt, "lastid") && more > 0:
			j++
			id, err := ParseID(args[j], 0)
			if err != nil {
				return nil, nil, err
			}
			a.LastID = id
		default:
			return nil, nil, errors.New("Unrecognized XCLAIM option '" + string(opt) + "'")
		}
	}
	return a, ids, nil
}

func upperASCII(b []byte) string {
	out := []byte(string(b))
	for i, ch := range out {
		if 'a' <= ch && ch <= 'z' {
			out[i] = ch - 'a' + 'A'
		}
	}
	return string(out)
}

// claimErr answers an error of a claim write.
func (c *conn) claimErr(err error, key, group []byte) {
	if errors.Is(err, broker.ErrNoGroup) || errors.Is(err, broker.ErrNoStream) {
		c.w.Error(broker.NoGroupReply(key, group))
		return
	}
	c.writeError(err)
}

func (c *conn) writeIDs(ids []broker.ID) {
	c.w.Array(len(ids))
	for _, id := range ids {
		c.w.ID(id.Ms, id.Seq)
	}
}

// maxAutoClaimCount is the largest COUNT XAUTOCLAIM takes (Redis: LONG_MAX
// over the larger of a stream ID's size and the attempts factor).
const maxAutoClaimCount = math.MaxInt64 / 16

// cmdXAutoClaim: XAUTOCLAIM key group consumer min-idle-time start
// [COUNT count] [JUSTID]. The reply is [next start, claimed entries (or
// IDs), IDs of pending entries that were no longer in the stream].
func cmdXAutoClaim(c *conn, args [][]byte) {
	key, group := args[1], args[2]
	a, count, err := parseXAutoClaim(args)
	if err != nil {
		c.drain()
		c.writeError(err)
		return
	}
	c.drain()
	if !c.groupExists(key, group) {
		c.w.Error(broker.NoGroupReply(key, group))
		return
	}
	p := c.doOne(func() int { return c.req.AutoClaim(key, group, args[3], count, a) })
	if p.Err != nil {
		c.claimErr(p.Err, key, group)
		return
	}
	c.w.Array(3)
	c.w.ID(p.Next.Ms, p.Next.Seq)
	if a.JustID {
		c.writeIDs(p.IDs)
	} else {
		c.writeHistory(key, p.IDs)
	}
	c.writeIDs(p.Deleted)
}

func parseXAutoClaim(args [][]byte) (*broker.ClaimInput, int, error) {
	a := &broker.ClaimInput{RetryCount: -1}
	minIdle, ok := parseInt64(args[4])
	if !ok {
		return nil, 0, errXAutoClaimMinIdle
	}
	a.MinIdleMs = max(minIdle, 0)
	start, err := ParseRangeID(args[5], false)
	if err != nil {
		return nil, 0, err
	}
	a.Start = start
	count := 100
	for j := 6; j < len(args); j++ {
		switch {
		case eq(args[j], "count") && j+1 < len(args):
			n, ok := parseInt64(args[j+1])
			if !ok || n < 1 || n > maxAutoClaimCount {
				return nil, 0, errCountPositive
			}
			count = int(n)
			j++
		case eq(args[j], "justid"):
			a.JustID = true
		default:
			return nil, 0, errSyntax
		}
	}
	return a, count, nil
}

// parseAckDelArgs parses "[KEEPREF | DELREF | ACKED] IDS numids id [id ...]"
// from args[start:] as Redis does (streamParseAckDelArgsOrReply): the
// options in any order, the IDs not parsed yet.
func parseAckDelArgs(args [][]byte, start int) (broker.RefPolicy, [][]byte, error) {
	ref, refGiven := broker.RefKeep, false
	var ids [][]byte
	idsGiven := false
	for j := start; j < len(args); {
		opt := args[j]
		switch {
		case !refGiven && (eq(opt, "keepref") || eq(opt, "delref") || eq(opt, "acked")):
			ref, refGiven = refPolicyOf(opt), true
			j++
		case eq(opt, "ids") && j+1 < len(args):
			n, ok := parseInt64(args[j+1])
			if !ok || n < 1 {
				return ref, nil, errNumIDsPositive
			}
			if n > int64(len(args)-j-2) {
				return ref, nil, errNumIDsMismatch
			}
			ids, idsGiven = args[j+2:j+2+int(n)], true
			j += 2 + int(n)
		default:
			return ref, nil, errSyntax
		}
	}
	if !idsGiven {
		return ref, nil, errIDSRequired
	}
	return ref, ids, nil
}

// refPolicyOf maps KEEPREF, DELREF or ACKED (any case) to its policy; the
// caller has checked it is one of them. XADD and XTRIM take them too.
func refPolicyOf(opt []byte) broker.RefPolicy {
	switch {
	case eq(opt, "delref"):
		return broker.RefDelete
	case eq(opt, "acked"):
		return broker.RefAcked
	}
	return broker.RefKeep
}

// parseStrictIDs parses IDs as Redis's streamParseStrictIDOrReply.
func parseStrictIDs(args [][]byte) ([]broker.ID, error) {
	ids := make([]broker.ID, len(args))
	for i, b := range args {
		id, err := ParseID(b, 0)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// cmdXAckDel: XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id
// [id ...]. Per ID: -1 not pending in the group, 1 acknowledged and
// deleted, 2 acknowledged but still needed by another group (ACKED).
func cmdXAckDel(c *conn, args [][]byte) {
	c.refDelete(args, true, 3)
}

// cmdXDelEx: XDELEX key [KEEPREF | DELREF | ACKED] IDS numids id [id ...].
// Per ID: -1 no such entry, 1 deleted, 2 not deleted because a group still
// needs it (ACKED).
func cmdXDelEx(c *conn, args [][]byte) {
	c.refDelete(args, false, 2)
}

// refDelete serves XACKDEL (ackDel: args[2] is the group) and XDELEX.
func (c *conn) refDelete(args [][]byte, ackDel bool, optsFrom int) {
	key := args[1]
	var group []byte
	if ackDel {
		group = args[2]
	}
	c.drain()
	ref, idArgs, err := parseAckDelArgs(args, optsFrom)
	if err != nil {
		c.writeError(err)
		return
	}
	ids, err := parseStrictIDs(idArgs)
	if err != nil {
		// Redis answers a missing key (or group) before it parses the IDs.
		_, keyExists := c.s.b.Meta(key)
		if !keyExists || (ackDel && !c.groupExists(key, group)) {
			c.writeCodes(nil, len(idArgs))
			return
		}
		c.writeError(err)
		return
	}
	p := c.doOne(func() int {
		if ackDel {
			return c.req.AckDelete(key, group, ids, ref)
		}
		return c.req.DeleteRef(key, ids, ref)
	})
	if p.Err != nil {
		c.writeError(p.Err)
		return
	}
	c.writeCodes(p.Codes, len(ids))
}

// writeCodes writes per-ID codes; missing ones are -1.
func (c *conn) writeCodes(codes []int8, n int) {
	c.w.Array(n)
	for i := 0; i < n; i++ {
		code := int64(-1)
		if i < len(codes) {
			code = int64(codes[i])
		}
		c.w.Int(code)
	}
}

// --- XREADGROUP ... CLAIM min-idle-time (Redis 8.4) ---
//
// The XREADGROUP parser and loop (cmd_group.go) use these: parseClaimMinIdle
// for the option, writeClaimDelivered for its entries, and claimWake for
// BLOCK.

// parseClaimMinIdle parses the value of XREADGROUP's CLAIM option, with
// Redis's errors.
func parseClaimMinIdle(b []byte) (int64, error) {
	n, ok := parseInt64(b)
	if !ok {
		return 0, errMinIdleNotInteger
	}
	if n < 0 {
		return 0, errMinIdlePositive
	}
	return n, nil
}

// claimReadEmpty reports whether a CLAIM read got nothing at all.
func claimReadEmpty(r groupResult) bool {
	return len(r.claimed) == 0 && r.n == 0 && len(r.ids) == 0
}

// writeClaimDelivered writes one stream's entries of a CLAIM read, each as
// [id, fields, ms since its previous delivery, deliveries before this
// one]: the claimed entries, then those the group's ack wait redelivered
// (their count read back from the pending entries list, idle 0), then new
// ones (0, 0).
func (c *conn) writeClaimDelivered(key, group []byte, r groupResult) {
	pos := len(c.w.buf)
	n := 0
	for _, e := range r.claimed {
		c.writeEntryExtra(key, e.ID, e.IdleMs, e.Count)
		n++
	}
	if len(r.ids) > 0 {
		g, _ := c.s.b.Group(key, group)
		for _, id := range r.ids {
			var before int64
			if g != nil {
				_ = c.s.b.Pending(key, g, broker.PendingQuery{Start: id, End: id, Count: 1}, func(rec broker.PendingRecord, _ string) error {
					before = max(rec.Count-1, 0)
					return nil
				})
			}
			c.writeEntryExtra(key, id, 0, before)
			n++
		}
	}
	if r.n > 0 {
		m, err := c.s.b.Range(key, broker.RangeQuery{Start: r.first, End: r.last, Count: int(r.n)}, c.writeNewEntryExtra)
		if err != nil {
			c.s.log.Warn("resp: reading delivered entries", "err", err)
		}
		n += m
	}
	c.w.insertArrayHeader(pos, n)
}

// writeEntryExtra writes entry id as [id, fields, idle, count], or
// [id, nil, idle, count] if it was deleted since.
func (c *conn) writeEntryExtra(key []byte, id broker.ID, idleMs, count int64) {
	found, err := c.s.b.Range(key, broker.RangeQuery{Start: id, End: id, Count: 1}, func(e *broker.Entry) error {
		c.w.Array(4)
		c.w.ID(e.ID.Ms, e.ID.Seq)
		c.w.Array(len(e.Fields))
		for _, f := range e.Fields {
			c.w.Bulk(f)
		}
		return nil
	})
	if err != nil || found == 0 {
		c.w.Array(4)
		c.w.ID(id.Ms, id.Seq)
		c.w.NullArray()
	}
	c.w.Int(idleMs)
	c.w.Int(count)
}

// writeNewEntryExtra writes a new entry of a CLAIM read: [id, fields, 0, 0].
func (c *conn) writeNewEntryExtra(e *broker.Entry) error {
	c.w.Array(4)
	c.w.ID(e.ID.Ms, e.ID.Seq)
	c.w.Array(len(e.Fields))
	for _, f := range e.Fields {
		c.w.Bulk(f)
	}
	c.w.Int(0)
	c.w.Int(0)
	return nil
}

// claimWake returns a channel that is closed when a blocked CLAIM read
// should look again because a pending entry becomes idle enough: at the
// earliest WakeMs of its streams' results or, when nothing is pending,
// minIdleMs from now (as Redis does); and a func that releases the timer.
// The channel is nil (never ready) when there is nothing to wait for.
func (c *conn) claimWake(res []groupResult, minIdleMs int64) (<-chan struct{}, func()) {
	now := c.s.b.Now()
	wake := int64(0)
	for _, r := range res {
		if r.wakeMs > 0 && (wake == 0 || r.wakeMs < wake) {
			wake = r.wakeMs
		}
	}
	if wake == 0 {
		if minIdleMs > math.MaxInt64-now {
			return nil, func() {}
		}
		wake = now + minIdleMs
	}
	waitMs := max(wake-now, 0)
	if waitMs > int64(math.MaxInt64/time.Millisecond) {
		return nil, func() {} // later than any BLOCK can last
	}
	ch := make(chan struct{})
	t := time.AfterFunc(time.Duration(waitMs)*time.Millisecond, func() { close(ch) })
	return ch, func() { t.Stop() }
}
