package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

const subscribeSynopsis = `Usage: rewind subscribe CHANNEL... [flags]
       rewind subscribe CHANNEL --group GROUP [--ack] [flags]

Prints each message published to the channels (or, with --pattern, to the
channels that match the glob patterns) as it arrives, until Ctrl-C. Each
subscription, once confirmed, is reported on stderr.

This is a live subscription, as in Redis: messages published while it is not
connected are not shown here. Use 'rewind replay CHANNEL --follow' to read a
channel's history and then wait for new messages.

With --group, reads one channel as a consumer of a consumer group instead
(XREADGROUP GROUP <group> <consumer> COUNT 100 BLOCK 5000 STREAMS CHANNEL >):
each entry goes to one consumer of the group, including those published
while nobody was reading. With --ack, entries are acknowledged (XACK) only
after they were written to stdout, and Ctrl-C exits after acknowledging
what was printed. Without --ack they stay pending ('rewind pending CHANNEL
GROUP'): the broker delivers them again only if the group has an ACKWAIT
(redis-cli XGROUP SETCONFIG CHANNEL GROUP ACKWAIT ms); otherwise they wait
for an XACK or an XCLAIM.

Examples:
  rewind subscribe orders 'audit.*' --pattern
  rewind subscribe orders --group billing --create --ack
  rewind subscribe orders --group billing --consumer w1 --count 10 --format json
`

const subscribeMore = `
Formats:
  text  channel<TAB>payload per line, bytes as published. With --group:
        ID<TAB>payload, as 'rewind replay' prints it.
  json  {"channel":"…","pattern":"…" or null,"payload":"…"} per line; a value
        that is not valid UTF-8 is base64-encoded under its name + "_b64"
        ("payload_b64", "channel_b64", "pattern_b64"). With --group:
        'rewind replay' JSON lines plus "deliveries" (how many times the
        entry has been delivered, 1 the first time) when the server knows it:
          {"id":"1700000000000-0","channel":"orders","fields":{"message":"hi"},"deliveries":1}

Exit status: 0 done (also after Ctrl-C), 1 failed, 2 bad usage.
`

const subscribeWriteBytes = 64 << 10

type subscribeOptions struct {
	server  serverFlags
	pattern bool
	format  string
	count   int64

	// --group: consume as a member of a consumer group.
	group, consumer string
	ack, create     bool
	fromStart       bool
}

func subscribeMain(args []string, stdout, stderr io.Writer) int {
	const cmd = "rewind subscribe"
	var o subscribeOptions
	fs := newFlagSet(cmd, subscribeSynopsis, subscribeMore, stdout, stderr)
	o.server.register(fs)
	fs.BoolVar(&o.pattern, "pattern", false, "the arguments are glob patterns (PSUBSCRIBE): * ? [abc] [^a] [a-z]")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	fs.Int64Var(&o.count, "count", 0, "exit after `N` messages (0: run until Ctrl-C)")
	fs.StringVar(&o.group, "group", "", "consume CHANNEL as a consumer of group `GROUP` (XREADGROUP)")
	fs.StringVar(&o.consumer, "consumer", "", "with --group: the consumer's `NAME` (default: HOSTNAME-PID)")
	fs.BoolVar(&o.ack, "ack", false, "with --group: acknowledge (XACK) each entry once it is printed")
	fs.BoolVar(&o.create, "create", false, "with --group: create the group if it does not exist, at the channel's end ($, MKSTREAM)")
	fs.BoolVar(&o.fromStart, "from-start", false, "with --create: a new group starts at the channel's first entry instead")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	groupOnly := ""
	for _, name := range []string{"consumer", "ack", "create", "from-start"} {
		if fs.Changed(name) && groupOnly == "" {
			groupOnly = name
		}
	}
	switch {
	case fs.NArg() == 0:
		return usageError(stderr, cmd, "missing CHANNEL")
	case o.format != "text" && o.format != "json":
		return usageError(stderr, cmd, "--format must be text or json, not %q", o.format)
	case o.count < 0:
		return usageError(stderr, cmd, "--count must be positive")
	case o.group == "" && fs.Changed("group"):
		return usageError(stderr, cmd, "--group needs a non-empty GROUP")
	case o.group == "" && groupOnly != "":
		return usageError(stderr, cmd, "--%s needs --group", groupOnly)
	case o.group != "" && o.pattern:
		return usageError(stderr, cmd, "--group reads one channel: it does not take --pattern")
	case o.group != "" && fs.NArg() > 1:
		return usageError(stderr, cmd, "--group reads one CHANNEL, got %d", fs.NArg())
	case o.group != "" && fs.Changed("consumer") && o.consumer == "":
		return usageError(stderr, cmd, "--consumer needs a non-empty NAME")
	case o.fromStart && !o.create:
		return usageError(stderr, cmd, "--from-start needs --create (an existing group keeps its position)")
	}
	ctx, stop := signalContext()
	defer stop()
	if o.group != "" {
		// Errors count even after Ctrl-C: one may be a failed XACK.
		if err := o.consumeGroup(ctx, fs.Arg(0), stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
			return exitFailed
		}
		return exitOK
	}
	err := o.subscribe(ctx, fs.Args(), stdout, stderr)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK // Ctrl-C is the normal way out
}

