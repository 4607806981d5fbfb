package resp

import (
	"errors"
	"strings"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// cmdFlags describe a command for dispatch and for COMMAND INFO.
type cmdFlags uint32

const (
	flagWrite    cmdFlags = 1 << iota // changes data
	flagReadonly                      // reads data
	flagPubSub                        // COMMAND INFO "pubsub" (subscribe mode: see allowedWhileSubscribed)
	flagNoMulti                       // not allowed inside MULTI
	flagFast
	flagBlocking
	flagAdmin
	flagLoading
	flagStale
	flagNoScript
	flagDenyOOM
)

var flagNames = []struct {
	f    cmdFlags
	name string
}{
	{flagWrite, "write"}, {flagReadonly, "readonly"}, {flagDenyOOM, "denyoom"}, {flagAdmin, "admin"},
	{flagPubSub, "pubsub"}, {flagNoScript, "noscript"}, {flagBlocking, "blocking"},
	{flagLoading, "loading"}, {flagStale, "stale"}, {flagFast, "fast"},
}

// command is one entry of the command table. Arity follows Redis: positive
// means exactly that many arguments (name included), negative at least.
type command struct {
	name     string
	arity    int
	flags    cmdFlags
	firstKey int
	lastKey  int
	keyStep  int
	group    string // COMMAND DOCS group: "pubsub", "stream", "connection", ...
	summary  string
	since    string
	run      func(c *conn, args [][]byte)
	subs     map[string]*command // subcommands, by lowercase name
	parent   *command
	// statIndex is the command's slot in Server.cmdStats (see
	// numberCommands in stats.go).
	statIndex int
}

// fullName is "parent|sub" for subcommands, as Redis names them in errors.
func (cmd *command) fullName() string {
	if cmd.parent != nil {
		return cmd.parent.name + "|" + cmd.name
	}
	return cmd.name
}

var commandTable = map[string]*command{}

// register adds commands to the table; subcommands are registered on their
// parent with parent set.
func register(cmds ...*command) {
	for _, cmd := range cmds {
		commandTable[cmd.name] = cmd
		for _, sub := range cmd.subs {
			sub.parent = cmd
		}
	}
}

// lookup finds a command (or subcommand) by name, case-insensitively,
// without allocating.
func lookup(table map[string]*command, name []byte) *command {
	var tmp [32]byte
	if len(name) > len(tmp) {
		return nil
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		tmp[i] = ch
	}
	return table[string(tmp[:len(name)])]
}

func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

// exec runs one command. Writes are queued (c.req/c.pending) and answered
// by drain; any other command first drains, so replies stay in order.
// CLIENT REPLY's state (reply.go) decides whether what it writes is sent.
func (c *conn) exec(args [][]byte) {
	c.claimErrors() // errors of no command (an unknown one) stay unclaimed
	if c.gate.active() {
		c.beginReply()
	}
	c.dispatch(args)
	if c.gate.active() {
		c.endReply()
	}
}

// dispatch finds the command, checks it and runs it (or queues it in MULTI).
func (c *conn) dispatch(args [][]byte) {
	cmd := lookup(commandTable, args[0])
	if cmd == nil {
		c.drain()
		c.unknownCommand(args)
		if c.multi != nil {
			c.multi.dirty = true
		}
		return
	}
	if cmd.subs != nil && len(args) >= 2 {
		if sub := lookup(cmd.subs, args[1]); sub != nil {
			cmd = sub
		} else if !arityOK(cmd.arity, len(args)) {
			c.drain()
			c.wrongArity(cmd)
			c.countRejected(cmd)
			return
		} else {
			c.drain()
			c.w.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try " + strings.ToUpper(cmd.name) + " HELP.")
			return
		}
	}
	c.setLastCmd(cmd)
	if c.multi != nil && c.queueInMulti(cmd, args) {
		return
	}
	if !arityOK(cmd.arity, len(args)) {
		c.drain()
		c.reject(cmd, "wrong number of arguments for '"+cmd.fullName()+"' command")
		return
	}
	if c.w.proto == 2 && c.subscribed() && !allowedWhileSubscribed(cmd) {
		c.drain()
		c.reject(cmd, "Can't execute '"+cmd.fullName()+"': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	c.run(cmd, args)
}

// allowedWhileSubscribed reports whether cmd may run on a RESP2 connection
// in subscribe mode. Redis allows exactly these, whatever their flags (the
// "pubsub" flag is also on PUBLISH and PUBSUB, which are refused).
func allowedWhileSubscribed(cmd *command) bool {
	if cmd.parent != nil {
		return false
	}
	switch cmd.name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

// run runs a command whose arity and context were checked, and counts it
// (stats.go). Writes it queues are its own (c.current) when drain answers
// them. A fast command at the top level shares the batch's time with the
// others (no clock read of its own); any other is timed by itself.
func (c *conn) run(cmd *command, args [][]byte) {
	if cmd.flags&flagWrite == 0 {
		c.drain()
	}
	if c.current == nil && cmd.flags&flagFast != 0 {
		c.current = cmd
		cmd.run(c, args)
		c.current = nil
		c.countCall(cmd, 0, true)
		return
	}
	outer := c.current
	c.current = cmd
	start, excluded := time.Now(), c.excludedNs
	cmd.run(c, args)
	ns := max(time.Since(start).Nanoseconds()-(c.excludedNs-excluded), 0)
	c.current = outer
	c.countCall(cmd, ns, false)
	if outer == nil {
		c.excludedNs += ns // timed: not part of the batch's shared time
	}
}

func (c *conn) setLastCmd(cmd *command) {
	if c.lastCmdSeen == cmd {
		return
	}
	c.lastCmdSeen = cmd
	name := cmd.fullName()
	c.info.mu.Lock()
	c.info.lastCmd = name
	c.info.mu.Unlock()
}

// unknownCommand quotes the arguments as Redis does: while the quoted list
// is under 128 bytes, each argument clipped to what is left of those 128.
func (c *conn) unknownCommand(args [][]byte) {
	var quoted strings.Builder
	for _, a := range args[1:] {
		if quoted.Len() >= 128 {
			break
		}
		a = a[:min(len(a), 128-quoted.Len())]
		quoted.WriteString("'")
		quoted.Write(a)
		quoted.WriteString("' ")
	}
	c.w.Error("ERR unknown command '" + clip(args[0]) + "', with args beginning with: " + quoted.String())
}

// reject answers a command refused before it ran. A refused EXEC also
// discards the transaction and says so, as in Redis (execCommandAbort).
func (c *conn) reject(cmd *command, msg string) {
	defer c.countRejected(cmd)
	if cmd.parent == nil && cmd.name == "exec" {
		c.multi, c.watched = nil, nil
		c.w.Error("EXECABORT Transaction discarded because of: " + msg)
		return
	}
	c.w.Error("ERR " + msg)
}

func (c *conn) wrongArity(cmd *command) {
	c.w.Error("ERR wrong number of arguments for '" + cmd.fullName() + "' command")
}

// clip shortens an argument quoted in an error, as Redis does (%.128s).
func clip(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}

// replyKind says how drain answers a queued write.
type replyKind uint8

const (
	replyReceivers replyKind = iota + 1 // PUBLISH: receivers count
	replyID                             // XADD: the new ID, or null if skipped
	replyCount                          // XDEL, XTRIM, DEL: sum of N
	replyOK                             // XSETID and friends: +OK
	replyExists                         // EXISTS-like: unused for writes
	replyNone                           // the command writes its own reply (custom)
)

// pendingReply is a queued write's reply: commands [from, to) of c.req.
type pendingReply struct {
	kind     replyKind
	from, to int
	// custom, when set, is given the commands' range and the submit
	// error once they are done, instead of a reply being written.
	custom func(from, to int, err error)
	cmd    *command // the command that queued it (stats)
	muted  bool     // its reply is not sent (CLIENT REPLY, reply.go)
}

// queued records the commands added to the connection's request since
// index from (with the request's builders) as one queued write, whose
// reply drain writes.
func (c *conn) queued(kind replyKind, from int) {
	c.pending = append(c.pending, pendingReply{kind: kind, from: from, to: c.req.Len(), cmd: c.current, muted: c.gate.muted})
}

// drain submits the queued writes as one request, waits until they are
// durable (or failed), and writes their replies in order, each sent or not
// as CLIENT REPLY was when its command ran. The time it takes is charged to
// the commands that queued the writes, in equal parts, and excluded from
// the command running now.
func (c *conn) drain() {
	if len(c.pending) == 0 {
		return
	}
	start := time.Now()
	err := c.s.b.Do(c.req)
	muted := c.gate.muted
	for _, p := range c.pending {
		c.setMuted(p.muted)
		c.writePending(p, err)
		if p.cmd != nil && c.claimErrors() {
			c.tally(p.cmd).failed++
		}
	}
	c.setMuted(muted)
	c.dropMuted()
	ns := time.Since(start).Nanoseconds()
	c.excludedNs += ns
	share := ns / int64(len(c.pending))
	for _, p := range c.pending {
		if p.cmd != nil {
			c.tally(p.cmd).ns += share
		}
	}
	c.pending = c.pending[:0]
	c.req.Reset()
}

func (c *conn) writePending(p pendingReply, submitErr error) {
	if p.custom != nil {
		p.custom(p.from, p.to, submitErr)
		return
	}
	if submitErr != nil {
		c.writeError(submitErr)
		return
	}
	var n int64
	for i := p.from; i < p.to; i++ {
		r := c.req.Result(i)
		if r.Err != nil {
			c.writeError(r.Err)
			return
		}
		n += r.N
	}
	switch p.kind {
	case replyReceivers:
		c.w.Int(int64(c.req.Result(p.from).Receivers))
	case replyID:
		if r := c.req.Result(p.from); r.Skipped {
			c.w.Null()
		} else {
			c.w.ID(r.ID.Ms, r.ID.Seq)
		}
	case replyCount:
		c.w.Int(n)
	case replyOK:
		c.w.OK()
	}
}

// writeError answers an error from the broker with Redis's wording.
func (c *conn) writeError(err error) {
	if e, ok := broker.Lookup(err); ok {
		c.w.Error(e.Redis)
		return
	}
	switch {
	case errors.Is(err, broker.ErrTooLarge):
		c.w.Error(broker.TooLargeReply(c.s.limits.MaxMessageBytes))
	case errors.Is(err, broker.ErrFailed):
		c.w.Error(broker.FailedReply(err))
	default:
		c.w.Error("ERR " + err.Error())
	}
}
