package resp

import (
	"encoding/json"
	"strconv"

	"github.com/rewind-mq/rewind/broker"
)

func init() {
	const ps = flagPubSub | flagLoading | flagStale
	register(
		&command{name: "publish", arity: 3, flags: flagPubSub | flagWrite | flagLoading | flagStale | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "pubsub", summary: "Appends a message to a channel's durable log and delivers it to subscribers.", since: "2.0.0", run: cmdPublish},
		&command{name: "spublish", arity: 3, flags: flagPubSub | flagWrite | flagLoading | flagStale | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "pubsub", summary: "Appends a message to a channel's log and delivers it to shard subscribers.", since: "7.0.0", run: cmdSPublish},
		&command{name: "subscribe", arity: -2, flags: ps | flagNoScript, group: "pubsub", since: "2.0.0",
			summary: "Listens for messages published to channels.", run: func(c *conn, a [][]byte) { c.subscribeCmd(broker.KindChannel, a[1:]) }},
		&command{name: "psubscribe", arity: -2, flags: ps | flagNoScript, group: "pubsub", since: "2.0.0",
			summary: "Listens for messages published to channels that match one or more patterns.", run: func(c *conn, a [][]byte) { c.subscribeCmd(broker.KindPattern, a[1:]) }},
		&command{name: "ssubscribe", arity: -2, flags: ps | flagNoScript, firstKey: 1, lastKey: -1, keyStep: 1, group: "pubsub", since: "7.0.0",
			summary: "Listens for messages published to shard channels.", run: func(c *conn, a [][]byte) { c.subscribeCmd(broker.KindShard, a[1:]) }},
		&command{name: "unsubscribe", arity: -1, flags: ps | flagNoScript, group: "pubsub", since: "2.0.0",
			summary: "Stops listening to messages posted to channels.", run: func(c *conn, a [][]byte) { c.unsubscribeCmd(broker.KindChannel, a[1:]) }},
		&command{name: "punsubscribe", arity: -1, flags: ps | flagNoScript, group: "pubsub", since: "2.0.0",
			summary: "Stops listening to messages published to channels that match one or more patterns.", run: func(c *conn, a [][]byte) { c.unsubscribeCmd(broker.KindPattern, a[1:]) }},
		&command{name: "sunsubscribe", arity: -1, flags: ps | flagNoScript, firstKey: 1, lastKey: -1, keyStep: 1, group: "pubsub", since: "7.0.0",
			summary: "Stops listening to messages posted to shard channels.", run: func(c *conn, a [][]byte) { c.unsubscribeCmd(broker.KindShard, a[1:]) }},
		&command{name: "pubsub", arity: -2, group: "pubsub", since: "2.8.0", summary: "A container for Pub/Sub commands.",
			subs: map[string]*command{
				"channels": {name: "channels", arity: -2, flags: ps, group: "pubsub", since: "2.8.0",
					summary: "Returns the active channels.", run: func(c *conn, a [][]byte) { c.pubsubNames(broker.KindChannel, a) }},
				"shardchannels": {name: "shardchannels", arity: -2, flags: ps, group: "pubsub", since: "7.0.0",
					summary: "Returns the active shard channels.", run: func(c *conn, a [][]byte) { c.pubsubNames(broker.KindShard, a) }},
				"numsub": {name: "numsub", arity: -2, flags: ps, group: "pubsub", since: "2.8.0",
					summary: "Returns a count of subscribers to channels.", run: func(c *conn, a [][]byte) { c.pubsubNumSub(broker.KindChannel, a[2:]) }},
				"shardnumsub": {name: "shardnumsub", arity: -2, flags: ps, group: "pubsub", since: "7.0.0",
					summary: "Returns the count of subscribers of shard channels.", run: func(c *conn, a [][]byte) { c.pubsubNumSub(broker.KindShard, a[2:]) }},
				"numpat": {name: "numpat", arity: 2, flags: ps, group: "pubsub", since: "2.8.0",
					summary: "Returns a count of unique pattern subscriptions.", run: func(c *conn, a [][]byte) { c.w.Int(int64(c.s.b.NumSubscriptionNames(broker.KindPattern))) }},
				"help": {name: "help", arity: 2, flags: ps, group: "pubsub", since: "6.2.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdPubsubHelp},
			}},
	)
}

func cmdPublish(c *conn, args [][]byte)  { c.publish(args, false) }
func cmdSPublish(c *conn, args [][]byte) { c.publish(args, true) }

// publish queues a durable append of args[2] as the field "message"; drain
// answers with the number of receivers once it is fsync'd and delivered.
// shard: SPUBLISH, for the shard subscribers.
func (c *conn) publish(args [][]byte, shard bool) {
	if err := c.checkChannelName(args[1]); err != nil {
		c.failWrite(err)
		return
	}
	if len(args[2]) > c.s.limits.MaxMessageBytes {
		c.drain()
		c.writeError(broker.ErrTooLarge)
		return
	}
	if shard {
		c.queued(replyReceivers, c.req.ShardPublish(args[1], args[2]))
		return
	}
	c.queued(replyReceivers, c.req.Publish(args[1], args[2]))
}

// nameTooLongError is a channel name or pattern over its limit. It names
// the serve flag that sets the limit, as "message too large" does.
type nameTooLongError struct {
	what       string // "channel name", "pattern"
	size, max  int
	flagOption string
}

func (e nameTooLongError) Error() string {
	return e.what + " too long (" + strconv.Itoa(e.size) + " bytes, max " + strconv.Itoa(e.max) + "; see --" + e.flagOption + ")"
}

// checkChannelName refuses a channel name over MaxChannelNameBytes.
func (c *conn) checkChannelName(name []byte) error {
	if max := c.s.limits.MaxChannelNameBytes; len(name) > max {
		return nameTooLongError{"channel name", len(name), max, "max-channel-name-bytes"}
	}
	return nil
}

// checkSubscriptionNames refuses a (P|S)SUBSCRIBE whose names or patterns
// are over their limit, before it subscribes to any of them.
func (c *conn) checkSubscriptionNames(kind broker.SubKind, names [][]byte) error {
	for _, n := range names {
		if kind != broker.KindPattern {
			if err := c.checkChannelName(n); err != nil {
				return err
			}
		} else if max := c.s.limits.MaxPatternBytes; len(n) > max {
			return nameTooLongError{"pattern", len(n), max, "max-pattern-bytes"}
		}
	}
	return nil
}

func (c *conn) subSet(kind broker.SubKind) *map[string]struct{} {
	switch kind {
	case broker.KindPattern:
		return &c.psubs
	case broker.KindShard:
		return &c.ssubs
	}
	return &c.subs
}

// subCount is the count Redis reports in (un)subscribe confirmations.
func (c *conn) subCount(kind broker.SubKind) int64 {
	if kind == broker.KindShard {
		return int64(len(c.ssubs))
	}
	return int64(len(c.subs) + len(c.psubs))
}

func subVerb(kind broker.SubKind, sub bool) string {
	verbs := map[broker.SubKind][2]string{
		broker.KindChannel: {"unsubscribe", "subscribe"},
		broker.KindPattern: {"punsubscribe", "psubscribe"},
		broker.KindShard:   {"sunsubscribe", "ssubscribe"},
	}[kind]
	if sub {
		return verbs[1]
	}
	return verbs[0]
}

// subscribeCmd subscribes to each name. Each confirmation is committed to
// the output just before the subscription can receive a message (for a
// pattern new to the node, after the broker's wait for the publishes in
// flight), so no message can overtake it.
func (c *conn) subscribeCmd(kind broker.SubKind, names [][]byte) {
	if err := c.checkSubscriptionNames(kind, names); err != nil {
		c.writeError(err)
		return
	}
	defer c.setMuted(c.pushing()) // confirmations and catch-up are pushes
	set := c.subSet(kind)
	if *set == nil {
		*set = make(map[string]struct{})
	}
	for _, n := range names {
		name := string(n)
		_, had := (*set)[name]
		(*set)[name] = struct{}{}
		confirm := func() {
			c.w.Push(3)
			c.w.BulkString(subVerb(kind, true))
			c.w.Bulk(n)
			c.w.Int(c.subCount(kind))
			c.commitReplies()
		}
		if had {
			confirm()
			continue
		}
		var (
			cur    *broker.ResumeCursor
			resume bool
		)
		if kind != broker.KindShard && c.resumable() {
			if kind == broker.KindChannel {
				cur, resume = c.resumeOf().TrackChannel(name)
			} else {
				resume = c.resumeOf().TrackPattern(name)
			}
		}
		c.s.b.SubscribeConfirming(kind, name, c, confirm)
		switch {
		case resume && cur != nil:
			c.resume.CatchUpChannel(n, cur)
		case resume:
			c.resume.CatchUpPattern(n)
		}
	}
}

// unsubscribeCmd removes the named subscriptions, or all of this kind.
// The subscription is removed before its confirmation is written.
func (c *conn) unsubscribeCmd(kind broker.SubKind, names [][]byte) {
	defer c.setMuted(c.pushing()) // confirmations are pushes
	set := c.subSet(kind)
	if len(names) == 0 {
		if len(*set) == 0 {
			c.w.Push(3)
			c.w.BulkString(subVerb(kind, false))
			c.w.Null()
			c.w.Int(c.subCount(kind))
			return
		}
		for name := range *set {
			c.unsubscribeOne(kind, name)
		}
		return
	}
	for _, n := range names {
		c.unsubscribeOne(kind, string(n))
	}
}

func (c *conn) unsubscribeOne(kind broker.SubKind, name string) {
	set := c.subSet(kind)
	if _, ok := (*set)[name]; ok {
		c.s.b.Unsubscribe(kind, name, c)
		c.unstage()
		delete(*set, name)
		switch {
		case c.resume == nil:
		case kind == broker.KindChannel:
			c.resume.ForgetChannel(name)
		case kind == broker.KindPattern:
			c.resume.ForgetPattern(name)
		}
	}
	c.w.Push(3)
	c.w.BulkString(subVerb(kind, false))
	c.w.BulkString(name)
	c.w.Int(c.subCount(kind))
}

// unsubscribeAll drops every subscription without replying (disconnect,
// RESET).
func (c *conn) unsubscribeAll() {
	for _, kind := range []broker.SubKind{broker.KindChannel, broker.KindPattern, broker.KindShard} {
		set := c.subSet(kind)
		for name := range *set {
			c.s.b.Unsubscribe(kind, name, c)
		}
		*set = nil
	}
	c.unstage()
}

// Deliver is called by the broker's fan-out goroutine (one goroutine, see
// broker.onCommit). It copies the run's pushes into c.stage's chunks, under
// stageMu, which is almost only that goroutine's, so a message costs a
// subscriber no lock shared with its socket writer; the broker then calls
// Flush once the batch is delivered, which moves the staged chunks to the
// output queue and starts one write. A resumable subscriber (tracked) takes
// out.mu for every message instead, where its cursors move (resume.go).
// Deliver never blocks on the socket, and costs a subscriber the bytes it
// is sent, however much it already holds: chunks are appended, never
// copied again. A subscriber over its limit is disconnected here, as soon
// as it takes the chunk that puts it over.
func (c *conn) Deliver(kind broker.SubKind, pattern, channel []byte, run *broker.Run) bool {
	if c.gone.Load() {
		return false
	}
	c.stageMu.Lock()
	var flush bool
	if c.tracked.Load() {
		for i := range run.Msgs {
			if c.deliverTracked(kind, pattern, channel, run, &run.Msgs[i]) {
				flush = true
			}
		}
	} else {
		flush = len(c.stage) == 0
		c.stage = c.appendRun(c.stage, kind, pattern, channel, run)
	}
	c.stageMu.Unlock()
	if c.overSubscriberLimit() {
		c.dropSlowSubscriber()
	}
	c.s.boundSubscriberOutput()
	return flush
}

// appendRun appends the pushes of a run of messages to the chunk list dst.
// For a channel or shard subscription the bytes are the same for every
// subscriber: they are encoded once per run and protocol.
func (c *conn) appendRun(dst []*outChunk, kind broker.SubKind, pattern, channel []byte, run *broker.Run) []*outChunk {
	proto := int(c.proto.Load())
	if kind == broker.KindPattern {
		w := writer{buf: c.s.pushScratch[:0], proto: proto}
		for i := range run.Msgs {
			encodePush(&w, kind, pattern, channel, &run.Msgs[i])
		}
		c.s.pushScratch = w.buf
		return c.appendChunks(dst, w.buf, true)
	}
	slot := (proto - 2) * 2
	if kind == broker.KindShard {
		slot++
	}
	enc := run.Cached(slot)
	if enc == nil {
		w := writer{buf: c.s.pushScratch[:0], proto: proto}
		for i := range run.Msgs {
			encodePush(&w, kind, nil, channel, &run.Msgs[i])
		}
		c.s.pushScratch = w.buf
		run.SetCached(slot, w.buf)
		enc = run.Cached(slot)
	}
	return c.appendChunks(dst, enc, true)
}

// deliverTracked is Deliver for a subscriber with cursors: the cursor
// check and the append happen under out.mu, after anything staged. A live
// message (a keyspace notification, in no log) moves no cursor.
func (c *conn) deliverTracked(kind broker.SubKind, pattern, channel []byte, run *broker.Run, msg *broker.Message) bool {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	if c.out.closed {
		return false
	}
	c.unstageLocked()
	var cur *broker.ResumeCursor
	if !run.Live {
		var send bool
		if cur, send = c.advanceAny(kind, pattern, channel, run.Incarnation, msg); !send {
			return false
		}
	}
	w := writer{buf: c.s.pushScratch[:0], proto: int(c.proto.Load())}
	encodePush(&w, kind, pattern, channel, msg)
	c.s.pushScratch = w.buf
	c.queueLocked(w.buf, true)
	if cur != nil {
		c.resume.QueuedLocked(cur, broker.Position{Incarnation: run.Incarnation, ID: broker.ID{Ms: msg.ID[0], Seq: msg.ID[1]}})
	}
	if c.out.kicked {
		return false
	}
	c.out.kicked = true
	return true
}

// advanceAny returns the cursor of the subscription that matched msg, if
// it has one (pass it to Resume.QueuedLocked once msg is queued), and
// reports whether msg is to be sent (false: the subscription is catching
// up, or already sent it). Called with out.mu held.
func (c *conn) advanceAny(kind broker.SubKind, pattern, channel []byte, inc uint64, msg *broker.Message) (*broker.ResumeCursor, bool) {
	id := broker.ID{Ms: msg.ID[0], Seq: msg.ID[1]}
	switch {
	case c.resume == nil:
	case kind == broker.KindChannel:
		return c.resume.LiveChannelLocked(channel, inc, id)
	case kind == broker.KindPattern:
		return c.resume.LivePatternLocked(pattern, channel, inc, id)
	}
	return nil, true
}

// unstage moves what Deliver staged into the output queue. The reader
// calls it after an unsubscribe, before the confirmation, so that no
// message of the subscription can follow its confirmation.
func (c *conn) unstage() {
	c.stageMu.Lock()
	c.out.mu.Lock()
	c.unstageLocked()
	c.out.mu.Unlock()
	c.stageMu.Unlock()
}

// unstageLocked moves what Deliver staged into the output queue, or drops
// it if the connection is closed. A stage that fits in the room left in
// the queue's last chunk is copied there (a subscriber sent a little at a
// time holds bytes, not a chunk per batch); otherwise its chunks are
// appended as they are. Called with stageMu and out.mu held.
func (c *conn) unstageLocked() {
	if len(c.stage) == 0 {
		return
	}
	if c.out.closed {
		c.stage = c.releaseChunks(c.stage)
		return
	}
	n := len(c.out.chunks)
	if first := c.stage[0]; len(c.stage) == 1 && n > 0 && cap(c.out.chunks[n-1].b)-len(c.out.chunks[n-1].b) >= len(first.b) {
		tail := c.out.chunks[n-1]
		tail.b = append(tail.b, first.b...)
		c.out.queued += len(first.b)
		c.stage = c.releaseChunks(c.stage)
		return
	}
	c.out.queued += chunkBytes(c.stage)
	c.out.chunks = append(c.out.chunks, c.stage...)
	clear(c.stage)
	c.stage = c.stage[:0]
}

// Flush hands what Deliver buffered to the socket: on a goroutine of its
// own, so a subscriber that does not read never blocks the fan-out. A
// subscriber that holds more than SubscriberBufferBytes of output (staged,
// queued or being written) is disconnected (its messages stay in the log,
// where it can read them again), so a client that never reads costs
// bounded memory and never slows a publisher.
func (c *conn) Flush() {
	c.stageMu.Lock()
	c.out.mu.Lock()
	c.out.kicked = false
	c.unstageLocked()
	c.stageMu.Unlock()
	if !c.out.closed && c.overSubscriberLimit() {
		c.out.mu.Unlock()
		c.dropSlowSubscriber()
		return
	}
	if c.out.closed || c.out.flushing || c.out.queued == 0 {
		c.out.mu.Unlock()
		return
	}
	c.out.flushing = true
	c.out.mu.Unlock()
	go func() {
		c.out.mu.Lock()
		c.flushLocked()
	}()
}

// encodePush writes a message push: [message, channel, payload] or
// [pmessage, pattern, channel, payload] or [smessage, channel, payload].
func encodePush(w *writer, kind broker.SubKind, pattern, channel []byte, msg *broker.Message) {
	switch kind {
	case broker.KindPattern:
		w.Push(4)
		w.BulkString("pmessage")
		w.Bulk(pattern)
	case broker.KindShard:
		w.Push(3)
		w.BulkString("smessage")
	default:
		w.Push(3)
		w.BulkString("message")
	}
	w.Bulk(channel)
	w.Bulk(payload(msg.Fields))
}

// payload is what SUBSCRIBE delivers for an entry: the value of its
// "message" field (every PUBLISH), or else the entry's fields as a JSON
// object (an XADD without a "message" field).
func payload(fields [][]byte) []byte {
	for i := 0; i+1 < len(fields); i += 2 {
		if string(fields[i]) == "message" {
			return fields[i+1]
		}
	}
	m := make(map[string]string, len(fields)/2)
	for i := 0; i+1 < len(fields); i += 2 {
		m[string(fields[i])] = string(fields[i+1])
	}
	b, _ := json.Marshal(m)
	return b
}

func (c *conn) pubsubNames(kind broker.SubKind, args [][]byte) {
	if len(args) > 3 {
		c.w.Error("ERR unknown subcommand or wrong number of arguments for '" + clip(args[1]) + "'. Try PUBSUB HELP.")
		return
	}
	var pattern []byte
	if len(args) == 3 {
		pattern = args[2]
	}
	names := c.s.b.SubscribedNames(kind, pattern)
	c.w.Array(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func (c *conn) pubsubNumSub(kind broker.SubKind, names [][]byte) {
	c.w.Array(2 * len(names)) // a flat array in RESP3 too, as in Redis
	for _, n := range names {
		c.w.Bulk(n)
		c.w.Int(int64(c.s.b.NumSubscribers(kind, string(n))))
	}
}

func cmdPubsubHelp(c *conn, _ [][]byte) {
	c.helpReply("PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)")
}

// helpReply writes a HELP reply as Redis does: a header line, the lines,
// and the standard footer.
func (c *conn) helpReply(cmd string, lines ...string) {
	c.w.Array(len(lines) + 3)
	c.w.Simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Simple(l)
	}
	c.w.Simple("HELP")
	c.w.Simple("    Print this help.")
}