// subscribe subscribes and prints messages until ctx ends, --count is
// reached or the connection fails.
func (o *subscribeOptions) subscribe(ctx context.Context, names []string, stdout, stderr io.Writer) error {
	c, err := dial(ctx, o.server.addr())
	if err != nil {
		return err
	}
	defer c.Close()
	defer c.CloseOnDone(ctx)()
	verb := "SUBSCRIBE"
	if o.pattern {
		verb = "PSUBSCRIBE"
	}
	c.WriteCommand(append([]string{verb}, names...)...)
	if err := c.Flush(); err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, subscribeWriteBytes)
	defer out.Flush()
	var line []byte
	var received int64
	for o.count == 0 || received < o.count {
		if !c.Buffered() {
			if err := out.Flush(); err != nil { // nothing more waiting: show what came
				return err
			}
		}
		rp, err := c.Read()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return errors.New("the server closed the connection")
			}
			return err
		}
		var pattern, channel, payload []byte
		if err := rp.Err(0); err != nil {
			return err
		}
		elems := rp.Int(0)
		switch kind := pushKind(rp); {
		case string(kind) == "subscribe" || string(kind) == "psubscribe":
			if elems >= 2 {
				fmt.Fprintf(stderr, "subscribed to %s\n", rp.Bytes(rp.Child(0, 1)))
			}
			continue
		case string(kind) == "message" && elems == 3:
			channel, payload = rp.Bytes(rp.Child(0, 1)), rp.Bytes(rp.Child(0, 2))
		case string(kind) == "pmessage" && elems == 4:
			pattern, channel, payload = rp.Bytes(rp.Child(0, 1)), rp.Bytes(rp.Child(0, 2)), rp.Bytes(rp.Child(0, 3))
		default:
			continue // an unrelated push
		}
		received++
		line = line[:0]
		if o.format == "json" {
			line = appendMessageJSON(line, channel, pattern, payload, o.pattern)
		} else {
			line = append(line, channel...)
			line = append(line, '\t')
			line = append(line, payload...)
			line = append(line, '\n')
		}
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// pushKind returns the first element of a push ("message", "subscribe", …).
func pushKind(rp *respclient.Reply) []byte {
	if rp.Kind(0) != '*' || rp.Int(0) == 0 || rp.Kind(1) != '$' {
		return nil
	}
	return rp.Bytes(1)
}

// appendMessageJSON appends {"channel":…,"pattern":…,"payload":…}\n.
func appendMessageJSON(dst, channel, pattern, payload []byte, isPattern bool) []byte {
	dst = appendJSONKeyValue(dst, "{", "channel", channel)
	if isPattern {
		dst = appendJSONKeyValue(dst, ",", "pattern", pattern)
	} else {
		dst = append(dst, `,"pattern":null`...)
	}
	dst = appendJSONKeyValue(dst, ",", "payload", payload)
	return append(dst, "}\n"...)
}

const (
	groupReadCount  = 100    // XREADGROUP COUNT
	groupBlockMs    = "5000" // XREADGROUP BLOCK, between checks that the connection lives
	groupReplyLimit = 10 * time.Second
)

// groupConsumer reads a channel as one consumer of a group.
type groupConsumer struct {
	o        *subscribeOptions
	c        *respclient.Conn
	channel  []byte
	consumer string
	out      *bufio.Writer
	stderr   io.Writer
	intr     *readInterrupter

	pg         page
	raw        []byte  // json: the page, copied out of the read buffer
	deliveries []int64 // json: per entry of the page, -1 when unknown
	chanKV     []byte  // json: `,"channel":"…"`
	line       []byte
	num        [24]byte
}

