package resp

import (
	"errors"
	"math"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

func init() {
	register(
		&command{name: "xadd", arity: -5, flags: flagWrite | flagDenyOOM | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "Appends a new message to a stream. Creates the key if it doesn't exist.", run: cmdXAdd},
		&command{name: "xrange", arity: -4, flags: flagReadonly, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "Returns the messages from a stream within a range of IDs.", run: func(c *conn, a [][]byte) { c.xrange(a, false) }},
		&command{name: "xrevrange", arity: -4, flags: flagReadonly, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "Returns the messages from a stream within a range of IDs in reverse order.", run: func(c *conn, a [][]byte) { c.xrange(a, true) }},
		&command{name: "xlen", arity: 2, flags: flagReadonly | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "Return the number of messages in a stream.", run: cmdXLen},
		&command{name: "xread", arity: -4, flags: flagReadonly | flagBlocking, firstKey: 0, lastKey: 0, keyStep: 0,
			group: "stream", since: "5.0.0", summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", run: cmdXRead},
		&command{name: "xdel", arity: -3, flags: flagWrite | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "Returns the number of messages after removing them from a stream.", run: cmdXDel},
		&command{name: "xtrim", arity: -4, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "Deletes messages from the beginning of a stream.", run: cmdXTrim},
		&command{name: "xsetid", arity: -3, flags: flagWrite | flagDenyOOM | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "stream", since: "5.0.0", summary: "An internal command for replicating stream values.", run: cmdXSetID},
	)
}

func eq(b []byte, s string) bool { return strings.EqualFold(string(b), s) }

// addTrimArgs are the options of XADD and XTRIM.
type addTrimArgs struct {
	trim     broker.Trim
	noCreate bool             // XADD NOMKSTREAM
	spec     broker.IDSpec    // XADD: the ID
	idPos    int              // XADD: index of the ID; len(args) if there is none
	ref      broker.RefPolicy // KEEPREF (default), DELREF or ACKED (Redis 8.2)
	refGiven bool
}

// parseAddTrimArgs parses the options of XADD or XTRIM that follow the key,
// checking them in Redis's order (streamParseAddOrTrimArgsOrReply). For
// XADD it stops at the first argument that is not an option, and parses it
// as the ID.
func parseAddTrimArgs(args [][]byte, xadd bool, approxLimit int64) (a addTrimArgs, err error) {
	limit, limitGiven := int64(0), false
	i := 2
loop:
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			a.spec = broker.IDSpec{Auto: true}
			break loop
		case eq(opt, "maxlen") && more >= 1, eq(opt, "minid") && more >= 1:
			if a.trim.Strategy != broker.TrimNone {
				return a, errMaxLenAndMinID
			}
			isMax := eq(opt, "maxlen")
			a.trim.Approx = false
			if v := args[i+1]; len(v) == 1 && (v[0] == '~' || v[0] == '=') && more >= 2 {
				a.trim.Approx = v[0] == '~'
				i++
			}
			i++
			if isMax {
				n, ok := parseInt64(args[i])
				if !ok {
					return a, errNotInteger
				}
				if n < 0 {
					return a, errMaxLenNegative
				}
				a.trim.Strategy, a.trim.MaxLen = broker.TrimMaxLen, uint64(n)
			} else {
				id, err := ParseID(args[i], 0)
				if err != nil {
					return a, err
				}
				a.trim.Strategy, a.trim.MinID = broker.TrimMinID, id
			}
		case eq(opt, "limit") && more >= 1:
			n, ok := parseInt64(args[i+1])
			if !ok {
				return a, errNotInteger
			}
			if n < 0 {
				return a, errLimitNegative
			}
			limit, limitGiven = n, true
			i++
		case !a.refGiven && (eq(opt, "keepref") || eq(opt, "delref") || eq(opt, "acked")):
			a.ref, a.refGiven = refPolicyOf(opt), true
		case xadd && eq(opt, "nomkstream"):
			a.noCreate = true
		case xadd:
			if a.spec, err = ParseIDSpec(opt); err != nil {
				return a, err
			}
			break loop
		default:
			return a, errSyntax
		}
	}
	a.idPos = i
	switch {
	case limit != 0 && a.trim.Strategy == broker.TrimNone:
		return a, errLimitWithoutStrategy
	case !xadd && a.trim.Strategy == broker.TrimNone:
		return a, errXTrimStrategy
	case limitGiven && !a.trim.Approx:
		return a, errLimitWithoutApprox
	case limitGiven:
		a.trim.Limit = limit
	case a.trim.Approx:
		a.trim.Limit = approxLimit // Redis: 100 × stream-node-max-entries
	}
	if a.ref != broker.RefKeep {
		a.trim.Approx = false // Redis trims entry by entry then, up to LIMIT
	}
	return a, nil
}

func cmdXAdd(c *conn, args [][]byte) {
	a, err := parseAddTrimArgs(args, true, c.s.b.ApproxTrimLimit())
	if err != nil {
		c.failWrite(err)
		return
	}
	if n := len(args) - (a.idPos + 1); n < 2 || n%2 == 1 {
		c.drain()
		c.wrongArity(commandTable["xadd"])
		return
	}
	spec, fields := a.spec, args[a.idPos+1:]
	if !spec.Auto && !spec.SeqAuto && spec.ID.IsZero() {
		c.failWrite(broker.ErrIDZero)
		return
	}
	if err := c.checkChannelName(args[1]); err != nil {
		c.failWrite(err)
		return
	}
	size := 0
	for _, f := range fields {
		size += len(f)
	}
	if size > c.s.limits.MaxMessageBytes {
		c.failWrite(broker.ErrTooLarge)
		return
	}
	o := broker.AppendOptions{NoCreate: a.noCreate, Trim: a.trim, Ref: a.ref}
	c.queued(replyID, c.req.Notify(c.req.Append(args[1], spec, fields, o)))
}

// failWrite answers a write command that failed before being queued.
func (c *conn) failWrite(err error) {
	c.drain()
	c.writeError(err)
}

func cmdXTrim(c *conn, args [][]byte) {
	a, err := parseAddTrimArgs(args, false, c.s.b.ApproxTrimLimit())
	if err != nil {
		c.failWrite(err)
		return
	}
	c.queued(replyCount, c.req.Notify(c.req.Trim(args[1], a.trim, a.ref)))
}

func cmdXDel(c *conn, args [][]byte) {
	ids := make([]broker.ID, 0, len(args)-2)
	for _, a := range args[2:] {
		id, err := ParseID(a, 0)
		if err != nil {
			c.failWrite(err)
			return
		}
		ids = append(ids, id)
	}
	c.queued(replyCount, c.req.Notify(c.req.Delete(args[1], ids)))
}

func cmdXSetID(c *conn, args [][]byte) {
	var s broker.SetID
	id, err := ParseID(args[2], 0)
	if err != nil {
		c.failWrite(err)
		return
	}
	s.LastID = id
	for i := 3; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case eq(args[i], "entriesadded") && more >= 1:
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.failWrite(errNotInteger)
				return
			}
			if n < 0 {
				c.failWrite(errEntriesAddedPositive)
				return
			}
			s.EntriesAdded, s.HasEntriesAdded = uint64(n), true
			i++
		case eq(args[i], "maxdeletedid") && more >= 1:
			id, err := ParseID(args[i+1], 0)
			if err != nil {
				c.failWrite(err)
				return
			}
			if s.LastID.Less(id) { // checked while parsing, as Redis does
				c.failWrite(broker.ErrSetIDBelowMax)
				return
			}
			s.MaxDeletedID, s.HasMaxDeleted = id, !id.IsZero() // Redis ignores 0-0
			i++
		default:
			c.failWrite(errSyntax)
			return
		}
	}
	c.queued(replyOK, c.req.Notify(c.req.SetID(args[1], s)))
}

func cmdXLen(c *conn, args [][]byte) {
	m, _ := c.s.b.Meta(args[1])
	c.w.Uint(m.Length)
}