// consumeGroup prints entries delivered to the consumer until ctx ends or
// --count is reached. With --ack each batch is acknowledged once written
// out; an interrupted read leaves what it may have delivered pending, never
// acknowledged.
func (o *subscribeOptions) consumeGroup(ctx context.Context, channel string, stdout, stderr io.Writer) error {
	consumer := o.consumer
	if consumer == "" {
		consumer = defaultConsumerName()
	}
	c, err := dial(ctx, o.server.addr())
	if err != nil {
		return err
	}
	defer c.Close()
	g := &groupConsumer{
		o: o, c: c, channel: []byte(channel), consumer: consumer,
		out:    bufio.NewWriterSize(stdout, subscribeWriteBytes),
		stderr: stderr,
		intr:   &readInterrupter{nc: c.NetConn()},
		chanKV: appendJSONKeyValue(nil, ",", "channel", []byte(channel)),
	}
	defer context.AfterFunc(ctx, g.intr.fire)()
	if o.create {
		if err := g.create(stderr); err != nil {
			return err
		}
	}
	how := "entries stay pending (no --ack)"
	if o.ack {
		how = "acknowledging each entry once printed"
	}
	fmt.Fprintf(stderr, "reading %s as consumer %s of group %s, %s\n", channel, consumer, o.group, how)
	var received int64
	for o.count == 0 || received < o.count {
		n, err := g.batch(o.count - received)
		if err != nil || n < 0 {
			return err // n < 0: interrupted
		}
		received += int64(n)
	}
	return nil
}

// create creates the group (at $, or 0 with --from-start) unless it exists.
func (g *groupConsumer) create(stderr io.Writer) error {
	start, where := "$", "the channel's end"
	if g.o.fromStart {
		start, where = "0", "the channel's first entry"
	}
	_, err := g.c.Do("XGROUP", "CREATE", string(g.channel), g.o.group, start, "MKSTREAM")
	var re *respclient.ReplyError
	switch {
	case err == nil:
		fmt.Fprintf(stderr, "created group %s at %s\n", g.o.group, where)
	case errors.As(err, &re) && strings.HasPrefix(re.Message, "BUSYGROUP"):
		if g.o.fromStart {
			fmt.Fprintf(stderr, "group %s exists: it keeps its position (--from-start applies to a new group)\n", g.o.group)
		}
	default:
		return fmt.Errorf("XGROUP CREATE: %w", err)
	}
	return nil
}

// batch reads, prints and (with --ack) acknowledges one XREADGROUP reply of
// at most limit entries (0: no limit). It returns how many it printed, or
// -1 when Ctrl-C interrupted the read.
func (g *groupConsumer) batch(limit int64) (int, error) {
	c, o := g.c, g.o
	count := int64(groupReadCount)
	if limit > 0 {
		count = min(count, limit)
	}
	c.WriteArrayHeader(11)
	for _, a := range []string{"XREADGROUP", "GROUP", o.group, g.consumer, "COUNT"} {
		c.WriteBulkString(a)
	}
	c.WriteBulk(strconv.AppendInt(g.num[:0], count, 10))
	c.WriteBulkString("BLOCK")
	c.WriteBulkString(groupBlockMs)
	c.WriteBulkString("STREAMS")
	c.WriteBulk(g.channel)
	c.WriteBulkString(">")
	if !g.intr.arm() {
		c.ResetWrites() // Ctrl-C came: send nothing more
		return -1, nil
	}
	err := c.Flush()
	if err == nil {
		err = readPage(c.Reader, &g.pg, true)
	}
	if g.intr.disarm() && err != nil {
		return -1, nil // what the read may have delivered stays pending
	}
	if err != nil {
		var re *respclient.ReplyError
		switch {
		case errors.As(err, &re) && strings.HasPrefix(re.Message, "NOGROUP"):
			return 0, fmt.Errorf("channel %q has no group %q (--create creates it)", g.channel, o.group)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return 0, errors.New("the server closed the connection")
		}
		return 0, err
	}
	n := g.pg.n
	if n == 0 {
		c.Release() // the null reply of a BLOCK that timed out
		return 0, nil
	}
	if o.format == "json" {
		// The page is copied out so that the read buffer can take the
		// delivery counts.
		g.pg.keep(&g.raw)
		c.Release()
		if err := g.lookupDeliveries(); err != nil {
			return 0, err
		}
	}
	for i := 0; i < n; i++ {
		id, fields := g.pg.entry(i)
		if o.format == "json" {
			g.line = appendEntryJSON(g.line[:0], id, g.chanKV, fields)
			if d := g.deliveries[i]; d > 0 {
				g.line = append(g.line[:len(g.line)-2], `,"deliveries":`...)
				g.line = strconv.AppendInt(g.line, d, 10)
				g.line = append(g.line, "}\n"...)
			}
		} else {
			g.line = appendEntryText(g.line[:0], id, fields)
		}
		if _, err := g.out.Write(g.line); err != nil {
			return 0, fmt.Errorf("write: %w", err)
		}
	}
	// Printed means flushed: only then is anything acknowledged.
	if err := g.out.Flush(); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	if o.ack {
		c.WriteArrayHeader(3 + n)
		c.WriteBulkString("XACK")
		c.WriteBulk(g.channel)
		c.WriteBulkString(o.group)
		for i := 0; i < n; i++ {
			c.WriteBulk(g.pg.id(i))
		}
	}
	if o.format != "json" {
		c.Release()
	}
	if o.ack {
		if err := g.ack(n); err != nil {
			return 0, err
		}
	}
	c.Shrink()
	return n, nil
}