// xrange serves XRANGE and XREVRANGE.
func (c *conn) xrange(args [][]byte, reverse bool) {
	startArg, endArg := args[2], args[3]
	if reverse {
		startArg, endArg = endArg, startArg
	}
	start, err := ParseRangeID(startArg, false)
	if err == nil {
		var end broker.ID
		end, err = ParseRangeID(endArg, true)
		q := broker.RangeQuery{Start: start, End: end, Count: -1, Reverse: reverse}
		if err == nil {
			err = parseCount(args[4:], &q.Count)
		}
		if err == nil && q.Count == 0 {
			// Redis: an empty array for a missing stream, else COUNT 0
			// (or negative) is a null array.
			if _, ok := c.s.b.Meta(args[1]); ok {
				c.w.NullArray()
			} else {
				c.w.Array(0)
			}
			return
		}
		if err == nil {
			c.writeRange(args[1], q)
			return
		}
	}
	c.writeError(err)
}

// parseCount parses an optional "COUNT n" (negative counts mean 0, as in
// Redis). count stays -1 (no limit) when absent.
func parseCount(args [][]byte, count *int) error {
	for i := 0; i < len(args); i++ {
		if !eq(args[i], "count") || i+1 >= len(args) {
			return errSyntax
		}
		n, ok := parseInt64(args[i+1])
		if !ok {
			return errNotInteger
		}
		*count = int(max(n, 0))
		i++
	}
	return nil
}

// writeRange writes the entries q selects as an array of [id, [fields]].
func (c *conn) writeRange(channel []byte, q broker.RangeQuery) {
	if q.Count == 0 {
		c.w.Array(0)
		return
	}
	if q.Count < 0 {
		q.Count = 0
	}
	pos := len(c.w.buf)
	n, err := c.s.b.Range(channel, q, c.writeEntry)
	if err != nil {
		c.w.buf = c.w.buf[:pos]
		c.writeError(err)
		return
	}
	c.w.insertArrayHeader(pos, n)
}

func (c *conn) writeEntry(e *broker.Entry) error {
	c.w.Array(2)
	c.w.ID(e.ID.Ms, e.ID.Seq)
	c.w.Array(len(e.Fields))
	for _, f := range e.Fields {
		c.w.Bulk(f)
	}
	return nil
}

// xreadStream is one stream of an XREAD: its name and the ID to read after.
type xreadStream struct {
	name  []byte
	after broker.ID
	last  bool // "+": the last entry
}

func cmdXRead(c *conn, args [][]byte) {
	count, block := -1, time.Duration(-1)
	i := 1
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case eq(args[i], "count") && more >= 1:
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.writeError(errNotInteger)
				return
			}
			count = int(max(n, 0))
			i++
		case eq(args[i], "block") && more >= 1:
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.w.Error(replyTimeoutNotInteger)
				return
			}
			if n < 0 {
				c.w.Error(replyTimeoutNegative)
				return
			}
			if n > math.MaxInt64-c.s.b.Now() {
				c.w.Error(replyTimeoutRange) // Redis: now+timeout would overflow
				return
			}
			block = time.Duration(min(n, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
			i++
		case eq(args[i], "group") && more >= 2:
			c.w.Error(replyXReadGroup)
			return
		case eq(args[i], "noack"):
			c.w.Error(replyXReadNoAck)
			return
		case eq(args[i], "streams") && more >= 1:
			c.xreadStreams(args[i+1:], count, block)
			return
		default:
			c.writeError(errSyntax)
			return
		}
	}
	c.writeError(errSyntax)
}

func (c *conn) xreadStreams(rest [][]byte, count int, block time.Duration) {
	if len(rest)%2 != 0 {
		c.w.Error(replyXReadUnbalanced)
		return
	}
	n := len(rest) / 2
	streams := make([]xreadStream, n)
	for j := 0; j < n; j++ {
		s := &streams[j]
		s.name = rest[j]
		switch idArg := rest[n+j]; {
		case len(idArg) == 1 && idArg[0] == '$':
			m, _ := c.s.b.Meta(s.name)
			s.after = m.LastID
		case len(idArg) == 1 && idArg[0] == '+':
			s.last = true
		case len(idArg) == 1 && idArg[0] == '>':
			c.w.Error(replyXReadGreaterID)
			return
		default:
			id, err := ParseID(idArg, 0)
			if err != nil {
				c.writeError(err)
				return
			}
			s.after = id
		}
	}
	if c.inExec {
		block = -1
	}
	c.xreadLoop(streams, count, block)
}