// ack sends the buffered XACK of n entries and checks its reply.
func (g *groupConsumer) ack(n int) error {
	c := g.c
	_ = c.SetReadDeadline(time.Now().Add(groupReplyLimit))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	if err := c.Flush(); err != nil {
		return fmt.Errorf("XACK: %w", err)
	}
	rp, err := c.Read()
	switch {
	case err != nil:
		return fmt.Errorf("XACK of %d printed entries: %w", n, err)
	case rp.Kind(0) == '-':
		return fmt.Errorf("XACK of %d printed entries: %s", n, rp.Bytes(0))
	case rp.Int(0) < int64(n):
		// Acked by someone else meanwhile (after its ACKWAIT ran out, the
		// entry went to another consumer), or dead-lettered.
		fmt.Fprintf(g.stderr, "rewind subscribe: %d of %d printed entries were no longer pending when acknowledged\n", int64(n)-rp.Int(0), n)
	}
	return nil
}

// lookupDeliveries fills g.deliveries with each entry's delivery count
// (XPENDING CHANNEL GROUP id id 1, pipelined), -1 where unknown.
func (g *groupConsumer) lookupDeliveries() error {
	c, n := g.c, g.pg.n
	for i := 0; i < n; i++ {
		id := g.pg.id(i)
		c.WriteArrayHeader(6)
		c.WriteBulkString("XPENDING")
		c.WriteBulk(g.channel)
		c.WriteBulkString(g.o.group)
		c.WriteBulk(id)
		c.WriteBulk(id)
		c.WriteBulkString("1")
	}
	_ = c.SetReadDeadline(time.Now().Add(groupReplyLimit))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	if err := c.Flush(); err != nil {
		return err
	}
	g.deliveries = g.deliveries[:0]
	for i := 0; i < n; i++ {
		rp, err := c.Read()
		if err != nil {
			return fmt.Errorf("XPENDING: %w", err)
		}
		d := int64(-1)
		if rp.IsAggregate(0) && rp.Int(0) == 1 && rp.IsAggregate(1) && rp.Int(1) == 4 {
			d = rp.Int(rp.Child(1, 3))
		}
		g.deliveries = append(g.deliveries, d)
	}
	return nil
}

// defaultConsumerName is HOSTNAME-PID.
func defaultConsumerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "rewind"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

// readInterrupter lets Ctrl-C interrupt a blocking read, and nothing else:
// a read deadline in the past is set only while a read is armed, so an
// XACK in flight is never cut off.
type readInterrupter struct {
	mu           sync.Mutex
	nc           net.Conn
	armed, fired bool
}

// fire is called once, when the context ends.
func (r *readInterrupter) fire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fired = true
	if r.armed {
		_ = r.nc.SetReadDeadline(time.Unix(1, 0))
	}
}

// arm makes the next reads interruptible; false if fire already happened.
func (r *readInterrupter) arm() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fired {
		return false
	}
	r.armed = true
	return true
}

// disarm ends an interruptible read and reports whether fire happened.
func (r *readInterrupter) disarm() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.armed = false
	_ = r.nc.SetReadDeadline(time.Time{})
	return r.fired
}