// xreadLoop answers as soon as any stream has entries after its ID, waiting
// up to block (0: forever; negative: not at all).
func (c *conn) xreadLoop(streams []xreadStream, count int, block time.Duration) {
	var deadline <-chan time.Time
	if block > 0 {
		t := time.NewTimer(block)
		defer t.Stop()
		deadline = t.C
	}
	for {
		var watches []<-chan struct{}
		if block >= 0 {
			watches = make([]<-chan struct{}, 0, len(streams))
			for _, s := range streams {
				_, _, ch := c.s.b.Watch(s.name)
				watches = append(watches, ch)
			}
		}
		if c.xreadOnce(streams, count) {
			return
		}
		if block < 0 || !c.waitWatched(watches, deadline) {
			c.w.NullArray()
			return
		}
		for i := range streams {
			streams[i].last = false // "+" only means the last entry at call time
		}
	}
}

// waitWatched waits for a watch to fire (true), or the deadline, shutdown,
// or the client going away (false). While it waits it keeps reading the
// socket, so a client that disconnects (or is killed) frees its blocked
// XREAD at once.
func (c *conn) waitWatched(watches []<-chan struct{}, deadline <-chan time.Time) bool {
	defer c.countBlocked()()
	gone, stop := c.watchPeer()
	defer stop()
	if len(watches) == 1 {
		select {
		case <-watches[0]:
			return true
		case <-deadline:
		case <-c.s.done:
		case <-gone:
			c.quit = true
		}
		return false
	}
	cases := make([]reflect.SelectCase, 0, len(watches)+3)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(deadline)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.s.done)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(gone)})
	for _, w := range watches {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w)})
	}
	chosen, _, _ := reflect.Select(cases)
	if chosen == 2 {
		c.quit = true
	}
	return chosen >= 3
}

// watchPeer reads the socket in the background while the reader waits. The
// returned channel is closed if the peer disconnects or the connection is
// closed; stop ends the watch and keeps whatever bytes it read (a client may
// pipeline commands behind a blocking one).
func (c *conn) watchPeer() (gone <-chan struct{}, stop func()) {
	if c.rbuf == nil || c.end == len(c.rbuf) {
		return nil, func() {}
	}
	ch := make(chan struct{})
	done := make(chan struct{})
	n := 0
	go func() {
		defer close(done)
		var err error
		n, err = c.nc.Read(c.rbuf[c.end:])
		var ne net.Error
		if n == 0 && err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			close(ch)
		}
	}()
	return ch, func() {
		_ = c.nc.SetReadDeadline(time.Now())
		<-done
		_ = c.nc.SetReadDeadline(time.Time{})
		select {
		case <-c.s.done:
			c.shutdown() // Server.Close's deadline must survive the reset
		default:
		}
		c.end += n
		c.unread = n > 0
	}
}

// xreadOnce writes the XREAD reply and reports true if any stream has
// entries; otherwise it writes nothing.
func (c *conn) xreadOnce(streams []xreadStream, count int) bool {
	pos := len(c.w.buf)
	found := 0
	for _, s := range streams {
		q := broker.RangeQuery{End: broker.MaxID, Count: max(count, 0)}
		if s.last {
			q.Reverse, q.Count = true, 1
		} else {
			next, ok := s.after.Next()
			if !ok {
				continue
			}
			q.Start = next
		}
		if count == 0 && !s.last {
			q.Count = 0
		}
		mark := len(c.w.buf)
		if c.w.proto < 3 {
			c.w.Array(2) // RESP3 replies with a map of name to entries
		}
		c.w.Bulk(s.name)
		body := len(c.w.buf)
		n, err := c.s.b.Range(s.name, q, c.writeEntry)
		if err != nil || n == 0 {
			c.w.buf = c.w.buf[:mark]
			continue
		}
		c.w.insertArrayHeader(body, n)
		found++
	}
	if found == 0 {
		c.w.buf = c.w.buf[:pos]
		return false
	}
	if c.w.proto >= 3 {
		c.w.insertHeader(pos, '%', found)
	} else {
		c.w.insertArrayHeader(pos, found)
	}
	return true
}
